/// Rules found at a `:` or `=`: credentials in URLs, and values of credential-named settings
/// (`aws-secret-access-key`, `authorization-header`, `secret-assignment`).
extension SecretScanner {
    /// `url-credentials`: the password of `scheme://user:password@host` (the user and host stay).
    /// The authority ends at `/`, a blank or a quote (not at `?` or `#`, which unencoded passwords
    /// do contain); its last `@` ends the user info, so a password with an unencoded `@` is still
    /// covered whole.
    mutating func urlCredentials(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard text[index + 1] == UInt8(ascii: "/"), text[index + 2] == UInt8(ascii: "/"),
            ByteClass.isAlpha(text[index - 1])
        else { return nil }
        let start = index + 3
        let end = text.runEnd(from: start, limit: 1024) { byte in
            !(ByteClass.isSpace(byte) || ByteClass.isQuote(byte) || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">"))
        }
        guard let at = (start..<end).last(where: { text.bytes[$0] == UInt8(ascii: "@") }), at + 1 < end,
            let colon = (start..<at).first(where: { text.bytes[$0] == UInt8(ascii: ":") }), colon + 1 < at
        else { return nil }
        let password = UnsafeBufferPointer(rebasing: text.bytes[(colon + 1)..<at])
        guard !SecretValues.isPlaceholder(password) else { return nil }
        return ((colon + 1)..<at, .urlCredentials)
    }

    /// The value of `NAME=value`, `NAME: value`, `"name": "value"`, `name := value`,
    /// `'name' => 'value'` when the name is a credential's (see ``SecretNames``).
    mutating func assignment(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= assignmentBlockedUntil, let valueStart = operatorEnd(at: index),
            let name = nameBefore(index), let kind = SecretNames.classify(name)
        else { return nil }
        switch kind {
        case .authorization:
            return authorizationCredential(from: valueStart).map { ($0, .authorizationHeader) }
        case .awsSecretAccessKey:
            if let range = awsSecret(from: valueStart) { return (range, .awsSecretAccessKey) }
            return secretValue(from: valueStart)
        case .secret:
            return secretValue(from: valueStart)
        }
    }

    /// Where the value starts after the assignment operator at `index` (`=`, `:`, `:=`, `=>`), or
    /// nil for a comparison or path operator (`==`, `!=`, `<=`, `>=`, `::`, `+=`).
    private func operatorEnd(at index: Int) -> Int? {
        let previous = text[index - 1]
        let next = text[index + 1]
        if text.bytes[index] == UInt8(ascii: "=") {
            switch previous {
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ":"),
                UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "|"), UInt8(ascii: "&"):
                return nil
            default: break
            }
            if next == UInt8(ascii: "=") { return nil }
            return next == UInt8(ascii: ">") ? index + 2 : index + 1
        }
        if previous == UInt8(ascii: ":") || next == UInt8(ascii: ":") { return nil }
        return next == UInt8(ascii: "=") ? index + 2 : index + 1
    }

    /// The identifier before the operator at `index`: blanks, then an optional closing quote
    /// (possibly escaped, `\"`), then `[A-Za-z0-9_.-]` (at most 128 bytes are looked at). Never
    /// reaches back into text already redacted.
    private func nameBefore(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        let floor = writer.copied
        var end = text.runStart(before: index, floor: floor, limit: 8) { $0 == 0x20 || $0 == 0x09 }
        if end > floor, ByteClass.isQuote(text[end - 1]) {
            end -= 1
            if end > floor, text[end - 1] == UInt8(ascii: "\\") { end -= 1 }
        }
        let start = text.runStart(before: end, floor: floor, limit: SecretNames.maximumLength) {
            ByteClass.isTokenChar($0) || $0 == UInt8(ascii: ".")
        }
        return start < end ? UnsafeBufferPointer(rebasing: text.bytes[start..<end]) : nil
    }

    /// A value after an operator: blanks skipped, then a quoted value (`"..."`, `'...'`,
    /// backticks, or escaped `\"...\"`, on one line) or an unquoted run up to a blank, quote,
    /// `;`, `,`, `&`, `|`, a bracket or a backslash. Returns the range and how it ended (the
    /// closing quote for a quoted value, else the byte that stopped the run).
    private func valueAfter(_ start: Int) -> (range: Range<Int>, quoted: Bool, stop: UInt8)? {
        var position = text.runEnd(from: start, limit: 16) { $0 == 0x20 || $0 == 0x09 }
        var escapedQuote = false
        if text[position] == UInt8(ascii: "\\"), ByteClass.isQuote(text[position + 1]) {
            escapedQuote = true
            position += 1
        }
        let quote = text[position]
        if ByteClass.isQuote(quote) {
            let valueStart = position + 1
            let valueEnd = text.runEnd(from: valueStart, limit: 4097) { byte in
                byte != quote && byte != 0x0A && byte != 0x0D && !(escapedQuote && byte == UInt8(ascii: "\\"))
            }
            guard valueEnd - valueStart <= 4096 else { return nil }
            let closing = escapedQuote ? text[valueEnd + 1] : text[valueEnd]
            guard closing == quote else { return nil }
            return (valueStart..<valueEnd, true, quote)
        }
        if escapedQuote { return nil }
        let valueEnd = text.runEnd(from: position, limit: 4097) { byte in
            switch byte {
            case 0x09...0x0D, 0x20, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: ";"),
                UInt8(ascii: ","), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "("), UInt8(ascii: ")"),
                UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "\\"):
                return false
            default: return true
            }
        }
        guard valueEnd - position <= 4096 else { return nil }
        return (position..<valueEnd, false, text[valueEnd])
    }

    /// `secret-assignment`: the whole value, when it is a literal (see ``SecretValues``).
    private mutating func secretValue(from start: Int) -> (Range<Int>, RedactionRule)? {
        guard let value = valueAfter(start) else {
            assignmentBlockedUntil = start + 1
            return nil
        }
        let bytes = UnsafeBufferPointer(rebasing: text.bytes[value.range])
        // A value starting with `{` or `[` is a structure (`"token": {...}`); its own members are
        // judged at their own separators, so do not block them.
        if value.range.isEmpty || bytes.first == UInt8(ascii: "{") || bytes.first == UInt8(ascii: "[") {
            return nil
        }
        guard SecretValues.isSecretLiteral(bytes, quoted: value.quoted, stop: value.stop) else {
            // Any separator inside the value is part of it: do not rescan the value as a new name.
            assignmentBlockedUntil = value.range.upperBound
            return nil
        }
        // A value that is exactly a recognised token keeps the more telling rule id
        // (GITHUB_TOKEN=ghp_... counts as github-token).
        if let token = prefixedSecret(at: value.range.lowerBound), token.0 == value.range { return token }
        return (value.range, .secretAssignment)
    }

    /// `aws-secret-access-key`: 40 of `[A-Za-z0-9/+=]`, quoted or not.
    private func awsSecret(from start: Int) -> Range<Int>? {
        guard let value = valueAfter(start), value.range.count == 40,
            !SecretValues.isPlaceholder(UnsafeBufferPointer(rebasing: text.bytes[value.range]))
        else { return nil }
        for position in value.range {
            let byte = text.bytes[position]
            guard
                ByteClass.isAlnum(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "=")
            else { return nil }
        }
        return value.range
    }

    /// `aws-secret-access-key` given as an argument: `aws_secret_access_key` (any case), blanks,
    /// then 40 of `[A-Za-z0-9/+=]` and a blank or the end (`aws configure set
    /// aws_secret_access_key ...`). The `=` / `:` forms are handled with the other assignments.
    mutating func awsSecretArgument(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard !ByteClass.isWord(text[index - 1]), text.hasIgnoringCase("aws_secret_access_key", at: index) else {
            return nil
        }
        let start = text.runEnd(from: index + 21, limit: 8) { $0 == 0x20 || $0 == 0x09 }
        guard start > index + 21 else { return nil }
        let end = text.runEnd(from: start, limit: 41) {
            ByteClass.isAlnum($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "=")
        }
        guard end - start == 40, text[end] == 0 || ByteClass.isSpace(text[end]) || ByteClass.isQuote(text[end]),
            !SecretValues.isPlaceholder(UnsafeBufferPointer(rebasing: text.bytes[start..<end]))
        else { return nil }
        return (start..<end, .awsSecretAccessKey)
    }

    /// `authorization-header`: after `Authorization:` (or `=`), an optional quote, the scheme
    /// `Bearer`, `Basic` or `Token` (kept), blanks, then the credential (at least 8 bytes, not a
    /// reference or placeholder such as `$TOKEN` or `<token>`).
    private func authorizationCredential(from start: Int) -> Range<Int>? {
        var position = text.runEnd(from: start, limit: 16) { $0 == 0x20 || $0 == 0x09 }
        if text[position] == UInt8(ascii: "\\") { position += 1 }
        if ByteClass.isQuote(text[position]) { position += 1 }
        return Self.authorizationCredential(in: text, from: position)
    }

    /// The credential after a scheme word at `position` (shared with JSON object values).
    static func authorizationCredential(in text: ScanText, from position: Int) -> Range<Int>? {
        let schemeLength =
            text.hasIgnoringCase("bearer", at: position)
            ? 6
            : text.hasIgnoringCase("basic", at: position)
                ? 5
                : text.hasIgnoringCase("token", at: position) ? 5 : 0
        guard schemeLength > 0 else { return nil }
        let credentialStart = text.runEnd(from: position + schemeLength, limit: 8) { $0 == 0x20 || $0 == 0x09 }
        guard credentialStart > position + schemeLength else { return nil }
        let credentialEnd = text.runEnd(from: credentialStart, limit: 8192) { byte in
            !(ByteClass.isSpace(byte) || ByteClass.isQuote(byte) || byte == UInt8(ascii: "\\")
                || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";"))
        }
        let credential = UnsafeBufferPointer(rebasing: text.bytes[credentialStart..<credentialEnd])
        guard credential.count >= SecretValues.minimumLength, !SecretValues.isPlaceholder(credential) else {
            return nil
        }
        return credentialStart..<credentialEnd
    }
}
