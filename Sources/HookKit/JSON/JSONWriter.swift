import HookKitSystem

/// Appends JSON text to a byte buffer: the fast, allocation-light way events are built.
package enum JSONWriter {
    /// Appends `string` as a JSON string literal, quotes included.
    package static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendEscaped($0, to: &output) }
    }

    /// Appends `string` as a JSON string literal, or `null` when it is nil.
    package static func appendOptionalString(_ string: String?, to output: inout [UInt8]) {
        if let string { appendString(string, to: &output) } else { append("null", to: &output) }
    }

    /// Appends arbitrary bytes as a JSON string literal: invalid UTF-8 becomes U+FFFD and every
    /// control character (NUL included) is escaped, so any input yields valid JSON.
    package static func appendSanitizedString(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        appendString(String(decoding: bytes, as: UTF8.self), to: &output)
    }

    /// Appends `"key":`.
    package static func appendKey(_ key: StaticString, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        append(key, to: &output)
        output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// Appends ASCII text verbatim.
    package static func append(_ text: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends an integer in decimal.
    package static func appendInteger(_ value: some BinaryInteger, to output: inout [UInt8]) {
        output.append(contentsOf: String(value).utf8)
    }

    /// Appends already valid UTF-8 `bytes` as a JSON string literal.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        output.append(UInt8(ascii: "\""))
    }
}
