/// Rules for credentials with a recognisable prefix (shapes from gitleaks' `config/gitleaks.toml`).
///
/// Every token must start at a word start (not right after a letter or digit). Fixed-length
/// tokens over a letters-and-digits alphabet must also end at one (`\b`), so a longer identifier
/// that merely begins like a token is left alone. Tokens whose alphabet includes `-` or `_` take
/// the whole run of that alphabet (at least the minimum length), which both catches longer
/// variants and keeps failed attempts from being rescanned.
extension SecretScanner {
    /// `aws-access-key-id`: `AKIA`, `ASIA`, `ABIA` or `ACCA` + 16 of `[A-Z2-7]`, word-bounded;
    /// AWS's documented example keys (ending in `EXAMPLE`) are left alone.
    mutating func awsAccessKeyID(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard atWordStart(index),
            text.has("AKIA", at: index) || text.has("ASIA", at: index) || text.has("ABIA", at: index)
                || text.has("ACCA", at: index)
        else { return nil }
        let end = text.runEnd(from: index + 4, limit: 17) { ByteClass.isUpper($0) || ($0 &- 0x32) < 6 }
        guard end == index + 20, !ByteClass.isAlnum(text[end]), !text.has("EXAMPLE", at: end - 7) else { return nil }
        return (index..<end, .awsAccessKeyID)
    }

    /// `google-api-key`: `AIza` + at least 35 of `[A-Za-z0-9_-]`.
    mutating func googleAPIKey(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= googleBlockedUntil, atWordStart(index), text.has("AIza", at: index) else { return nil }
        let end = text.runEnd(from: index + 4, ByteClass.isTokenChar)
        guard end - index >= 39 else {
            googleBlockedUntil = end
            return nil
        }
        return (index..<end, .googleAPIKey)
    }

    /// `github-token`: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 letters or digits, word-bounded;
    /// `github_pat_` + at least 82 of `[A-Za-z0-9_]`.
    mutating func githubToken(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard atWordStart(index) else { return nil }
        if text.has("gh", at: index), text[index + 3] == UInt8(ascii: "_") {
            switch text[index + 2] {
            case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                let end = text.runEnd(from: index + 4, limit: 37, ByteClass.isAlnum)
                guard end == index + 40 else { return nil }
                return (index..<end, .githubToken)
            default: return nil
            }
        }
        guard index >= githubPATBlockedUntil, text.has("github_pat_", at: index) else { return nil }
        let end = text.runEnd(from: index + 11, ByteClass.isWord)
        guard end - index >= 11 + 82 else {
            githubPATBlockedUntil = end
            return nil
        }
        return (index..<end, .githubToken)
    }

    /// `gitlab-token`: `glpat-` + at least 20 of `[A-Za-z0-9_-]` (a routable token's
    /// `.<2+7 chars>` suffix included).
    mutating func gitlabToken(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= gitlabBlockedUntil, atWordStart(index), text.has("glpat-", at: index) else { return nil }
        var end = text.runEnd(from: index + 6, ByteClass.isTokenChar)
        guard end - index >= 26 else {
            gitlabBlockedUntil = end
            return nil
        }
        if text[end] == UInt8(ascii: "."), text.runEnd(from: end + 1, limit: 10, ByteClass.isAlnum) == end + 10 {
            end += 10
        }
        return (index..<end, .gitlabToken)
    }

    /// `anthropic-api-key`: `sk-ant-` keys (`sk-ant-api03-...`, `sk-ant-admin01-...`, and the
    /// OAuth `sk-ant-oat01-...` / `sk-ant-ort01-...`): `sk-ant-` + at least 40 of `[A-Za-z0-9_-]`.
    mutating func anthropicKey(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= anthropicBlockedUntil, atWordStart(index), text.has("sk-ant-", at: index) else {
            return nil
        }
        let end = text.runEnd(from: index + 7, ByteClass.isTokenChar)
        guard end - index >= 7 + 40 else {
            anthropicBlockedUntil = end
            return nil
        }
        return (index..<end, .anthropicAPIKey)
    }

    /// `openai-api-key`: `sk-proj-`, `sk-svcacct-`, `sk-admin-` + at least 40 of `[A-Za-z0-9_-]`;
    /// legacy `sk-` + at least 40 letters and digits containing `T3BlbkFJ`.
    mutating func openaiKey(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard atWordStart(index), text.has("sk-", at: index) else { return nil }
        let prefixLength =
            text.has("proj-", at: index + 3)
            ? 8
            : text.has("svcacct-", at: index + 3)
                ? 11
                : text.has("admin-", at: index + 3) ? 9 : 0
        if prefixLength > 0 {
            guard index >= openaiBlockedUntil else { return nil }
            let end = text.runEnd(from: index + prefixLength, ByteClass.isTokenChar)
            guard end - index >= prefixLength + 40 else {
                openaiBlockedUntil = end
                return nil
            }
            return (index..<end, .openaiAPIKey)
        }
        let end = text.runEnd(from: index + 3, ByteClass.isAlnum)
        guard end - index >= 43, !ByteClass.isTokenChar(text[end]) else { return nil }
        var probe = index + 3
        while probe + 8 <= end {
            if text.has("T3BlbkFJ", at: probe) { return (index..<end, .openaiAPIKey) }
            probe += 1
        }
        return nil
    }

    /// `stripe-key`: `sk_` or `rk_` + `live_`, `test_` or `prod_` + at least 10 letters and digits
    /// (with a digit or capital among them, so `sk_test_helpers_for_checkout` is not one).
    mutating func stripeKey(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard atWordStart(index), text[index + 1] == UInt8(ascii: "k"), text[index + 2] == UInt8(ascii: "_"),
            text.has("live_", at: index + 3) || text.has("test_", at: index + 3) || text.has("prod_", at: index + 3)
        else { return nil }
        let end = text.runEnd(from: index + 8, ByteClass.isAlnum)
        guard end - index >= 18 else { return nil }
        var random = false
        for position in (index + 8)..<end where ByteClass.isDigit(text[position]) || ByteClass.isUpper(text[position]) {
            random = true
            break
        }
        return random ? (index..<end, .stripeKey) : nil
    }

    /// `slack-token`: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-` + at least 10 of `[A-Za-z0-9-]`.
    mutating func slackToken(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= slackBlockedUntil, atWordStart(index), text.has("xox", at: index),
            text[index + 4] == UInt8(ascii: "-")
        else { return nil }
        switch text[index + 3] {
        case UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "a"), UInt8(ascii: "r"), UInt8(ascii: "s"): break
        default: return nil
        }
        let end = text.runEnd(from: index + 5) { ByteClass.isAlnum($0) || $0 == UInt8(ascii: "-") }
        guard end - index >= 15 else {
            slackBlockedUntil = end
            return nil
        }
        return (index..<end, .slackToken)
    }

    /// `npm-token`: `npm_` + 36 letters and digits, word-bounded.
    mutating func npmToken(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard atWordStart(index), text.has("npm_", at: index) else { return nil }
        let end = text.runEnd(from: index + 4, limit: 37, ByteClass.isAlnum)
        guard end == index + 40 else { return nil }
        return (index..<end, .npmToken)
    }

    /// `jwt`: three base64url segments separated by dots, the first two starting `eyJ` (the
    /// encoding of `{"`), each of those at least 10 characters; the third (the signature) may be
    /// empty for an unsigned token.
    mutating func jwt(at index: Int) -> (Range<Int>, RedactionRule)? {
        guard index >= jwtBlockedUntil, atWordStart(index), text.has("eyJ", at: index) else { return nil }
        let firstEnd = text.runEnd(from: index + 3, ByteClass.isTokenChar)
        guard firstEnd - index >= 10, text[firstEnd] == UInt8(ascii: "."), text.has("eyJ", at: firstEnd + 1) else {
            jwtBlockedUntil = firstEnd
            return nil
        }
        let secondEnd = text.runEnd(from: firstEnd + 4, ByteClass.isTokenChar)
        guard secondEnd - firstEnd - 1 >= 10, text[secondEnd] == UInt8(ascii: ".") else {
            // Any start inside the first segment fails the same way; one inside the second is a
            // different attempt (its first segment is the rest of this run), scanned at most once.
            jwtBlockedUntil = firstEnd
            return nil
        }
        var end = text.runEnd(from: secondEnd + 1, ByteClass.isTokenChar)
        end = text.runEnd(from: end, limit: 2) { $0 == UInt8(ascii: "=") }
        return (index..<end, .jwt)
    }
}
