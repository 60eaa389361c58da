import HookKitSystem

/// A JSON value: an event's payload for ``EventEmitter/send(_:eventType:)``, and the tree
/// HookKit uses for settings files and hub responses.
///
/// Numbers keep their exact text and objects keep their member order (a dictionary literal's
/// order included). Literals of every JSON kind build one:
///
/// ```swift
/// let payload: JSONValue = ["session_id": "s1", "ok": true, "n": 3, "ratio": 0.5, "tags": ["a", "b"], "none": nil]
/// ```
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its exact JSON text (never rounded through a `Double`). The text must be a
    /// JSON number; `JSONValue(someInteger)` and `JSONValue(someDouble)` make one from a value.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object's members in order; duplicate keys are kept as they were.
    case object([Member])

    /// A member of an object.
    public struct Member: Sendable, Equatable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// How deep a tree ``parse(_:maximumDepth:)`` builds before refusing; the scanner itself has
    /// no depth limit, the tree (built recursively) does.
    package static let defaultMaximumDepth = 512

    /// Parses one JSON text.
    package static func parse(
        _ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth
    ) throws(JSONSyntaxError) -> JSONValue {
        let scanned = try JSONScanner.scan(bytes)
        var builder = TreeBuilder(text: scanned.minified, maximumDepth: maximumDepth)
        return try builder.value(depth: 0)
    }

    /// Parses one JSON text.
    package static func parse(
        _ text: String, maximumDepth: Int = defaultMaximumDepth
    ) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    /// The value of the last member named `key`, when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, when this is a number that is an integer within `Int64`.
    public var integerValue: Int64? {
        if case .number(let text) = self { Int64(text) } else { nil }
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// The members, when this is an object.
    public var objectValue: [Member]? {
        if case .object(let members) = self { members } else { nil }
    }

    /// The JSON text: compact, or indented by two spaces per level when `pretty`.
    public func serialized(pretty: Bool = false) -> String {
        var output: [UInt8] = []
        write(to: &output, pretty: pretty, indent: 0)
        return String(decoding: output, as: UTF8.self)
    }

    private func write(to output: inout [UInt8], pretty: Bool, indent: Int) {
        func newline(_ level: Int) {
            guard pretty else { return }
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
        }
        switch self {
        case .null: JSONWriter.append("null", to: &output)
        case .bool(let value): value ? JSONWriter.append("true", to: &output) : JSONWriter.append("false", to: &output)
        case .number(let text): output.append(contentsOf: text.utf8)
        case .string(let value): JSONWriter.appendString(value, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                element.write(to: &output, pretty: pretty, indent: indent + 1)
            }
            if !elements.isEmpty { newline(indent) }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                JSONWriter.appendString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                if pretty { output.append(UInt8(ascii: " ")) }
                member.value.write(to: &output, pretty: pretty, indent: indent + 1)
            }
            if !members.isEmpty { newline(indent) }
            output.append(UInt8(ascii: "}"))
        }
    }
}

/// Builds a ``JSONValue`` from text the scanner has already validated and minified, so it only
/// has to split tokens, never to reject them (except for depth).
private struct TreeBuilder {
    let text: [UInt8]
    let maximumDepth: Int
    var position = 0

    init(text: [UInt8], maximumDepth: Int) {
        self.text = text
        self.maximumDepth = maximumDepth
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        let byte = text[position]
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maximumDepth else {
                throw JSONSyntaxError(offset: position, reason: "nested deeper than \(maximumDepth) levels")
            }
            let isObject = byte == UInt8(ascii: "{")
            position += 1
            var members: [JSONValue.Member] = []
            var elements: [JSONValue] = []
            while text[position] != (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                if text[position] == UInt8(ascii: ",") { position += 1 }
                if isObject {
                    let key = string()
                    position += 1  // ':'
                    members.append(.init(key, try value(depth: depth + 1)))
                } else {
                    elements.append(try value(depth: depth + 1))
                }
            }
            position += 1
            return isObject ? .object(members) : .array(elements)
        case UInt8(ascii: "\""): return .string(string())
        case UInt8(ascii: "t"): position += 4; return .bool(true)
        case UInt8(ascii: "f"): position += 5; return .bool(false)
        case UInt8(ascii: "n"): position += 4; return .null
        default:
            let start = position
            while position < text.count, !isDelimiter(text[position]) { position += 1 }
            return .number(String(decoding: text[start..<position], as: UTF8.self))
        }
    }

    private func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
    }

    /// Reads a string token starting at its opening quote.
    mutating func string() -> String {
        let start = position + 1
        position = start
        while text[position] != UInt8(ascii: "\"") {
            position += text[position] == UInt8(ascii: "\\") ? 2 : 1
        }
        position += 1
        return text.withUnsafeBufferPointer {
            JSONString.decode(UnsafeBufferPointer(rebasing: $0[start..<(position - 1)]))
        }
    }
}
