/// `private-key`: a PEM private key, from its `-----BEGIN ... PRIVATE KEY-----` line to its
/// `-----END ... -----` line (`RSA`, `EC`, `DSA`, `OPENSSH`, `ENCRYPTED`, PKCS#8 and
/// `PGP PRIVATE KEY BLOCK` alike).
///
/// The body must look like one: base64 lines (and `Proc-Type:` / `DEK-Info:` headers) with at
/// least 32 base64 characters, so code or prose that only names the header is left alone. A key
/// cut off before its END line (by `head`, or a truncated output) is redacted to the end of its
/// body when that body has at least 64 base64 characters. Literal `\n` sequences (a PEM inside
/// JSON text inside a string) count as line breaks.
extension SecretScanner {
    mutating func privateKey(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= privateKeyBlockedUntil, text.has("-----BEGIN ", at: index) else { return nil }
        // The label: capitals, digits and spaces, ending in PRIVATE KEY or PRIVATE KEY BLOCK.
        let labelStart = index + 11
        let labelEnd = text.runEnd(from: labelStart, limit: 80) {
            ByteClass.isUpper($0) || ByteClass.isDigit($0) || $0 == UInt8(ascii: " ")
        }
        guard text.has("-----", at: labelEnd),
            text.has("PRIVATE KEY", at: labelEnd - 11) || text.has("PRIVATE KEY BLOCK", at: labelEnd - 17)
        else { return nil }
        var position = labelEnd + 5
        var base64Count = 0
        while position < text.count {
            let byte = text.bytes[position]
            if ByteClass.isAlnum(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "=")
            {
                base64Count += 1
            } else if byte == UInt8(ascii: "-") {
                if text.has("-----END", at: position) {
                    let endLabel = text.runEnd(from: position + 8, limit: 80) {
                        ByteClass.isUpper($0) || ByteClass.isDigit($0) || $0 == UInt8(ascii: " ")
                    }
                    guard base64Count >= 32, text.has("-----", at: endLabel) else { break }
                    return (index..<(endLabel + 5), .privateKey)
                }
                if text.has("-----", at: position) { break }  // another armour line: not this body
            } else if !(ByteClass.isSpace(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",")
                || byte == UInt8(ascii: "\\"))
            {
                break
            }
            position += 1
        }
        // No END line: a truncated key, or only a mention of the header.
        if base64Count >= 64 {
            let end = text.runStart(before: position, floor: index, limit: position - index) { ByteClass.isSpace($0) }
            return (index..<end, .privateKey)
        }
        // Any later BEGIN inside this stretch would stop at the same place.
        privateKeyBlockedUntil = position
        return nil
    }
}
