import HookKitSystem

/// `high-entropy` (strict mode): a run of at least 32 characters of `[A-Za-z0-9+/_-]` (and `=`
/// padding at its end) whose Shannon entropy is at least 4.0 bits per character.
///
/// Left alone: hex-only runs (git SHAs, UUIDs, content hashes), runs without both letters and
/// digits (long identifiers, words), paths (mostly `/`-separated word segments),
/// subresource-integrity hashes
/// (`sha512-...`) and `data:...;base64,` payloads (images). Runs are disjoint, so each byte is
/// counted once.
enum EntropyScanner {
    /// The shortest run considered.
    static let minimumLength = 32
    /// The least entropy, in bits per character.
    static let minimumBitsPerCharacter = 4.0

    /// The run alphabet: base64 and base64url.
    @inline(__always) static func isRunByte(_ byte: UInt8) -> Bool {
        ByteClass.isTokenChar(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            || byte == UInt8(ascii: "=")
    }

    /// Whether the run `range` of `text`, already known to be long enough and to mix letters and
    /// digits without being hex, is a high-entropy token. `counts` is 256 zeroed slots of scratch
    /// space, left zeroed.
    static func isHighEntropy(_ text: ScanText, _ range: Range<Int>, counts: UnsafeMutableBufferPointer<Int>) -> Bool {
        if isIntegrityHash(text, range) || isDataURL(text, before: range.lowerBound) || isPath(text, range) {
            return false
        }
        for position in range { counts[Int(text.bytes[position])] += 1 }
        let length = Double(range.count)
        var entropy = 0.0
        for position in range {
            let count = counts[Int(text.bytes[position])]
            guard count > 0 else { continue }
            let probability = Double(count) / length
            entropy -= probability * log2(probability)
            counts[Int(text.bytes[position])] = 0
        }
        return entropy >= minimumBitsPerCharacter
    }

    /// A path or URL path: at least two `/`-separated segments, and at least half of them, made of
    /// two or more letters, `-` or `_` with no digit (`usr/lib`, `projects/-home-dev-app`). In a
    /// random base64 token such segments are rare and short, so a blob never reads as a path.
    private static func isPath(_ text: ScanText, _ range: Range<Int>) -> Bool {
        var segments = 0
        var wordSegments = 0
        var length = 0
        var wordLike = true
        var sawSlash = false
        func endSegment() {
            if length > 0 { segments += 1 }
            if wordLike && length >= 2 { wordSegments += 1 }
            length = 0
            wordLike = true
        }
        for position in range {
            let byte = text.bytes[position]
            if byte == UInt8(ascii: "/") {
                sawSlash = true
                endSegment()
            } else {
                length += 1
                if !(ByteClass.isAlpha(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")) {
                    wordLike = false
                }
            }
        }
        endSegment()
        return sawSlash && wordSegments >= 2 && 2 * wordSegments >= segments
    }

    /// `sha1-`, `sha256-`, `sha384-`, `sha512-` followed by base64: a lock file's integrity hash.
    private static func isIntegrityHash(_ text: ScanText, _ range: Range<Int>) -> Bool {
        guard text.has("sha", at: range.lowerBound) else { return false }
        let digitsEnd = text.runEnd(from: range.lowerBound + 3, limit: 4, ByteClass.isDigit)
        return digitsEnd > range.lowerBound + 3 && text[digitsEnd] == UInt8(ascii: "-")
    }

    /// Whether the run starting at `start` follows `;base64,` (a data URL).
    private static func isDataURL(_ text: ScanText, before start: Int) -> Bool {
        text.has(";base64,", at: start - 8)
    }
}
