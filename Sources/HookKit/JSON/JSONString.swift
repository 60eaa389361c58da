import HookKitSystem

/// Decoding of JSON string literals (the text between the quotes).
package enum JSONString {
    /// Decodes the escaped contents of a JSON string (without its quotes) into a `String`.
    ///
    /// The input is expected to have been validated by ``JSONScanner``; a lone surrogate escape
    /// such as `\uD800` becomes U+FFFD rather than an error.
    package static func decode(_ escaped: UnsafeBufferPointer<UInt8>) -> String {
        guard escaped.contains(UInt8(ascii: "\\")) else { return String(decoding: escaped, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(escaped.count)
        var index = 0
        while index < escaped.count {
            let byte = escaped[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < escaped.count else {
                bytes.append(byte)
                index += 1
                continue
            }
            let code = escaped[index + 1]
            index += 2
            switch code {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hexQuad(escaped, at: index) else { continue }
                index += 4
                if (0xD800...0xDBFF).contains(scalar), index + 6 <= escaped.count,
                    escaped[index] == UInt8(ascii: "\\"), escaped[index + 1] == UInt8(ascii: "u"),
                    let low = hexQuad(escaped, at: index + 2), (0xDC00...0xDFFF).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &bytes)
            default: bytes.append(code)  // \" \\ \/
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value of an ASCII hex digit, or nil.
    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// The value of the four hex digits at `index`, or nil when they are not four hex digits.
    static func hexQuad(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexValue(bytes[index + offset]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        var buffer: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let count = withUnsafeMutableBytes(of: &buffer) { raw in
            var written = 0
            UTF8.encode(scalar) { unit in
                raw[written] = unit
                written += 1
            }
            return written
        }
        withUnsafeBytes(of: buffer) { bytes.append(contentsOf: $0.prefix(count)) }
    }
}
