import HookKit
import Testing

/// `OTLPSettings` from the environment, and the answer classifier as a pure function.
@Suite struct OTLPSettingsTests {
    static func parse(_ environment: [String: String]) throws(OTLPSettingsError) -> OTLPSettings? {
        try OTLPSettings.parse { environment[$0] }
    }

    static func error(_ environment: [String: String]) -> OTLPSettingsError? {
        do {
            _ = try parse(environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func isOffWithoutAnEndpoint() throws {
        #expect(try Self.parse([:]) == nil)
        #expect(try Self.parse(["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "  "]) == nil)
        // Other OTLP variables alone do not turn it on.
        #expect(try Self.parse(["CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "http/json"]) == nil)
    }

    @Test func readsTheDefaults() throws {
        let settings = try #require(try Self.parse(["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://localhost:4318"]))
        #expect(settings.endpoint == HTTPEndpoint(host: "localhost", port: 4318))
        #expect(settings.wireProtocol == .protobuf)
        #expect(settings.wireProtocol.contentType == "application/x-protobuf")
        #expect(settings.headers.fields.isEmpty)
        #expect(settings.mapping == OTLPMappingOptions())
        #expect(settings.mapping.recordsContent == false)
        #expect(settings.mapping.spanTimeoutSeconds == 3600)
        #expect(settings.mapping.serviceName == "claude-code")
    }

    @Test func readsEverySetting() throws {
        let settings = try #require(
            try Self.parse([
                "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "https://otlp.example.com/ingest/",
                "CLAUDE_OBSERVABILITY_OTLP_HEADERS": "Authorization=Bearer%20abc%3D%3D, x-honeycomb-team=k1,,",
                "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "http/json",
                "CLAUDE_OBSERVABILITY_OTLP_CONTENT": "1",
                "CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT": "120",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=dev,service.name=from-attributes,team=a%2Cb,team=c",
            ]))
        #expect(
            settings.endpoint == HTTPEndpoint(host: "otlp.example.com", port: 443, basePath: "/ingest", isTLS: true))
        #expect(settings.headers["Authorization"] == "Bearer abc==")
        #expect(settings.headers["x-honeycomb-team"] == "k1")
        #expect(settings.headers.fields.count == 2)
        #expect(settings.wireProtocol == .json)
        #expect(settings.mapping.recordsContent)
        #expect(settings.mapping.spanTimeoutSeconds == 120)
        #expect(settings.mapping.serviceName == "from-attributes")
        #expect(
            settings.mapping.resourceAttributes == [.string("deployment.environment", "dev"), .string("team", "c")])
        // OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES.
        let named = try #require(
            try Self.parse([
                "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://h:1", "OTEL_SERVICE_NAME": "my-agents",
                "OTEL_RESOURCE_ATTRIBUTES": "service.name=other",
            ]))
        #expect(named.mapping.serviceName == "my-agents")
    }

    @Test func refusesInvalidValuesWithTheReason() {
        let endpoint = ["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://localhost:4318"]
        func failure(_ extra: [String: String]) -> OTLPSettingsError? {
            Self.error(endpoint.merging(extra) { $1 })
        }
        #expect(
            Self.error(["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "localhost:4318"])?.variable
                == "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT")
        #expect(Self.error(["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "grpc://h:4317"]) != nil)
        #expect(
            Self.error(["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://h:4318/v1/traces"])?.reason.contains("base URL")
                == true)
        #expect(failure(["CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "grpc"])?.reason.contains("OTLP over HTTP only") == true)
        #expect(
            failure(["CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "http/protobuf2"])?.variable
                == "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL")
        #expect(
            failure(["CLAUDE_OBSERVABILITY_OTLP_CONTENT": "maybe"])?.variable == "CLAUDE_OBSERVABILITY_OTLP_CONTENT")
        for timeout in ["0", "-5", "1h", "99999999999"] {
            #expect(
                failure(["CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT": timeout])?.variable
                    == "CLAUDE_OBSERVABILITY_OTLP_SPAN_TIMEOUT")
        }
        for headers in [
            "novalue", "=v", "bad header=v", "x=%ZZ", "x=%0D%0AInjected: 1", "Content-Type=text/plain", "x=%FF",
        ] {
            let problem = failure(["CLAUDE_OBSERVABILITY_OTLP_HEADERS": headers])
            #expect(problem?.variable == "CLAUDE_OBSERVABILITY_OTLP_HEADERS", "\(headers) was accepted")
        }
        #expect(failure(["OTEL_RESOURCE_ATTRIBUTES": "a=1,b"])?.variable == "OTEL_RESOURCE_ATTRIBUTES")
    }

    // MARK: - Answers

    static let json: HTTPHeaders = ["Content-Type": "application/json"]
    static let protobuf: HTTPHeaders = ["Content-Type": "application/x-protobuf"]

    @Test func acceptsTwoHundredsAndCountsPartialSuccess() {
        #expect(
            OTLPAnswer.classify(status: 200, headers: [:], body: [], signal: .traces)
                == .accepted(rejected: 0, message: nil))
        #expect(
            OTLPAnswer.classify(status: 200, headers: Self.json, body: Array("{}".utf8), signal: .logs)
                == .accepted(rejected: 0, message: nil))
        let json = #"{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"too old"}}"#
        #expect(
            OTLPAnswer.classify(status: 200, headers: Self.json, body: Array(json.utf8), signal: .logs)
                == .accepted(rejected: 3, message: "too old"))
        let snake = #"{"partial_success":{"rejected_spans":2}}"#
        #expect(
            OTLPAnswer.classify(status: 200, headers: [:], body: Array(snake.utf8), signal: .traces)
                == .accepted(rejected: 2, message: nil))
        // ExportTraceServiceResponse { partial_success { rejected_spans: 5, error_message: "x" } }
        let protobuf: [UInt8] = [0x0A, 0x05, 0x08, 0x05, 0x12, 0x01, UInt8(ascii: "x")]
        #expect(
            OTLPAnswer.classify(status: 200, headers: Self.protobuf, body: protobuf, signal: .traces)
                == .accepted(rejected: 5, message: "x"))
        // A warning without rejections is still reported.
        let warning: [UInt8] = [0x0A, 0x03, 0x12, 0x01, UInt8(ascii: "w")]
        #expect(
            OTLPAnswer.classify(status: 202, headers: Self.protobuf, body: warning, signal: .logs)
                == .accepted(rejected: 0, message: "w"))
    }

    @Test func backsOffOnOverloadAndServerErrors() {
        var headers = Self.json
        headers.add("Retry-After", "30")
        for status in [429, 502, 503, 504] {
            #expect(
                OTLPAnswer.classify(status: status, headers: headers, body: [], signal: .traces)
                    == .backOff(reason: "OTLP receiver answered \(status) to /v1/traces", retryAfterSeconds: 30))
        }
        #expect(
            OTLPAnswer.classify(
                status: 500, headers: Self.json, body: Array(#"{"code":13,"message":"disk full"}"#.utf8), signal: .logs)
                == .backOff(reason: "OTLP receiver answered 500 to /v1/logs: disk full", retryAfterSeconds: nil))
        var dated = HTTPHeaders()
        dated.add("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")
        #expect(
            OTLPAnswer.classify(status: 503, headers: dated, body: [], signal: .traces)
                == .backOff(reason: "OTLP receiver answered 503 to /v1/traces", retryAfterSeconds: nil))
        #expect(
            OTLPAnswer.classify(HTTPClientError(.connect, "refused"), signal: .logs)
                == .backOff(reason: "sending /v1/logs: connect: refused", retryAfterSeconds: nil))
    }

    @Test func deadLettersOtherClientErrorsWithTheReason() {
        #expect(
            OTLPAnswer.classify(
                status: 400, headers: Self.json, body: Array(#"{"code":3,"message":"bad\nid"}"#.utf8), signal: .traces)
                == .refused(reason: "OTLP receiver answered 400 to /v1/traces: bad id"))
        // google.rpc.Status in protobuf: 1 code, 2 message.
        let status: [UInt8] = [0x08, 0x10, 0x12, 0x04] + Array("nope".utf8)
        #expect(
            OTLPAnswer.classify(status: 401, headers: Self.protobuf, body: status, signal: .logs)
                == .refused(reason: "OTLP receiver answered 401 to /v1/logs: nope"))
        #expect(
            OTLPAnswer.classify(
                status: 404, headers: ["Content-Type": "text/html"], body: Array("<h1>Not Found</h1>".utf8),
                signal: .traces)
                == .refused(reason: "OTLP receiver answered 404 to /v1/traces: <h1>Not Found</h1>"))
        #expect(
            OTLPAnswer.classify(status: 413, headers: [:], body: [], signal: .logs)
                == .tooLarge(reason: "OTLP receiver answered 413 to /v1/logs"))
        let long = String(repeating: "a", count: 1000)
        guard
            case .refused(let reason) = OTLPAnswer.classify(
                status: 400, headers: [:], body: Array(long.utf8), signal: .logs)
        else {
            Issue.record("not refused")
            return
        }
        #expect(reason.count < 400)
    }
}
