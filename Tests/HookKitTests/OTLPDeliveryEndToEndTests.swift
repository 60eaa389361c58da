import Foundation
import HookKit
import HookKitSystem
import Testing

/// The OTLP sink beside the hub sink, through the real `send-event` hook binary run the way
/// Claude Code runs it (the hook input on stdin, the settings in the environment), against
/// `scripts/otlp-receiver.py` (which decodes with the official `opentelemetry-proto` package)
/// and a real `hook-hub`.
@Suite(.serialized) struct OTLPDeliveryEndToEndTests {
    let sendEvent = Executables.path("send-event")
    let directory: String

    init() throws { directory = try makeTemporaryDirectory("otlp-e2e") }

    static func peerAvailable() -> Bool {
        PythonPeer.available(OTLPReceiverTests.peerModules, install: OTLPReceiverTests.install)
    }

    func environment(
        hub: String, otlp: UInt16?, wireProtocol: String = "http/protobuf", spool: String = "spool",
        _ extra: [String: String] = [:]
    ) -> [String: String] {
        var environment = [
            "CLAUDE_OBSERVABILITY_SPOOL": directory + "/" + spool, "CLAUDE_OBSERVABILITY_HUB": hub,
            "CLAUDE_OBSERVABILITY_LINGER_MS": "200", "CLAUDE_PROJECT_DIR": "/home/u/app",
            "CLAUDE_OBSERVABILITY_SOURCE_APP": "app", "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "100",
            "CLAUDE_OBSERVABILITY_BACKOFF_CAP_MS": "500",
        ]
        if let otlp {
            environment["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT"] = "http://127.0.0.1:\(otlp)"
            environment["CLAUDE_OBSERVABILITY_OTLP_PROTOCOL"] = wireProtocol
        }
        return environment.merging(extra) { $1 }
    }

    func hubURL(_ hub: HubProcess) -> String { "http://127.0.0.1:\(hub.port)" }

    /// Runs the synthetic session's hooks one after the other, as Claude Code would: each exits
    /// 0 without a word.
    func runSession(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for event in SyntheticSession.events {
            let result = try runProcess(sendEvent, [], stdin: Data(event.input.utf8), environment: environment)
            #expect(
                result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stderrText)",
                sourceLocation: sourceLocation)
        }
    }

    func stopFlusher(_ environment: [String: String]) {
        let spool = Spool(directory: environment["CLAUDE_OBSERVABILITY_SPOOL"] ?? "")
        if let pid = FlusherLock.holder(spool), pid != getpid() { kill(pid, SIGKILL) }
    }

    func status(_ environment: [String: String]) throws -> JSONValue {
        try JSONValue.parse(Array(try runProcess(sendEvent, ["status", "--json"], environment: environment).stdout))
    }

    func storedIDs(_ hub: HubProcess) -> [String] {
        hub.storeLines.compactMap { try? JSONScanner.scan(Array($0.utf8)).string(forKey: "event_uuid") }
    }

    var sessionCount: Int { SyntheticSession.events.count }

    /// The receiver got every event of the session exactly once as a log record, and exactly the
    /// spans that mapping those events in one go gives (ids, parents, names, times, attributes),
    /// each once.
    func expectDeliveredOnce(
        _ receiver: OTLPReceiverProcess, wireProtocol: String? = nil, events: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let records = try receiver.dump()
        let logs = OTLPDump.logs(records, protocolName: wireProtocol)
        #expect(
            OTLPDump.eventIDs(logs).sorted() == events.sorted(), "one log per event", sourceLocation: sourceLocation)
        let spans = OTLPDump.spans(records, protocolName: wireProtocol).map { OTLPDump.summary($0) }.sorted()
        let expected = OTLPDump.expectedSpans(OTLPDump.eventLines(logs))
        #expect(spans == expected, sourceLocation: sourceLocation)
        #expect(spans.count == 11, sourceLocation: sourceLocation)
    }

    // MARK: A session, both protocols

    @Test func aRealisticSessionReachesTheReceiverInBothProtocolsAndTheHub() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let receiver = try OTLPReceiverProcess()
        var hubEvents: [String] = []
        for wireProtocol in ["http/protobuf", "http/json"] {
            let spool = "spool-" + wireProtocol.replacingOccurrences(of: "/", with: "-")
            let environment = environment(
                hub: hubURL(hub), otlp: receiver.port, wireProtocol: wireProtocol, spool: spool)
            defer { stopFlusher(environment) }
            let before = Set(storedIDs(hub))
            try runSession(environment)
            let flush = try runProcess(sendEvent, ["flush"], environment: environment)
            #expect(flush.status == 0, "\(flush.stderrText)")
            #expect(flush.stderrText.split(separator: "\n").allSatisfy { $0.hasSuffix("nothing left for it") })
            let events = storedIDs(hub).filter { !before.contains($0) }
            #expect(events.count == sessionCount, "the hub got the session")
            hubEvents += events
            let name = wireProtocol == "http/json" ? "json" : "protobuf"
            try expectDeliveredOnce(receiver, wireProtocol: name, events: events)
        }
        // The same spans in both protocols (but for the times: two runs of the session).
        let records = try receiver.dump()
        let protobuf = OTLPDump.spans(records, protocolName: "protobuf").map { OTLPDump.summary($0, times: false) }
        let json = OTLPDump.spans(records, protocolName: "json").map { OTLPDump.summary($0, times: false) }
        #expect(protobuf.sorted() == json.sorted())
        #expect(Set(hubEvents).count == 2 * sessionCount)

        // The tree, as decoded: one trace; the async Explore subagent under the Agent call, its
        // Grep under it; the failed Bash call in error.
        let spans = OTLPDump.spans(records, protocolName: "protobuf")
        let trace = OTLPTraceID(sessionID: SyntheticSession.sessionID).hex
        #expect(spans.allSatisfy { $0["trace_id"] as? String == trace })
        func span(_ kind: String, _ key: String) throws -> [String: Any] {
            try #require(spans.first { $0["span_id"] as? String == SyntheticSession.span(kind, key).hex })
        }
        #expect(try span("tool", "toolu_01")["parent_span_id"] as? String == SyntheticSession.span("turn", "p-1").hex)
        #expect(
            try span("agent", "a1f3c9e2b7d4")["parent_span_id"] as? String
                == SyntheticSession.span("tool", "toolu_03").hex)
        #expect(
            try span("tool", "toolu_04")["parent_span_id"] as? String
                == SyntheticSession.span("agent", "a1f3c9e2b7d4").hex)
        #expect((try span("tool", "toolu_02")["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect(
            try span("tool", "toolu_01")["resource"] as? [String: String] == [
                "service.name": "claude-code", "host.id": MachineID.current(), "hookkit.source_app": "app",
            ])
    }

    // MARK: One sink down, the other delivering

    @Test func theReceiverDownThenUpGetsEverythingOnceWhileTheHubKeepsDelivering() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let port = try freeFixedPort()
        let environment = environment(hub: hubURL(hub), otlp: port)
        defer { stopFlusher(environment) }
        try runSession(environment)
        // The hub gets everything while the receiver is down.
        #expect(waitUntil(timeoutSeconds: 30) { storedIDs(hub).count == sessionCount })
        #expect(
            waitUntil(timeoutSeconds: 30) {
                let status = try? self.status(environment)
                return status?["otlp"]?["last_error"]?.stringValue != nil
                    && status?["otlp"]?["queued"]?.integerValue == Int64(sessionCount)
            })
        let status = try status(environment)
        #expect(status["queued"]?.integerValue == 0 && status["last_error"] == .null, "the hub's section")
        #expect(status["otlp"]?["last_error"]?.stringValue?.contains("sending /v1/") == true)
        let text = try runProcess(sendEvent, ["status"], environment: environment).stdoutText
        #expect(text.contains("otlp:         http://127.0.0.1:\(port) (http/protobuf)"), "\(text)")
        #expect(text.contains("  queued:       \(sessionCount)"), "\(text)")

        // The receiver comes back at the same address: the flusher still running delivers.
        let receiver = try OTLPReceiverProcess(port: port)
        #expect(waitUntil(timeoutSeconds: 30) { receiver.logs.count >= sessionCount })
        #expect(
            waitUntil(timeoutSeconds: 30) { (try? self.status(environment))?["otlp"]?["queued"]?.integerValue == 0 })
        try expectDeliveredOnce(receiver, events: storedIDs(hub))
        #expect(storedIDs(hub).count == sessionCount, "and the hub got nothing twice")
        let after = try self.status(environment)
        #expect(
            after["otlp"]?["last_error"] == .null && after["otlp"]?["delivered"]?.integerValue == Int64(sessionCount))
        #expect(after["otlp"]?["spans"]?.integerValue == 11 && after["otlp"]?["open_spans"]?.integerValue == 0)
    }

    @Test func theHubDownThenUpGetsEverythingOnceWhileTheReceiverKeepsGetting() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let receiver = try OTLPReceiverProcess()
        let port = try freeFixedPort()
        let environment = environment(hub: "http://127.0.0.1:\(port)", otlp: receiver.port)
        defer { stopFlusher(environment) }
        try runSession(environment)
        #expect(waitUntil(timeoutSeconds: 30) { receiver.logs.count >= sessionCount })
        #expect(
            waitUntil(timeoutSeconds: 30) {
                let status = try? self.status(environment)
                return status?["last_error"]?.stringValue != nil
                    && status?["queued"]?.integerValue == Int64(sessionCount)
            })
        let hub = try HubProcess.start(directory: directory, arguments: ["--port", String(port)])
        #expect(waitUntil(timeoutSeconds: 30) { storedIDs(hub).count >= sessionCount })
        #expect(waitUntil(timeoutSeconds: 30) { (try? self.status(environment))?["queued"]?.integerValue == 0 })
        #expect(storedIDs(hub).count == sessionCount)
        try expectDeliveredOnce(receiver, events: storedIDs(hub))
    }

    // MARK: OTLP only

    @Test func withHubNoneTheHookDeliversToTheReceiverAlone() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let receiver = try OTLPReceiverProcess()
        let environment = environment(hub: "none", otlp: receiver.port)
        defer { stopFlusher(environment) }
        try runSession(environment)
        let flush = try runProcess(sendEvent, ["flush"], environment: environment)
        #expect(flush.status == 0, "\(flush.stderrText)")
        #expect(flush.stderrText.contains("to the OTLP receiver http://127.0.0.1:\(receiver.port)"))
        #expect(!flush.stderrText.contains("hub"), "\(flush.stderrText)")
        let logs = receiver.logs
        #expect(logs.count == sessionCount)
        try expectDeliveredOnce(receiver, events: OTLPDump.eventIDs(logs))
        let status = try status(environment)
        #expect(status["hub"]?.stringValue == "none" && status["queued"]?.integerValue == 0)
        #expect(status["otlp"]?["delivered"]?.integerValue == Int64(sessionCount))
        #expect(!FileManager.default.fileExists(atPath: directory + "/spool/state.json"), "no hub sink ran")
        #expect(try String(contentsOfFile: directory + "/spool/hub.url", encoding: .utf8) == "none\n")
    }

    @Test func withHubNoneAndNoReceiverTheHookSaysSoOnceAndQueues() throws {
        defer { removeTemporaryDirectory(directory) }
        let environment = environment(hub: "none", otlp: nil)
        let result = try runProcess(
            sendEvent, [], stdin: Data(#"{"session_id":"s","hook_event_name":"Stop"}"#.utf8), environment: environment)
        #expect(result.status == 0 && result.stdout.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("CLAUDE_OBSERVABILITY_HUB=none") == true, "\(lines)")
        #expect(try spoolLines(directory + "/spool/queue.jsonl").count == 1)
        let flush = try runProcess(sendEvent, ["flush"], environment: environment)
        #expect(flush.status == 1 && flush.stderrText.contains("delivered nowhere"), "\(flush.stderrText)")
    }

    // MARK: Compaction and dead letters

    @Test func compactionWithTheReceiverBehindKeepsItsEvents() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let port = try freeFixedPort()
        let environment = environment(hub: hubURL(hub), otlp: port)
        defer { stopFlusher(environment) }
        try runSession(environment)
        let flush = try runProcess(sendEvent, ["flush"], environment: environment)
        #expect(flush.status == 1)
        let lines = flush.stderrText.split(separator: "\n")
        #expect(lines.count == 2, "\(lines)")
        #expect(
            lines.first?.hasPrefix("send-event: delivered") == true
                && lines.first?.hasSuffix("nothing left for it") == true)
        #expect(
            lines.last?.hasPrefix("send-event flush: OTLP http://127.0.0.1:\(port): sending /v1/") == true
                && lines.last?.contains("\(sessionCount) events still queued") == true, "\(lines)")
        #expect(storedIDs(hub).count == sessionCount)
        // The hub has everything; the queue keeps what the OTLP sink has not had.
        #expect(try spoolLines(directory + "/spool/queue.jsonl").count == sessionCount)

        let receiver = try OTLPReceiverProcess(port: port)
        let second = try runProcess(sendEvent, ["flush"], environment: environment)
        #expect(second.status == 0, "\(second.stderrText)")
        try expectDeliveredOnce(receiver, events: storedIDs(hub))
        #expect(storedIDs(hub).count == sessionCount)
        #expect(try spoolLines(directory + "/spool/queue.jsonl").isEmpty, "handled by both: emptied")
    }

    @Test func retryDeadSendsTheRefusedEventsToTheirSinkOnly() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let receiver = try OTLPReceiverProcess()
        try receiver.control(#"{"status":400,"count":1000,"body":"{\"code\":3,\"message\":\"nope\"}"}"#)
        let environment = environment(hub: hubURL(hub), otlp: receiver.port)
        defer { stopFlusher(environment) }
        try runSession(environment)
        let flush = try runProcess(sendEvent, ["flush"], environment: environment)
        #expect(flush.status == 0, "refused events are settled: \(flush.stderrText)")
        let dead = try status(environment)["otlp"]?["dead"]?.integerValue
        #expect(dead == Int64(sessionCount))
        #expect(storedIDs(hub).count == sessionCount)

        try receiver.control(#"{"reset":true}"#)
        let retry = try runProcess(sendEvent, ["flush", "--retry-dead"], environment: environment)
        #expect(retry.status == 0, "\(retry.stderrText)")
        #expect(
            retry.stderrText.contains(
                "send-event: \(sessionCount) of \(sessionCount) dead-lettered events delivered to the OTLP receiver"),
            "\(retry.stderrText)")
        #expect(try status(environment)["otlp"]?["dead"]?.integerValue == 0)
        try expectDeliveredOnce(receiver, events: storedIDs(hub))
        #expect(storedIDs(hub).count == sessionCount)
        #expect(try spoolLines(directory + "/spool/queue.jsonl").isEmpty, "not queued again for the hub")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory + "/spool").filter {
            $0.hasPrefix("retry-")
        }
        #expect(leftovers.isEmpty, "the scratch spool is gone")
    }

    // MARK: Crashes

    @Test func flushersKilledMidDrainLoseNothingAndResendOnlyIdenticalSpans() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let receiver = try OTLPReceiverProcess()
        var settings = environment(hub: hubURL(hub), otlp: receiver.port)
        settings["CLAUDE_OBSERVABILITY_LINGER_MS"] = "0"
        let emitter = try EventEmitter(configuration: Configuration(environment: settings), deliversInBackground: false)
        var sent: [String] = []
        for index in 0..<400 {
            let session = "kill-\(index % 4)"
            let tool = #""tool_name":"Bash","tool_use_id":"t\#(index)","prompt_id":"p\#(index / 40)""#
            sent.append(
                try emitter.send(Array(#"{"session_id":"\#(session)","hook_event_name":"PreToolUse",\#(tool)}"#.utf8))
                    .uuidString)
            sent.append(
                try emitter.send(Array(#"{"session_id":"\#(session)","hook_event_name":"PostToolUse",\#(tool)}"#.utf8))
                    .uuidString)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            let flusher = Process()
            flusher.executableURL = URL(fileURLWithPath: sendEvent)
            flusher.arguments = ["flush", "--background"]
            flusher.environment = settings
            flusher.standardOutput = FileHandle.nullDevice
            flusher.standardError = FileHandle.nullDevice
            try flusher.run()
            usleep(UInt32.random(in: 1_000...40_000, using: &generator))
            kill(flusher.processIdentifier, SIGKILL)
            flusher.waitUntilExit()
        }
        let finish = try runProcess(sendEvent, ["flush"], environment: settings)
        #expect(finish.status == 0, "\(finish.stderrText)")
        #expect(Set(storedIDs(hub)) == Set(sent) && storedIDs(hub).count == sent.count)
        let records = try receiver.dump()
        let logs = OTLPDump.logs(records)
        #expect(Set(OTLPDump.eventIDs(logs)) == Set(sent), "every event's log arrived")
        // A resent request is identical: every copy of a span is the same span, and the spans
        // are those of one mapping of everything.
        var copies: [String: Set<String>] = [:]
        for span in OTLPDump.spans(records) {
            copies[span["span_id"] as? String ?? "", default: []].insert(OTLPDump.summary(span))
        }
        #expect(copies.values.allSatisfy { $0.count == 1 })
        let received = copies.values.compactMap(\.first).sorted()
        #expect(received == OTLPDump.expectedSpans(OTLPDump.eventLines(logs)))
        #expect(received.count == 400)
    }

    // MARK: In a Swift program

    @Test func anEventEmitterDeliversToBothSinks() throws {
        guard Self.peerAvailable() else { return }
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let receiver = try OTLPReceiverProcess()
        let configuration = Configuration(environment: environment(hub: hubURL(hub), otlp: receiver.port))
        let emitter = try EventEmitter(configuration: configuration, sourceApp: "my-tool")
        var sent: [String] = []
        for index in 0..<5 {
            sent.append(
                try emitter.send([
                    "session_id": "emit", "hook_event_name": "PreToolUse", "tool_use_id": .string("u\(index)"),
                ])
                .uuidString)
        }
        try emitter.flush()
        #expect(Set(storedIDs(hub)) == Set(sent))
        #expect(Set(OTLPDump.eventIDs(receiver.logs)) == Set(sent))
        // And in the background, without flush().
        for index in 5..<8 {
            sent.append(
                try emitter.send([
                    "session_id": "emit", "hook_event_name": "PostToolUse", "tool_use_id": .string("u\(index - 5)"),
                ])
                .uuidString)
        }
        #expect(waitUntil(timeoutSeconds: 30) { Set(OTLPDump.eventIDs(receiver.logs)) == Set(sent) })
        #expect(waitUntil(timeoutSeconds: 30) { Set(storedIDs(hub)) == Set(sent) })
        #expect(waitUntil(timeoutSeconds: 30) { receiver.spans.count == 3 }, "three tool calls ended")
    }
}
