/// `CLAUDE_OBSERVABILITY_REDACT_WORDS`: literal strings (a customer's name, an internal host)
/// replaced by `[REDACTED:custom]` wherever they occur, ignoring ASCII case.
///
/// Each word is searched with Knuth-Morris-Pratt, so a text full of near-misses (`aaaa...ab` for
/// the word `aab`) still costs one pass per word. Longer words go first, so `acme corp` wins over
/// `acme`.
struct CustomWords: Sendable {
    private struct Word: Sendable {
        /// The word, ASCII-lowercased.
        var bytes: [UInt8]
        /// KMP failure function: the length of the longest proper prefix that is also a suffix of
        /// `bytes[0...index]`.
        var failure: [Int]
    }

    private let words: [Word]

    /// Whether there is nothing to look for.
    var isEmpty: Bool { words.isEmpty }

    init(_ strings: [String]) {
        words = strings.map { Array($0.utf8).map(ByteClass.lowercased) }.filter { !$0.isEmpty }
            .sorted { $0.count > $1.count }
            .map { bytes in
                var failure = [Int](repeating: 0, count: bytes.count)
                var length = 0
                for index in 1..<max(1, bytes.count) {
                    while length > 0 && bytes[index] != bytes[length] { length = failure[length - 1] }
                    if bytes[index] == bytes[length] { length += 1 }
                    failure[index] = length
                }
                return Word(bytes: bytes, failure: failure)
            }
    }

    /// Replaces every occurrence of every word; nil when none occurs.
    func redact(_ input: UnsafeBufferPointer<UInt8>, counts: inout RedactionCounts) -> [UInt8]? {
        var current: [UInt8]?
        for word in words {
            let result = (current ?? []).withUnsafeBufferPointer { buffer in
                Self.replace(word, in: current == nil ? input : buffer)
            }
            if let (text, found) = result {
                current = text
                counts[.custom] += found
            }
        }
        return current
    }

    private static func replace(_ word: Word, in input: UnsafeBufferPointer<UInt8>) -> ([UInt8], Int)? {
        var writer = RedactionWriter(input)
        let pattern = word.bytes
        var matched = 0
        for index in 0..<input.count {
            let byte = ByteClass.lowercased(input[index])
            while matched > 0 && byte != pattern[matched] { matched = word.failure[matched - 1] }
            if byte == pattern[matched] { matched += 1 }
            if matched == pattern.count {
                writer.replace((index + 1 - pattern.count)..<(index + 1), with: .custom)
                matched = 0
            }
        }
        let found = writer.counts[.custom]
        return writer.finish().map { ($0, found) }
    }
}
