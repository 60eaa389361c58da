import Foundation
import HookKit
import Testing

/// The OTLP encodings and the sender against `scripts/otlp-receiver.py`, which decodes with the
/// official `opentelemetry-proto` package (protobuf, and OTLP/JSON with its hex ids).
@Suite(.serialized) struct OTLPReceiverTests {
    static let peerModules = [
        "opentelemetry.proto.collector.trace.v1.trace_service_pb2", "google.protobuf.json_format",
    ]
    static let install = "python3 -m pip install opentelemetry-proto"

    static func settings(_ receiver: OTLPReceiverProcess, _ wireProtocol: OTLPSettings.WireProtocol) throws
        -> OTLPSettings
    {
        let environment = [
            "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)",
            "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": wireProtocol.rawValue,
            "CLAUDE_OBSERVABILITY_OTLP_HEADERS": "x-api-key=s%3Dcret%2C1 , x-team = observability",
        ]
        return try #require(try OTLPSettings.parse { environment[$0] })
    }

    static func client(_ receiver: OTLPReceiverProcess) -> HTTPClient {
        HTTPClient(
            endpoint: receiver.endpoint,
            configuration: HTTPClientConfiguration(
                connectTimeoutMilliseconds: 2_000, requestTimeoutMilliseconds: 20_000))
    }

    static func sorted(_ items: [[String: Any]]) -> [[String: Any]] {
        items.sorted {
            ($0["span_id"] as? String ?? $0["time_unix_nano"] as? String ?? "")
                < ($1["span_id"] as? String ?? $1["time_unix_nano"] as? String ?? "")
        }
    }

    @Test func theOfficialDecoderReadsBothProtocolsAsTheSameSpansAndLogs() throws {
        guard PythonPeer.available(Self.peerModules, install: Self.install) else { return }
        let receiver = try OTLPReceiverProcess()
        let lines = SyntheticSession.lines()
        let mapping = OTLPSpanMapper.map(lines, from: OTLPSpanState(), options: OTLPMappingOptions())
        for wireProtocol in [OTLPSettings.WireProtocol.protobuf, .json] {
            let sender = OTLPSender(settings: try Self.settings(receiver, wireProtocol))
            let delivery = sender.send(mapping.batch, via: Self.client(receiver))
            #expect(
                delivery
                    == OTLPDelivery(
                        traces: .accepted(rejected: 0, message: nil), logs: .accepted(rejected: 0, message: nil)))
        }
        let records = try receiver.dump()
        #expect(records.count == 4)
        for record in records {
            if record["protocol"] as? String == "protobuf" {
                // Byte for byte what the reference serializer writes: field numbers, order, defaults.
                #expect(record["canonical"] as? Bool == true)
            } else {
                #expect((record["snake_case_keys"] as? [String])?.isEmpty == true, "\(record["snake_case_keys"] ?? "")")
            }
            let headers = record["headers"] as? [String: String] ?? [:]
            #expect(headers["x-api-key"] == "s=cret,1")
            #expect(headers["x-team"] == "observability")
            #expect(headers["user-agent"]?.hasPrefix("HookKit/") == true)
            #expect(
                headers["content-type"]
                    == (record["protocol"] as? String == "json" ? "application/json" : "application/x-protobuf"))
        }

        let protobufSpans = Self.sorted(OTLPDump.spans(records, protocolName: "protobuf"))
        let jsonSpans = Self.sorted(OTLPDump.spans(records, protocolName: "json"))
        #expect(protobufSpans.count == 11)
        #expect((protobufSpans as NSArray).isEqual(to: jsonSpans))
        let protobufLogs = OTLPDump.logs(records, protocolName: "protobuf")
        let jsonLogs = OTLPDump.logs(records, protocolName: "json")
        #expect(protobufLogs.count == lines.count)  // one log per event
        #expect((protobufLogs as NSArray).isEqual(to: jsonLogs))

        // What the decoder saw, field by field.
        let trace = OTLPTraceID(sessionID: SyntheticSession.sessionID).hex
        #expect(protobufSpans.allSatisfy { $0["trace_id"] as? String == trace })
        let byID = Dictionary(uniqueKeysWithValues: protobufSpans.map { ($0["span_id"] as? String ?? "", $0) })
        func span(_ kind: String, _ key: String) throws -> [String: Any] {
            try #require(byID[SyntheticSession.span(kind, key).hex])
        }
        let turn = try span("turn", "p-1")
        let agentCall = try span("tool", "toolu_03")
        let explore = try span("agent", "a1f3c9e2b7d4")
        let grep = try span("tool", "toolu_04")
        let failed = try span("tool", "toolu_02")
        #expect(turn["name"] as? String == "invoke_agent claude-code" && turn["parent_span_id"] == nil)
        #expect(turn["kind"] as? Int == 1)
        #expect(agentCall["parent_span_id"] as? String == turn["span_id"] as? String)
        #expect(explore["name"] as? String == "invoke_agent Explore")
        #expect(explore["parent_span_id"] as? String == agentCall["span_id"] as? String)
        #expect(grep["parent_span_id"] as? String == explore["span_id"] as? String)
        let start = try #require(UInt64(grep["start_time_unix_nano"] as? String ?? ""))
        let end = try #require(UInt64(grep["end_time_unix_nano"] as? String ?? ""))
        #expect(end - start == 100_000_000)
        let attributes = OTLPDump.attributes(grep["attributes"])
        #expect(attributes["gen_ai.operation.name"] == "execute_tool")
        #expect(attributes["gen_ai.tool.name"] == "Grep")
        #expect(attributes["gen_ai.tool.call.id"] == "toolu_04")
        #expect(attributes["gen_ai.agent.name"] == "Explore")
        let status = failed["status"] as? [String: Any]
        #expect(status?["code"] as? Int == 2)
        #expect(OTLPDump.attributes(failed["attributes"])["error.type"] == "tool_error")
        let resource = grep["resource"] as? [String: String] ?? [:]
        #expect(resource == ["service.name": "claude-code", "host.id": "machine-7f3a", "hookkit.source_app": "app"])
        let scope = grep["scope"] as? [String: Any]
        #expect(scope?["name"] as? String == "hookkit")

        // Logs: event name, severity, body, trace and span ids, as decoded.
        let failure = try #require(protobufLogs.first { $0["event_name"] as? String == "hookkit.PostToolUseFailure" })
        #expect(failure["severity_number"] as? Int == 17 && failure["severity_text"] as? String == "ERROR")
        #expect(failure["span_id"] as? String == failed["span_id"] as? String)
        #expect(failure["trace_id"] as? String == trace)
        #expect(OTLPDump.attributes(failure["attributes"])["event.name"] == "hookkit.PostToolUseFailure")
        let body = (failure["body"] as? [String: Any])?["string_value"] as? String
        #expect(body == String(decoding: lines[5], as: UTF8.self))
        let sessionStart = try #require(protobufLogs.first)
        #expect(sessionStart["span_id"] == nil && sessionStart["severity_number"] as? Int == 9)
    }

    /// Resending after a restart: the batches mapped one at a time from a saved state, as a
    /// flusher killed between batches would, arrive as exactly the spans of one run.
    @Test func spansAreIdenticalWhenMappedAcrossRestarts() throws {
        guard PythonPeer.available(Self.peerModules, install: Self.install) else { return }
        let receiver = try OTLPReceiverProcess()
        let sender = OTLPSender(settings: try Self.settings(receiver, .protobuf))
        let client = Self.client(receiver)
        let lines = SyntheticSession.lines()
        let whole = OTLPSpanMapper.map(lines, from: OTLPSpanState(), options: OTLPMappingOptions())
        #expect(sender.send(whole.batch, via: client).traces == .accepted(rejected: 0, message: nil))
        let once = Self.sorted(OTLPDump.spans(try receiver.dump()))
        try receiver.control(#"{"reset":true}"#)

        let directory = try makeTemporaryDirectory("otlp-restart")
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/otlp-state.json"
        for start in stride(from: 0, to: lines.count, by: 4) {
            let state = try OTLPSpanState.load(from: path) ?? OTLPSpanState()
            let chunk = Array(lines[start..<min(start + 4, lines.count)])
            let mapping = OTLPSpanMapper.map(chunk, from: state, options: OTLPMappingOptions())
            #expect(sender.send(mapping.batch, via: client).traces == .accepted(rejected: 0, message: nil))
            try mapping.state.save(to: path)
        }
        let restarted = Self.sorted(OTLPDump.spans(try receiver.dump()))
        #expect(restarted.count == once.count)
        #expect((restarted as NSArray).isEqual(to: once))
    }

    @Test func classifiesTheReceiversRealAnswers() throws {
        guard PythonPeer.available(Self.peerModules, install: Self.install) else { return }
        let receiver = try OTLPReceiverProcess()
        let mapping = OTLPSpanMapper.map(SyntheticSession.lines(), from: OTLPSpanState(), options: OTLPMappingOptions())
        let client = Self.client(receiver)
        for wireProtocol in [OTLPSettings.WireProtocol.protobuf, .json] {
            let sender = OTLPSender(settings: try Self.settings(receiver, wireProtocol))
            // partial_success, in the request's encoding.
            try receiver.control(#"{"partial":{"rejected":2,"message":"2 spans too old"},"count":2}"#)
            #expect(sender.sendTraces(mapping.batch, via: client) == .accepted(rejected: 2, message: "2 spans too old"))
            #expect(sender.sendLogs(mapping.batch, via: client) == .accepted(rejected: 2, message: "2 spans too old"))
            try receiver.control(
                #"{"status":503,"headers":{"Retry-After":"7"},"body":"{\"code\":14,\"message\":\"busy\"}"}"#)
            #expect(
                sender.sendTraces(mapping.batch, via: client)
                    == .backOff(reason: "OTLP receiver answered 503 to /v1/traces: busy", retryAfterSeconds: 7))
            try receiver.control(#"{"status":429,"body":""}"#)
            #expect(
                sender.sendLogs(mapping.batch, via: client)
                    == .backOff(reason: "OTLP receiver answered 429 to /v1/logs", retryAfterSeconds: nil))
            try receiver.control(#"{"status":500,"body":"oops","content_type":"text/plain"}"#)
            #expect(
                sender.sendTraces(mapping.batch, via: client)
                    == .backOff(reason: "OTLP receiver answered 500 to /v1/traces: oops", retryAfterSeconds: nil))
            try receiver.control(#"{"status":413,"body":""}"#)
            #expect(
                sender.sendTraces(mapping.batch, via: client)
                    == .tooLarge(reason: "OTLP receiver answered 413 to /v1/traces"))
            // A google.rpc.Status in protobuf: 1 code = 16, 2 message = "bad key".
            try receiver.control(
                #"{"status":401,"body":{"base64":"CBASB2JhZCBrZXk="},"content_type":"application/x-protobuf"}"#)
            #expect(
                sender.sendTraces(mapping.batch, via: client)
                    == .refused(reason: "OTLP receiver answered 401 to /v1/traces: bad key"))
        }
        // A body the receiver cannot decode is refused with its reason.
        let sender = OTLPSender(settings: try Self.settings(receiver, .protobuf))
        let answer = sender.send(.traces, body: [0x0A, 0x05, 0x01], via: client)
        guard case .refused(let reason) = answer else {
            Issue.record("expected a refusal, got \(answer)")
            return
        }
        #expect(reason.hasPrefix("OTLP receiver answered 400 to /v1/traces: invalid traces request"))
        // The receiver gone: back off.
        receiver.stop()
        guard case .backOff(let down, nil) = sender.sendTraces(mapping.batch, via: client) else {
            Issue.record("expected a backoff with the receiver down")
            return
        }
        #expect(down.hasPrefix("sending /v1/traces:"))
        // The logs are not tried when the traces must back off.
        let delivery = sender.send(mapping.batch, via: client)
        guard case .backOff = delivery.traces, case .backOff(let notSent, nil) = delivery.logs else {
            Issue.record("expected backoffs, got \(delivery)")
            return
        }
        #expect(notSent.hasPrefix("not sent"))
    }
}
