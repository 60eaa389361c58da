import HookKitSystem

/// The kind of a JSON value.
package enum JSONKind: Sendable, Equatable {
    case object, array, string, number, bool, null
}

/// Why a text is not valid JSON, and where.
package struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input where the problem was found.
    package var offset: Int
    /// A short, human-readable reason ("unexpected end of input", "invalid UTF-8", ...).
    package var reason: String
    /// The text may be valid but goes past a limit the caller set (nesting depth, elements).
    package var isLimit: Bool

    /// Creates an error.
    package init(offset: Int, reason: String, isLimit: Bool = false) {
        self.offset = offset
        self.reason = reason
        self.isLimit = isLimit
    }

    /// "reason at byte N".
    package var description: String { "\(reason) at byte \(offset)" }
}

/// A validated JSON text, minified, with an index of its top level.
package struct ScannedJSON: Sendable {
    /// A member of the root object.
    package struct Member: Sendable, Equatable {
        /// The member's name, unescaped.
        package var key: String
        /// The kind of the member's value.
        package var kind: JSONKind
        /// Where the value's text lies in ``ScannedJSON/minified``.
        package var range: Range<Int>
    }

    /// An element of the root array.
    package struct Element: Sendable, Equatable {
        /// The kind of the element.
        package var kind: JSONKind
        /// Where the element's text lies in ``ScannedJSON/minified``.
        package var range: Range<Int>
    }

    /// The input without insignificant white space; every token is copied verbatim, so numbers
    /// such as `1e400` keep their exact text and duplicate keys stay as they were.
    package var minified: [UInt8]
    /// The kind of the root value.
    package var rootKind: JSONKind
    /// The root object's members, in input order (duplicates included); empty for other roots.
    package var members: [Member]
    /// The root array's elements, in order; empty for other roots.
    package var elements: [Element]

    /// The last member named `key`, as JSON allows duplicates and JavaScript keeps the last.
    package func member(_ key: String) -> Member? {
        members.last { $0.key == key }
    }

    /// The value of the last member named `key` if it is a string, unescaped.
    package func string(forKey key: String) -> String? {
        guard let member = member(key), member.kind == .string else { return nil }
        return minified.withUnsafeBufferPointer { buffer in
            JSONString.decode(
                UnsafeBufferPointer(rebasing: buffer[(member.range.lowerBound + 1)..<(member.range.upperBound - 1)]))
        }
    }

    /// The text of the last member named `key`, whatever its kind.
    package func text(forKey key: String) -> ArraySlice<UInt8>? {
        member(key).map { minified[$0.range] }
    }
}

/// A validating RFC 8259 scanner that minifies as it goes.
///
/// It is iterative, so nesting depth costs one byte of stack per level and a 100,000-deep input
/// cannot overflow the call stack; it is strict about UTF-8 (no overlong forms, no surrogates),
/// control characters and escapes, and it never rounds numbers because it never converts them.
package enum JSONScanner {
    /// Validates `bytes` as one JSON text and returns it minified with its top-level index.
    /// Containers nested deeper than `maxDepth` levels (the root is level 1) are refused, and so
    /// is a root array of more than `maxRootElements` elements, as soon as the next one starts
    /// (the error's ``JSONSyntaxError/isLimit`` tells these apart from bad syntax).
    package static func scan(
        _ bytes: [UInt8], maxDepth: Int = .max, maxRootElements: Int = .max
    ) throws(JSONSyntaxError) -> ScannedJSON {
        let result: Result<ScannedJSON, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONSyntaxError) in
                try scan(buffer, maxDepth: maxDepth, maxRootElements: maxRootElements)
            }
        }
        return try result.get()
    }

    /// Validates `bytes` as one JSON text and returns it minified with its top-level index
    /// (limits as in ``scan(_:maxDepth:maxRootElements:)``).
    package static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = .max, maxRootElements: Int = .max
    ) throws(JSONSyntaxError) -> ScannedJSON {
        var scanner = Scanner(input: bytes)
        scanner.maxDepth = maxDepth
        scanner.maxRootElements = maxRootElements
        return try scanner.run()
    }
}

private struct Scanner {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    var output: [UInt8] = []
    /// One entry per open container: `true` for an object, `false` for an array.
    var stack: [Bool] = []
    var maxDepth = Int.max
    var maxRootElements = Int.max
    var members: [ScannedJSON.Member] = []
    var elements: [ScannedJSON.Element] = []
    // The top-level value being scanned: its key (root objects), kind and start in `output`.
    var pendingKey = ""
    var pendingKind = JSONKind.null
    var pendingStart = 0

    init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
        output.reserveCapacity(input.count)
    }

    func fail(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, reason: position >= input.count ? "unexpected end of input" : reason)
    }

    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next significant byte, or nil at the end of input.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < input.count ? input[position] : nil
    }

    mutating func run() throws(JSONSyntaxError) -> ScannedJSON {
        guard peek() != nil else { throw JSONSyntaxError(offset: 0, reason: "empty input") }
        let rootKind = try scanValues()
        if peek() != nil { throw fail("unexpected data after the JSON value") }
        return ScannedJSON(minified: output, rootKind: rootKind, members: members, elements: elements)
    }

    /// Scans one complete value (with everything nested in it) and returns the root's kind.
    mutating func scanValues() throws(JSONSyntaxError) -> JSONKind {
        var rootKind = JSONKind.null
        var expectingValue = true
        while true {
            if expectingValue {
                guard let byte = peek() else { throw fail("") }
                let kind = try kindOf(byte)
                if stack.isEmpty { rootKind = kind }
                if stack.count == 1 { try beginTopLevel(kind) }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if stack.count >= maxDepth {
                        throw JSONSyntaxError(
                            offset: position, reason: "nesting deeper than \(maxDepth) levels", isLimit: true)
                    }
                    let isObject = byte == UInt8(ascii: "{")
                    output.append(byte)
                    position += 1
                    let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    if peek() == close {
                        output.append(close)
                        position += 1
                        // An empty container is a complete value: fall through to "after value".
                    } else {
                        stack.append(isObject)
                        if isObject { try scanKeyAndColon() }
                        continue
                    }
                case UInt8(ascii: "\""): try scanString()
                case UInt8(ascii: "t"): try scanLiteral("true")
                case UInt8(ascii: "f"): try scanLiteral("false")
                case UInt8(ascii: "n"): try scanLiteral("null")
                default: try scanNumber()
                }
                expectingValue = false
            }
            // After a complete value: close containers, or move to the next member/element.
            if stack.count == 1 { endTopLevel() }
            guard let isObject = stack.last else { return rootKind }
            guard let byte = peek() else { throw fail("") }
            if byte == UInt8(ascii: ",") {
                output.append(byte)
                position += 1
                if isObject { try scanKeyAndColon() }
                expectingValue = true
            } else if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                output.append(byte)
                position += 1
                stack.removeLast()
            } else {
                throw fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }
    }

    func kindOf(_ byte: UInt8) throws(JSONSyntaxError) -> JSONKind {
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw fail("unexpected byte 0x\(String(byte, radix: 16)) where a value was expected")
        }
    }

    mutating func beginTopLevel(_ kind: JSONKind) throws(JSONSyntaxError) {
        if !stack[0], elements.count >= maxRootElements {
            throw JSONSyntaxError(
                offset: position, reason: "more than \(maxRootElements) array elements", isLimit: true)
        }
        pendingKind = kind
        pendingStart = output.count
    }

    mutating func endTopLevel() {
        let range = pendingStart..<output.count
        if stack[0] {
            members.append(.init(key: pendingKey, kind: pendingKind, range: range))
        } else {
            elements.append(.init(kind: pendingKind, range: range))
        }
    }

    mutating func scanKeyAndColon() throws(JSONSyntaxError) {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let start = output.count
        try scanString()
        if stack.count == 1 {
            pendingKey = output.withUnsafeBufferPointer { buffer in
                JSONString.decode(UnsafeBufferPointer(rebasing: buffer[(start + 1)..<(output.count - 1)]))
            }
        }
        guard peek() == UInt8(ascii: ":") else { throw fail("expected ':'") }
        output.append(UInt8(ascii: ":"))
        position += 1
    }

    mutating func scanLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard input.count - position >= count else { throw fail("") }
        for index in 0..<count where input[position + index] != literal.utf8Start[index] {
            throw fail("invalid literal")
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[position..<(position + count)]))
        position += count
    }

    mutating func scanNumber() throws(JSONSyntaxError) {
        let start = position
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func at(_ index: Int) -> UInt8 { index < input.count ? input[index] : 0 }
        if at(position) == UInt8(ascii: "-") { position += 1 }
        if at(position) == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(at(position)) {
            while isDigit(at(position)) { position += 1 }
        } else {
            throw fail("invalid number")
        }
        if at(position) == UInt8(ascii: ".") {
            position += 1
            guard isDigit(at(position)) else { throw fail("invalid number") }
            while isDigit(at(position)) { position += 1 }
        }
        if at(position) | 0x20 == UInt8(ascii: "e") {
            position += 1
            if at(position) == UInt8(ascii: "+") || at(position) == UInt8(ascii: "-") { position += 1 }
            guard isDigit(at(position)) else { throw fail("invalid number") }
            while isDigit(at(position)) { position += 1 }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
    }

    /// Scans a string starting at its opening quote and copies it verbatim.
    mutating func scanString() throws(JSONSyntaxError) {
        let start = position
        position += 1
        let end = input.count
        while true {
            guard position < end else { throw fail("") }
            let byte = input[position]
            if byte >= 0x20 && byte < 0x80 {
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") { try scanEscape() } else { position += 1 }
            } else if byte < 0x20 {
                throw fail("control character in string")
            } else {
                try scanUTF8Sequence(lead: byte)
            }
        }
        position += 1
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
    }

    mutating func scanEscape() throws(JSONSyntaxError) {
        position += 1
        guard position < input.count else { throw fail("") }
        switch input[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            for _ in 0..<4 {
                guard position < input.count else { throw fail("") }
                guard JSONString.hexValue(input[position]) != nil else { throw fail("invalid \\u escape") }
                position += 1
            }
        default:
            throw fail("invalid escape")
        }
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: shortest form, no surrogates).
    mutating func scanUTF8Sequence(lead: UInt8) throws(JSONSyntaxError) {
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard input.count - position >= length else { throw fail("invalid UTF-8") }
        let second = input[position + 1]
        guard second >= lower && second <= upper else { throw fail("invalid UTF-8") }
        for index in 2..<max(2, length) where input[position + index] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8")
        }
        position += length
    }
}
