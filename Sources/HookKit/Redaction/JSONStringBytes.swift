/// Decoding and encoding of JSON string contents as bytes, in bulk, for the redaction pass.
///
/// Redaction decodes every string value of every payload and re-encodes the ones it changed.
/// ``JSONString/decode(_:)`` and ``JSONWriter/appendString(_:to:)`` work a byte (or an escape) at a
/// time through `Array.append`; these variants write straight into a buffer sized up front and
/// copy the runs between escapes with `memcpy`, which matters for tool outputs full of `\n` and
/// `\"`. Decoding follows ``JSONString/decode(_:)`` (the input was validated by ``JSONScanner``; a
/// lone surrogate escape decodes to U+FFFD); on output `"`, `\` and control characters are
/// escaped, `\b`, `\f`, `\n`, `\r` and `\t` by name and the rest as `\u00XX`.
extension JSONString {
    /// The decoded contents of a JSON string (without its quotes), as UTF-8 bytes.
    static func decodeBytes(_ escaped: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // Decoding never makes a string longer: every escape is at least as long as its result.
        [UInt8](unsafeUninitializedCapacity: escaped.count) { output, initialized in
            let count = escaped.count
            var written = 0
            var index = 0
            var runStart = 0
            func copyRun(upTo end: Int) {
                guard end > runStart, let source = escaped.baseAddress, let target = output.baseAddress else { return }
                copyBytes(from: source + runStart, to: target + written, count: end - runStart)
                written += end - runStart
            }
            while true {
                index = ByteSearch.firstIndex(of: UInt8(ascii: "\\"), or: UInt8(ascii: "\\"), in: escaped, from: index)
                guard index < count else { break }
                copyRun(upTo: index)
                guard index + 1 < count else {
                    runStart = count
                    break
                }
                let code = escaped[index + 1]
                index += 2
                switch code {
                case UInt8(ascii: "b"): output[written] = 0x08; written += 1
                case UInt8(ascii: "f"): output[written] = 0x0C; written += 1
                case UInt8(ascii: "n"): output[written] = 0x0A; written += 1
                case UInt8(ascii: "r"): output[written] = 0x0D; written += 1
                case UInt8(ascii: "t"): output[written] = 0x09; written += 1
                case UInt8(ascii: "u"):
                    guard var scalar = hexQuad(escaped, at: index) else { break }
                    index += 4
                    if (0xD800...0xDBFF).contains(scalar), index + 6 <= count, escaped[index] == UInt8(ascii: "\\"),
                        escaped[index + 1] == UInt8(ascii: "u"), let low = hexQuad(escaped, at: index + 2),
                        (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    // At most 4 bytes out of at least 6 in: always room.
                    UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}") { unit in
                        output[written] = unit
                        written += 1
                    }
                default:  // \" \\ \/
                    output[written] = code
                    written += 1
                }
                runStart = index
            }
            copyRun(upTo: count)
            initialized = written
        }
    }
}

extension JSONWriter {
    /// Appends valid UTF-8 `bytes` as a JSON string literal, quotes included: `"`, `\` and
    /// control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f` by name, the rest as `\u00XX`).
    static func appendEscapedBytes(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        var probe = ByteSearch.firstNeedingEscape(in: bytes, from: 0)
        guard probe < bytes.count else {
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: bytes)
            output.append(UInt8(ascii: "\""))
            return
        }
        // The exact size first, so the fill below can write through a raw pointer.
        var capacity = bytes.count + 2
        while probe < bytes.count {
            capacity += shortEscape(bytes[probe]) != nil ? 1 : 5
            probe = ByteSearch.firstNeedingEscape(in: bytes, from: probe + 1)
        }
        let escaped = [UInt8](unsafeUninitializedCapacity: capacity) { target, initialized in
            guard let base = target.baseAddress, let source = bytes.baseAddress else { return }
            var written = 0
            var runStart = 0
            func copyRun(upTo end: Int) {
                guard end > runStart else { return }
                copyBytes(from: source + runStart, to: base + written, count: end - runStart)
                written += end - runStart
            }
            base[0] = UInt8(ascii: "\"")
            written = 1
            let hex: StaticString = "0123456789abcdef"
            var index = ByteSearch.firstNeedingEscape(in: bytes, from: 0)
            while index < bytes.count {
                let byte = bytes[index]
                copyRun(upTo: index)
                runStart = index + 1
                base[written] = UInt8(ascii: "\\")
                written += 1
                if let name = shortEscape(byte) {
                    base[written] = name
                } else {
                    base[written] = UInt8(ascii: "u")
                    base[written + 1] = UInt8(ascii: "0")
                    base[written + 2] = UInt8(ascii: "0")
                    base[written + 3] = hex.utf8Start[Int(byte >> 4)]
                    base[written + 4] = hex.utf8Start[Int(byte & 0xF)]
                    written += 4
                }
                written += 1
                index = ByteSearch.firstNeedingEscape(in: bytes, from: index + 1)
            }
            copyRun(upTo: bytes.count)
            base[written] = UInt8(ascii: "\"")
            initialized = written + 1
        }
        output.append(contentsOf: escaped)
    }
}

/// Copies `count` bytes; short runs (the text between two escapes is often a few bytes) by hand,
/// which is cheaper than a call to `memmove`.
@inline(__always)
private func copyBytes(from source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
    if count <= 16 {
        for offset in 0..<count { target[offset] = source[offset] }
    } else {
        target.update(from: source, count: count)
    }
}

extension JSONWriter {
    /// The letter of a two-character escape for `byte` (`"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f`).
    @inline(__always)
    fileprivate static func shortEscape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        default: nil
        }
    }
}
