/// The `secrets` rules over one text, in a single left-to-right pass.
///
/// Each rule starts only at a byte that can begin it (a token prefix, `-----BEGIN`, or a `:` / `=`
/// separator), so most bytes cost one switch. After a match the pass resumes past it. Rules whose
/// alphabet contains `-` or `_` remember where a failed attempt's run ended (`...BlockedUntil`):
/// any attempt starting inside that run would see a shorter run and fail too, so nothing is
/// scanned twice and the pass stays linear even on adversarial near-misses.
struct SecretScanner {
    let text: ScanText
    var writer: RedactionWriter
    var githubPATBlockedUntil = 0
    var gitlabBlockedUntil = 0
    var anthropicBlockedUntil = 0
    var openaiBlockedUntil = 0
    var slackBlockedUntil = 0
    var googleBlockedUntil = 0
    var jwtBlockedUntil = 0
    var privateKeyBlockedUntil = 0
    var assignmentBlockedUntil = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        text = ScanText(bytes)
        writer = RedactionWriter(bytes)
    }

    /// Runs every rule; returns the redacted text, or nil when nothing matched.
    mutating func run() -> [UInt8]? {
        let count = text.count
        var index = 0
        while index < count {
            let match: (Range<Int>, RedactionRule)?
            switch text.bytes[index] {
            case UInt8(ascii: ":"): match = urlCredentials(at: index) ?? assignment(at: index)
            case UInt8(ascii: "="): match = assignment(at: index)
            default: match = prefixedSecret(at: index)
            }
            if let (range, rule) = match {
                writer.replace(range, with: rule)
                index = max(range.upperBound, index + 1)
            } else {
                index += 1
            }
        }
        return writer.finish()
    }

    /// The rules recognised by how the secret itself starts (tokens, keys, JWTs, PEM blocks).
    @inline(__always) mutating func prefixedSecret(at index: Int) -> (Range<Int>, RedactionRule)? {
        switch text.bytes[index] {
        case UInt8(ascii: "A"): awsAccessKeyID(at: index) ?? googleAPIKey(at: index) ?? awsSecretArgument(at: index)
        case UInt8(ascii: "a"): awsSecretArgument(at: index)
        case UInt8(ascii: "g"): githubToken(at: index) ?? gitlabToken(at: index)
        case UInt8(ascii: "s"): anthropicKey(at: index) ?? openaiKey(at: index) ?? stripeKey(at: index)
        case UInt8(ascii: "r"): stripeKey(at: index)
        case UInt8(ascii: "x"): slackToken(at: index)
        case UInt8(ascii: "n"): npmToken(at: index)
        case UInt8(ascii: "e"): jwt(at: index)
        case UInt8(ascii: "-"): privateKey(at: index)
        default: nil
        }
    }

    /// Whether a token may start at `index`: at the start, right after a redaction, or after a
    /// byte that is not a letter or digit.
    @inline(__always) func atWordStart(_ index: Int) -> Bool {
        index == 0 || index == writer.copied || !ByteClass.isAlnum(text[index - 1])
    }
}
