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
        let bytes = text.bytes
        let count = bytes.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            let match: (Range<Int>, RedactionRule)?
            if ByteClass.isAlnum(byte) {
                // Token rules start only at a word start; the rest of the word can be skipped.
                match = ByteClass.isAlpha(byte) && atWordStart(index) ? prefixedSecret(at: index) : nil
                if match == nil {
                    index = ByteSearch.firstNonAlnum(in: bytes, from: index + 1)
                    continue
                }
            } else {
                switch byte {
                case UInt8(ascii: ":"): match = urlCredentials(at: index) ?? assignment(at: index)
                case UInt8(ascii: "="): match = assignment(at: index)
                case UInt8(ascii: "-") where index + 10 < count && bytes[index + 1] == UInt8(ascii: "-"):
                    match = privateKey(at: index)
                default: match = nil
                }
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
        // The first two bytes decide which rules can apply, so most words cost one switch.
        switch (text.bytes[index], text[index + 1]) {
        case (UInt8(ascii: "A"), UInt8(ascii: "K")), (UInt8(ascii: "A"), UInt8(ascii: "S")),
            (UInt8(ascii: "A"), UInt8(ascii: "B")), (UInt8(ascii: "A"), UInt8(ascii: "C")):
            awsAccessKeyID(at: index)
        case (UInt8(ascii: "A"), UInt8(ascii: "I")): googleAPIKey(at: index)
        case (UInt8(ascii: "A"), UInt8(ascii: "W")), (UInt8(ascii: "a"), UInt8(ascii: "w")),
            (UInt8(ascii: "A"), UInt8(ascii: "w")), (UInt8(ascii: "a"), UInt8(ascii: "W")):
            awsSecretArgument(at: index)
        case (UInt8(ascii: "g"), UInt8(ascii: "h")), (UInt8(ascii: "g"), UInt8(ascii: "i")): githubToken(at: index)
        case (UInt8(ascii: "g"), UInt8(ascii: "l")): gitlabToken(at: index)
        case (UInt8(ascii: "s"), UInt8(ascii: "k")):
            anthropicKey(at: index) ?? openaiKey(at: index) ?? stripeKey(at: index)
        case (UInt8(ascii: "r"), UInt8(ascii: "k")): stripeKey(at: index)
        case (UInt8(ascii: "x"), UInt8(ascii: "o")): slackToken(at: index)
        case (UInt8(ascii: "n"), UInt8(ascii: "p")): npmToken(at: index)
        case (UInt8(ascii: "e"), UInt8(ascii: "y")): jwt(at: index)
        case (UInt8(ascii: "-"), UInt8(ascii: "-")): privateKey(at: index)
        default: nil
        }
    }

    /// Whether a token may start at `index`: at the start, right after a redaction, or after a
    /// byte that is not a letter or digit.
    @inline(__always) func atWordStart(_ index: Int) -> Bool {
        index == 0 || index == writer.copied || !ByteClass.isAlnum(text[index - 1])
    }
}
