import HookKitSystem

/// An OTLP `AnyValue`: the value of an attribute or of a log record's body.
package enum OTLPValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case array([OTLPValue])
    case keyValueList([OTLPAttribute])
    case bytes([UInt8])
}

/// An OTLP `KeyValue`: one attribute.
package struct OTLPAttribute: Sendable, Equatable {
    /// The attribute's name, for example `gen_ai.tool.name`.
    package var key: String
    /// Its value.
    package var value: OTLPValue

    /// Creates an attribute.
    package init(_ key: String, _ value: OTLPValue) {
        self.key = key
        self.value = value
    }

    /// A string attribute.
    package static func string(_ key: String, _ value: String) -> OTLPAttribute { .init(key, .string(value)) }

    /// A boolean attribute.
    package static func bool(_ key: String, _ value: Bool) -> OTLPAttribute { .init(key, .bool(value)) }

    /// An integer attribute.
    package static func int(_ key: String, _ value: Int64) -> OTLPAttribute { .init(key, .int(value)) }
}
