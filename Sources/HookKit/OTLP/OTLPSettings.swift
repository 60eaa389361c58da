import HookKitSystem

/// Why the OTLP settings in the environment cannot be used: the variable and the reason.
package struct OTLPSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault.
    package var variable: String
    /// What is wrong with it.
    package var reason: String

    package init(_ variable: String, _ reason: String) {
        self.variable = variable
        self.reason = reason
    }

    /// `CLAUDE_OBSERVABILITY_OTLP_PROTOCOL: "grpc" is not supported ...`.
    package var description: String { "\(variable): \(reason)" }
}

/// How hook events become spans and logs: the part of the OTLP settings the mapper needs.
package struct OTLPMappingOptions: Sendable, Equatable {
    /// Record tool arguments and results (`gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`),
    /// at most ``contentCapBytes`` each (`CLAUDE_OBSERVABILITY_OTLP_CONTENT=1`).
    package var recordsContent = false
    /// A span with no activity for this long (in event time) is emitted as incomplete
    /// (`CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT`, seconds, default 3600).
    package var spanTimeoutSeconds: Int64 = 3600
    /// Most spans kept open; past it the least recently active are emitted as incomplete.
    package var maxOpenSpans = 10_000
    /// `service.name` (`OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`,
    /// else `claude-code`).
    package var serviceName = OTLPMappingOptions.defaultServiceName
    /// `OTEL_RESOURCE_ATTRIBUTES`, parsed (without `service.name`, which is ``serviceName``).
    package var resourceAttributes: [OTLPAttribute] = []

    /// The default `service.name`.
    package static let defaultServiceName = "claude-code"
    /// The most bytes of tool arguments or results recorded in one attribute.
    package static let contentCapBytes = 8 * 1024

    package init() {}
}

/// The OTLP sink's settings, from the environment: where to send, how, and the mapping options.
///
/// The sink is off unless `CLAUDE_OBSERVABILITY_OTLP_ENDPOINT` is set; ``parse(lookup:)`` then
/// returns nil. Every invalid value is refused with the variable and the reason, never silently
/// replaced by a default.
package struct OTLPSettings: Sendable, Equatable {
    /// The OTLP/HTTP encodings.
    package enum WireProtocol: String, Sendable, Equatable {
        /// Protobuf bodies (`application/x-protobuf`), the default.
        case protobuf = "http/protobuf"
        /// OTLP/JSON bodies (`application/json`).
        case json = "http/json"

        /// The requests' `Content-Type`.
        package var contentType: String {
            self == .protobuf ? OTLPProtobufEncoder.contentType : OTLPJSONEncoder.contentType
        }
    }

    /// The receiver's base URL (`CLAUDE_OBSERVABILITY_OTLP_ENDPOINT`, e.g. `http://localhost:4318`).
    package var endpoint: HTTPEndpoint
    /// Extra request headers (`CLAUDE_OBSERVABILITY_OTLP_HEADERS`, `key=value,key2=value2`,
    /// percent-decoded), e.g. an API key.
    package var headers: HTTPHeaders
    /// The encoding (`CLAUDE_OBSERVABILITY_OTLP_PROTOCOL`).
    package var wireProtocol: WireProtocol
    /// How events become spans and logs.
    package var mapping: OTLPMappingOptions

    /// The path of the traces endpoint, below the base URL's path.
    package static let tracesPath = "/v1/traces"
    /// The path of the logs endpoint, below the base URL's path.
    package static let logsPath = "/v1/logs"

    /// Creates settings.
    package init(
        endpoint: HTTPEndpoint, headers: HTTPHeaders = [:], wireProtocol: WireProtocol = .protobuf,
        mapping: OTLPMappingOptions = OTLPMappingOptions()
    ) {
        self.endpoint = endpoint
        self.headers = headers
        self.wireProtocol = wireProtocol
        self.mapping = mapping
    }

    /// Reads the settings from an environment lookup; nil when `CLAUDE_OBSERVABILITY_OTLP_ENDPOINT`
    /// is unset or empty (the sink is off).
    package static func parse(lookup: (String) -> String?) throws(OTLPSettingsError) -> OTLPSettings? {
        func value(_ name: String) -> String? {
            guard let value = lookup(name)?.trimmingASCIIWhitespace, !value.isEmpty else { return nil }
            return value
        }
        guard let url = value("CLAUDE_OBSERVABILITY_OTLP_ENDPOINT") else { return nil }
        let endpoint = try parseEndpoint(url)

        var headers = HTTPHeaders()
        if let text = value("CLAUDE_OBSERVABILITY_OTLP_HEADERS") {
            for (name, headerValue) in try parseList(text, variable: "CLAUDE_OBSERVABILITY_OTLP_HEADERS") {
                try validateHeader(name: name, value: headerValue)
                headers.add(name, headerValue)
            }
        }

        var wireProtocol = WireProtocol.protobuf
        if let text = value("CLAUDE_OBSERVABILITY_OTLP_PROTOCOL") {
            guard let parsed = WireProtocol(rawValue: text) else {
                throw OTLPSettingsError(
                    "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL",
                    "\"\(text)\" is not supported: use http/protobuf (the default) or http/json"
                        + (text == "grpc" ? " (HookKit speaks OTLP over HTTP only)" : ""))
            }
            wireProtocol = parsed
        }

        var mapping = OTLPMappingOptions()
        if let text = value("CLAUDE_OBSERVABILITY_OTLP_CONTENT") {
            switch text.lowercased() {
            case "1", "true", "yes", "on": mapping.recordsContent = true
            case "0", "false", "no", "off": mapping.recordsContent = false
            default:
                throw OTLPSettingsError("CLAUDE_OBSERVABILITY_OTLP_CONTENT", "\"\(text)\" is neither 1 nor 0")
            }
        }
        if let text = value("CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT") {
            guard let seconds = Int64(text), seconds >= 1, seconds <= 30 * 24 * 3600 else {
                throw OTLPSettingsError(
                    "CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT", "\"\(text)\" is not a number of seconds from 1 to 2592000"
                )
            }
            mapping.spanTimeoutSeconds = seconds
        }
        var serviceName: String?
        if let text = value("OTEL_RESOURCE_ATTRIBUTES") {
            for (key, attributeValue) in try parseList(text, variable: "OTEL_RESOURCE_ATTRIBUTES") {
                if key == "service.name" {
                    serviceName = attributeValue
                } else {
                    mapping.resourceAttributes.removeAll { $0.key == key }  // the last one wins
                    mapping.resourceAttributes.append(.string(key, attributeValue))
                }
            }
        }
        mapping.serviceName = value("OTEL_SERVICE_NAME") ?? serviceName ?? OTLPMappingOptions.defaultServiceName
        return OTLPSettings(endpoint: endpoint, headers: headers, wireProtocol: wireProtocol, mapping: mapping)
    }

    private static func parseEndpoint(_ url: String) throws(OTLPSettingsError) -> HTTPEndpoint {
        let variable = "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT"
        guard let endpoint = HTTPEndpoint(url: url) else {
            throw OTLPSettingsError(variable, "\"\(url)\" is not an http:// or https:// URL")
        }
        for signal in [tracesPath, logsPath] where endpoint.basePath.hasSuffix(signal) {
            throw OTLPSettingsError(
                variable, "give the base URL (such as http://localhost:4318), without \(signal): HookKit adds it")
        }
        return endpoint
    }

    /// Splits `key=value,key2=value2` (W3C Baggage style, as `OTEL_EXPORTER_OTLP_HEADERS` and
    /// `OTEL_RESOURCE_ATTRIBUTES`): keys and values percent-decoded and trimmed, empty entries
    /// skipped.
    package static func parseList(
        _ text: String, variable: String
    ) throws(OTLPSettingsError) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(entry).trimmingASCIIWhitespace
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw OTLPSettingsError(variable, "entry \"\(trimmed)\" has no '=' (expected key=value,key2=value2)")
            }
            guard let key = percentDecoded(String(trimmed[..<equals]))?.trimmingASCIIWhitespace,
                let value = percentDecoded(String(trimmed[trimmed.index(after: equals)...]))?.trimmingASCIIWhitespace
            else {
                throw OTLPSettingsError(variable, "entry \"\(trimmed)\" has an invalid %-escape or is not UTF-8")
            }
            guard !key.isEmpty else { throw OTLPSettingsError(variable, "entry \"\(trimmed)\" has an empty key") }
            result.append((key, value))
        }
        return result
    }

    private static func validateHeader(name: String, value: String) throws(OTLPSettingsError) {
        let variable = "CLAUDE_OBSERVABILITY_OTLP_HEADERS"
        // RFC 9110 token characters.
        let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)
        let isToken = name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || tokenPunctuation.contains($0)
        }
        guard isToken else { throw OTLPSettingsError(variable, "\"\(name)\" is not a valid header name") }
        for managed in ["Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection"]
        where HTTPHeaders.equalNames(name, managed) {
            throw OTLPSettingsError(variable, "\(managed) is set by HookKit and cannot be given here")
        }
        // No control characters (CR and LF would split the request), tab allowed.
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f || $0 == 0x09 }) else {
            throw OTLPSettingsError(variable, "the value of \(name) contains a control character")
        }
    }

    /// `%XX` escapes decoded; nil for a malformed escape or a result that is not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(JSONString.hexValue),
                let low = iterator.next().flatMap(JSONString.hexValue)
            else { return nil }
            bytes.append(UInt8(high << 4 | low))
        }
        var validator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&validator) {
            case .scalarValue: continue
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: return nil
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    fileprivate var trimmingASCIIWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
