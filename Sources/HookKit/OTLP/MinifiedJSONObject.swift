import HookKitSystem

/// The top-level members of a JSON object inside text that ``JSONScanner`` has already
/// validated and minified, found without validating or copying it again: the OTLP mapping reads
/// a few fields of each event's `payload` (and of an `Agent` call's `tool_response`) this way
/// instead of scanning the payload a second time.
package struct MinifiedJSONObject {
    /// One member: its key (unescaped) and where its value lies in the text.
    package struct Member {
        package var key: String
        package var range: Range<Int>
        package var kind: JSONKind
    }

    /// The text the ranges point into.
    package let text: [UInt8]
    /// The members in order (duplicates kept; lookups take the last, as JavaScript does).
    package private(set) var members: [Member] = []

    /// Indexes the object at `range` of `text`; nil when that is not an object. `text` must be
    /// scanner output: valid, minified JSON (no white space between tokens).
    package init?(_ text: [UInt8], range: Range<Int>) {
        self.text = text
        guard range.count >= 2, text[range.lowerBound] == UInt8(ascii: "{") else { return nil }
        var position = range.lowerBound + 1
        let end = range.upperBound - 1  // the closing brace
        while position < end {
            if text[position] == UInt8(ascii: ",") { position += 1 }
            let keyStart = position
            position = Self.skipString(text, from: position)
            let key = text.withUnsafeBufferPointer {
                JSONString.decode(UnsafeBufferPointer(rebasing: $0[(keyStart + 1)..<(position - 1)]))
            }
            position += 1  // ':'
            let valueStart = position
            position = Self.skipValue(text, from: position)
            members.append(Member(key: key, range: valueStart..<position, kind: Self.kind(text[valueStart])))
        }
    }

    /// The last member named `key`.
    package func member(_ key: String) -> Member? { members.last { $0.key == key } }

    /// The value of `key` when it is a string, unescaped.
    package func string(_ key: String) -> String? {
        guard let member = member(key), member.kind == .string else { return nil }
        return text.withUnsafeBufferPointer {
            JSONString.decode(
                UnsafeBufferPointer(rebasing: $0[(member.range.lowerBound + 1)..<(member.range.upperBound - 1)]))
        }
    }

    /// The JSON text of `key`'s value.
    package func text(_ key: String) -> ArraySlice<UInt8>? { member(key).map { text[$0.range] } }

    /// The object that is `key`'s value, indexed the same way.
    package func object(_ key: String) -> MinifiedJSONObject? {
        guard let member = member(key), member.kind == .object else { return nil }
        return MinifiedJSONObject(text, range: member.range)
    }

    private static func kind(_ byte: UInt8) -> JSONKind {
        switch byte {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        default: .number
        }
    }

    /// The position after the string starting at `start` (its opening quote).
    private static func skipString(_ text: [UInt8], from start: Int) -> Int {
        var position = start + 1
        while text[position] != UInt8(ascii: "\"") {
            position += text[position] == UInt8(ascii: "\\") ? 2 : 1
        }
        return position + 1
    }

    /// The position after the value starting at `start`.
    private static func skipValue(_ text: [UInt8], from start: Int) -> Int {
        switch text[start] {
        case UInt8(ascii: "\""):
            return skipString(text, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var position = start
            repeat {
                switch text[position] {
                case UInt8(ascii: "\""):
                    position = skipString(text, from: position)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                position += 1
            } while depth > 0
            return position
        default:
            var position = start
            while position < text.count, text[position] != UInt8(ascii: ","), text[position] != UInt8(ascii: "}"),
                text[position] != UInt8(ascii: "]")
            {
                position += 1
            }
            return position
        }
    }
}
