/// Whether a value found after a secret-looking name is a literal credential, or a reference,
/// placeholder or piece of code that merely sits where a credential could be.
///
/// These checks keep `secret-assignment`, `authorization-header` and `url-credentials` precise:
/// `TOKEN=$GITHUB_TOKEN`, `password: <your password>`, `let token = try fetchToken()` and
/// `api_key = config.api_key` are left alone.
enum SecretValues {
    /// The shortest value `secret-assignment` redacts.
    static let minimumLength = 8

    /// A reference (`$VAR`, `${VAR}`, `$(cmd)`, `%VAR%`, `{{ var }}`), a placeholder (`<...>`,
    /// `***`, `xxxx...`, `changeme`, `your_token_here`, `example`...), a bare type or keyword
    /// (`null`, `undefined`, `password`) or an earlier redaction marker.
    static func isPlaceholder(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = value.first, let last = value.last else { return true }
        switch first {
        case UInt8(ascii: "$"), UInt8(ascii: "<"): return true
        case UInt8(ascii: "{") where value.count > 1 && value[1] == UInt8(ascii: "{"): return true
        case UInt8(ascii: "%") where last == UInt8(ascii: "%"): return true
        default: break
        }
        if value.allSatisfy({ $0 == first }) { return true }
        if value.allSatisfy({ placeholderFill($0) }) { return true }
        let text = ScanText(value)
        if text.hasIgnoringCase("your", at: 0) || text.hasIgnoringCase("my_", at: 0) { return true }
        if value.count >= 5
            && (text.hasIgnoringCase("_here", at: value.count - 5)
                || text.hasIgnoringCase("-here", at: value.count - 5))
        {
            return true
        }
        for word in placeholderWords where contains(value, word) { return true }
        for word in placeholderValues where equals(value, word) { return true }
        return false
    }

    /// Whether an unquoted value (the run before `stop`) reads as code rather than a literal: a
    /// call (`getpass()`), a member path (`process.env.API_KEY`), an identifier (`api_key`,
    /// `accessToken`, `String`), a number, a path or a URL.
    static func looksLikeCode(_ value: UnsafeBufferPointer<UInt8>, stop: UInt8) -> Bool {
        if stop == UInt8(ascii: "(") { return true }
        guard let first = value.first else { return true }
        if first == UInt8(ascii: "/") || first == UInt8(ascii: "~") { return true }
        if first == UInt8(ascii: "."), value.count > 1, value[1] == UInt8(ascii: "/") || value[1] == UInt8(ascii: ".") {
            return true
        }
        if contains(value, "://") { return true }
        var digits = 0
        var letters = 0
        var underscores = 0
        var dots = 0
        var others = 0
        var humps = 0
        var previousLower = false
        for byte in value {
            if ByteClass.isDigit(byte) {
                digits += 1
            } else if ByteClass.isAlpha(byte) {
                letters += 1
                if ByteClass.isUpper(byte) && previousLower { humps += 1 }
            } else if byte == UInt8(ascii: "_") {
                underscores += 1
            } else if byte == UInt8(ascii: ".") {
                dots += 1
            } else {
                others += 1
            }
            previousLower = ByteClass.isLower(byte)
        }
        if letters == 0 && underscores == 0 && others == 0 { return true }  // 12345678, 1.2.3
        guard others == 0, digits == 0 else { return false }
        if dots > 0 { return true }  // self.token, process.env.API_KEY
        if underscores > 0 || humps > 0 { return true }  // api_key, OTHER_VAR, accessToken
        return ByteClass.isUpper(first) && value.dropFirst().contains(where: ByteClass.isLower)  // String, Token
    }

    /// Whether a value is all digits (with `.`, `,`, `-`): a number, not a credential.
    static func isNumeric(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        value.allSatisfy {
            ByteClass.isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "-")
        }
    }

    /// Whether `value` is a literal credential for `secret-assignment`: at least 8 bytes, not a
    /// placeholder or number, no blanks unless `allowSpaces`, and for unquoted values not code.
    static func isSecretLiteral(
        _ value: UnsafeBufferPointer<UInt8>, quoted: Bool, stop: UInt8, allowSpaces: Bool = false
    ) -> Bool {
        guard value.count >= minimumLength else { return false }
        if !allowSpaces && value.contains(where: ByteClass.isSpace) { return false }
        if !quoted && looksLikeCode(value, stop: stop) { return false }
        return !isNumeric(value) && !isPlaceholder(value)
    }

    private static func placeholderFill(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "*"), UInt8(ascii: "."), UInt8(ascii: "-"),
            UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: "0"):
            return true
        default: return false
        }
    }

    /// Case-insensitive substrings that mark a value as a placeholder.
    private static let placeholderWords: [StaticString] = [
        "example", "placeholder", "changeme", "change_me", "change-me", "changeit", "redacted", "dummy",
        "xxxx", "****", "<", ">",
    ]

    /// Case-insensitive whole values that are placeholders, keywords or bare type names.
    private static let placeholderValues: [StaticString] = [
        "password", "passwd", "pass", "pwd", "pw", "secret", "token", "apikey", "api_key", "null", "none", "nil",
        "undefined", "true", "false", "test", "testing", "string", "required", "optional", "unknown", "default",
        "empty", "notset", "not_set", "todo", "tbd", "fixme",
    ]

    /// Whether `value` contains `word` (ASCII lowercase), ignoring case.
    static func contains(_ value: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard value.count >= length else { return false }
        let text = ScanText(value)
        let first = word.utf8Start[0]
        for index in 0...(value.count - length)
        where ByteClass.lowercased(value[index]) == first && text.hasIgnoringCase(word, at: index) {
            return true
        }
        return false
    }

    /// Whether `value` is `word` (ASCII lowercase), ignoring case.
    static func equals(_ value: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        value.count == word.utf8CodeUnitCount && ScanText(value).hasIgnoringCase(word, at: 0)
    }
}
