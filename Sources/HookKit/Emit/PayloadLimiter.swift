import HookKitSystem

/// Cuts an oversized JSON payload down to a byte limit while keeping it valid JSON.
///
/// Only string values are shortened (keys, numbers and structure stay), longest first: every
/// string longer than a common threshold is cut to that threshold and ends with a marker giving
/// its original length, so a reader can tell what happened. The threshold is the largest one that
/// brings the text under the limit.
package enum PayloadLimiter {
    /// The result of limiting.
    package enum Outcome: Sendable, Equatable {
        /// The text was within the limit and is unchanged.
        case unchanged
        /// The text was shortened to these bytes.
        case shortened([UInt8])
        /// Even with every string emptied the text would be over the limit (its structure alone is
        /// too large).
        case structureTooLarge
    }

    /// Limits `minified`, a valid, minified JSON text (as ``JSONScanner`` produces), to `limit` bytes.
    package static func limit(_ minified: [UInt8], to limit: Int) -> Outcome {
        guard minified.count > limit else { return .unchanged }
        let spans = valueStringSpans(minified)
        let longest = spans.map(\.count).max() ?? 0
        // The largest threshold whose result fits. Savings only grow as the threshold falls.
        func size(threshold: Int) -> Int {
            var total = minified.count
            for span in spans where span.count > threshold + marker(originalLength: span.count).count {
                total -= span.count - threshold - marker(originalLength: span.count).count
            }
            return total
        }
        guard size(threshold: 0) <= limit else { return .structureTooLarge }
        var low = 0  // fits
        var high = longest  // the text at `longest` is the original, which does not fit
        while high - low > 1 {
            let middle = (low + high) / 2
            if size(threshold: middle) <= limit { low = middle } else { high = middle }
        }
        return .shortened(rewrite(minified, spans: spans, threshold: low))
    }

    /// The marker appended to a shortened string's kept prefix.
    static func marker(originalLength: Int) -> [UInt8] {
        Array("…[truncated from \(originalLength) bytes]".utf8)
    }

    /// The contents (between the quotes) of every string that is a value, not a key.
    static func valueStringSpans(_ text: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var index = 0
        while index < text.count {
            guard text[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            let start = index + 1
            index = start
            while text[index] != UInt8(ascii: "\"") { index += text[index] == UInt8(ascii: "\\") ? 2 : 1 }
            let end = index
            index += 1
            if index >= text.count || text[index] != UInt8(ascii: ":") { spans.append(start..<end) }
        }
        return spans
    }

    static func rewrite(_ text: [UInt8], spans: [Range<Int>], threshold: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var copied = 0
        for span in spans where span.count > threshold + marker(originalLength: span.count).count {
            let cut = safeCut(text, span: span, atMost: threshold)
            output.append(contentsOf: text[copied..<cut])
            output.append(contentsOf: marker(originalLength: span.count))
            copied = span.upperBound
        }
        output.append(contentsOf: text[copied...])
        return output
    }

    /// The last position at most `count` bytes into the string that does not split an escape
    /// sequence or a UTF-8 character.
    static func safeCut(_ text: [UInt8], span: Range<Int>, atMost count: Int) -> Int {
        var index = span.lowerBound
        let limit = span.lowerBound + count
        while index < span.upperBound {
            let byte = text[index]
            let length: Int
            if byte == UInt8(ascii: "\\") {
                length = text[index + 1] == UInt8(ascii: "u") ? 6 : 2
            } else if byte < 0x80 {
                length = 1
            } else {
                length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            }
            if index + length > limit { break }
            index += length
        }
        return index
    }
}
