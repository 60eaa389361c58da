/// Recognises the names whose values are credentials: `AWS_SECRET_ACCESS_KEY`, `Authorization`,
/// and any name containing password, passwd, secret, token, api_key / apikey, access_key or
/// private_key / client_secret (case-insensitive; `_`, `-` and `.` ignored, so `x-api-key`,
/// `apiKey`, `spring.datasource.password` and `--password` all count).
///
/// A keyword that runs on into a longer word (`tokenizer`, `secretary`, `max_tokens`,
/// `passwordless`) or is followed by a word saying the value is something else (`token_url`,
/// `secret_name`, `api_key_id`, `password_prompt`, `TOKEN_FILE`) does not count.
enum SecretNames {
    /// What a name says about its value.
    enum Kind: Equatable {
        /// `Authorization`, `Proxy-Authorization`: the value is `<scheme> <credential>`.
        case authorization
        /// `aws_secret_access_key`: a 40-character AWS secret, else a generic secret.
        case awsSecretAccessKey
        /// Any other credential name.
        case secret
    }

    /// The longest name examined; a longer one is judged by its last 128 bytes.
    static let maximumLength = 128

    /// Classifies `name` (the identifier before `=` or `:`, or a JSON object key), or nil when its
    /// value is not a credential.
    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> Kind? {
        let name = UnsafeBufferPointer(rebasing: name[max(0, name.count - maximumLength)...])
        guard name.count >= 5, mayHoldKeyword(name) else { return nil }  // the shortest keyword is "token"
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumLength) { folded in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: maximumLength) { origin in
                // The name lowercased with separators dropped, and where each folded byte came from.
                var length = 0
                for index in 0..<name.count {
                    let byte = name[index]
                    guard ByteClass.isAlnum(byte) else { continue }
                    folded[length] = ByteClass.lowercased(byte)
                    origin[length] = index
                    length += 1
                }
                guard length >= 5 else { return nil }
                let text = ScanText(UnsafeBufferPointer(rebasing: folded[0..<length]))
                if length >= 13 && text.has("authorization", at: length - 13) { return .authorization }
                func keyword(_ word: StaticString, at start: Int) -> Bool {
                    text.has(word, at: start)
                        && endsWord(name, lastIndex: origin[start + word.utf8CodeUnitCount - 1])
                }
                var found = false
                for start in 0..<(length - 4) {
                    // The two first letters decide which keyword could start here.
                    switch (folded[start], folded[start + 1]) {
                    case (UInt8(ascii: "p"), UInt8(ascii: "a")):
                        found = keyword("password", at: start) || keyword("passwd", at: start)
                    case (UInt8(ascii: "p"), UInt8(ascii: "r")): found = keyword("privatekey", at: start)
                    case (UInt8(ascii: "s"), UInt8(ascii: "e")): found = keyword("secret", at: start)
                    case (UInt8(ascii: "t"), UInt8(ascii: "o")): found = keyword("token", at: start)
                    case (UInt8(ascii: "a"), UInt8(ascii: "p")): found = keyword("apikey", at: start)
                    case (UInt8(ascii: "a"), UInt8(ascii: "c")): found = keyword("accesskey", at: start)
                    default: continue
                    }
                    if found { break }
                }
                guard found else { return nil }
                if length >= 18 {
                    for start in 0...(length - 18) where text.has("awssecretaccesskey", at: start) {
                        return .awsSecretAccessKey
                    }
                }
                return .secret
            }
        }
    }

    /// A quick first look: every keyword contains `pas`, `sec`, `tok`, `key` or `aut` (any case),
    /// so a name with none of them (`level`, `status`, `duration_ms`) is done in one pass.
    @inline(__always)
    private static func mayHoldKeyword(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        var first: UInt8 = 0
        var second: UInt8 = 0
        for byte in name {
            let third = byte | 0x20
            switch (first, second, third) {
            case (UInt8(ascii: "p"), UInt8(ascii: "a"), UInt8(ascii: "s")),
                (UInt8(ascii: "s"), UInt8(ascii: "e"), UInt8(ascii: "c")),
                (UInt8(ascii: "t"), UInt8(ascii: "o"), UInt8(ascii: "k")),
                (UInt8(ascii: "k"), UInt8(ascii: "e"), UInt8(ascii: "y")),
                (UInt8(ascii: "a"), UInt8(ascii: "u"), UInt8(ascii: "t")):
                return true
            default:
                first = second
                second = third
            }
        }
        return false
    }

    /// Whether the keyword whose last byte is `name[lastIndex]` ends a word of the name (rather
    /// than running on, as in `tokenizer`) and is not followed by a word that makes the value
    /// something other than the credential (`token_url`, `secretName`).
    private static func endsWord(_ name: UnsafeBufferPointer<UInt8>, lastIndex: Int) -> Bool {
        let next = lastIndex + 1
        guard next < name.count else { return true }
        let last = name[lastIndex]
        let following = name[next]
        // tokenizer, secretary, max_tokens, TOKENS: the same word goes on.
        if ByteClass.isLower(following) || (ByteClass.isUpper(following) && ByteClass.isUpper(last)) {
            return false
        }
        // The next word: after one separator, or a camelCase hump.
        var start = next
        if !ByteClass.isAlnum(following) {
            start += 1
        } else if !ByteClass.isUpper(following) {
            return true  // a digit: token2
        }
        guard start < name.count, ByteClass.isAlpha(name[start]) else { return true }
        var end = start + 1
        let upperWord = ByteClass.isUpper(name[start]) && end < name.count && ByteClass.isUpper(name[end])
        while end < name.count && ByteClass.isAlpha(name[end]) && (upperWord || !ByteClass.isUpper(name[end])) {
            end += 1
        }
        let word = UnsafeBufferPointer(rebasing: name[start..<end])
        return !excludedFollowers.contains { SecretValues.equals(word, $0) }
    }

    /// Words that, right after a keyword, make the value metadata about the credential.
    private static let excludedFollowers: [StaticString] = [
        "id", "ids", "name", "names", "type", "types", "url", "urls", "uri", "endpoint", "file", "files", "path",
        "paths", "dir", "length", "len", "size", "count", "limit", "limits", "expiry", "expires", "expiration",
        "ttl", "timeout", "field", "fields", "header", "prompt", "label", "hint", "description", "desc", "help",
        "message", "msg", "text", "title", "format", "policy", "pattern", "regex", "version", "usage", "budget",
        "env", "var", "variable", "ref", "reference", "provider", "manager", "mode", "kind", "source", "store",
        "service", "enabled", "required", "param", "params", "arg", "option", "options", "rotation", "scope",
        "scopes", "index",
    ]
}
