/// Literals and Swift values as ``JSONValue``s, so that a payload reads like the JSON it becomes.

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object with the literal's members, in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { Member($0.0, $0.1) })
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array of the literal's elements.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string (interpolations too: `"run \(number)"`).
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByStringInterpolation {}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// A number.
    public init(integerLiteral value: Int64) {
        self = .number(String(value))
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A number, written as `JSONValue(Double)` writes it.
    public init(floatLiteral value: Double) {
        self.init(value)
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// `null`.
    ///
    /// Where a `JSONValue?` is expected, `nil` is still `Optional.none`, but a conditional
    /// expression types both branches alike: `isEmpty ? nil : value` is a `JSONValue` null, wrapped
    /// in an optional. Write `.none` (or an `if`) for "no value".
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue {
    /// A number with the integer's exact digits.
    public init(_ value: some BinaryInteger) {
        self = .number(String(value))
    }

    /// A number written with the shortest digits that read back as `value`; `null` for infinity
    /// and NaN, which JSON cannot express.
    public init(_ value: Double) {
        guard value.isFinite else {
            self = .null
            return
        }
        // Swift writes 1e+20 and 5e-324: valid JSON. Integral values lose the ".0".
        var text = String(value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        self = .number(text)
    }
}
