import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Delivery against a real `hook-hub`: every queued event stored exactly once, whatever happens
/// to the flusher, the hub or the writers.
@Suite(.serialized) struct DeliveryEndToEndTests {
    let sendEvent = Executables.path("send-event")
    let directory: String

    init() throws { directory = try makeTemporaryDirectory("e2e") }

    func environment(hub: HubProcess?, port: UInt16? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "CLAUDE_OBSERVABILITY_SPOOL": directory + "/spool",
            "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:\(hub?.port ?? port ?? 9)",
            "CLAUDE_OBSERVABILITY_LINGER_MS": "200",
        ].merging(extra) { $1 }
    }

    /// Event ids the hub stored, from its JSONL store (each line is one stored event).
    func storedIDs(_ hub: HubProcess) throws -> [String] {
        try hub.storeLines.map { try JSONScanner.scan(Array($0.utf8)).string(forKey: "event_uuid") ?? "?" }
    }

    func awaitStored(_ hub: HubProcess, count: Int, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try storedIDs(hub).count < count && Date() < deadline { usleep(5_000) }
    }

    /// Queues events for `hub` (the spool records the hub it is for: one spool, one hub).
    func queueDirectly(_ count: Int, session: String, hub: HubProcess? = nil, port: UInt16? = nil) throws -> [String] {
        let emitter = try EventEmitter(
            configuration: Configuration(environment: environment(hub: hub, port: port)), deliversInBackground: false)
        return try (0..<count).map { index in
            try emitter.send(Array(#"{"session_id":"\#(session)","hook_event_name":"PreToolUse","i":\#(index)}"#.utf8))
                .uuidString
        }
    }

    func stopFlusher() {
        if let pid = FlusherLock.holder(Spool(directory: directory + "/spool")) { kill(pid, SIGKILL) }
    }

    @Test func hookEventsReachTheHubThroughTheBackgroundFlusher() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        defer { stopFlusher() }
        for index in 0..<20 {
            let input = #"{"session_id":"e2e","hook_event_name":"PostToolUse","i":\#(index)}"#
            let result = try runProcess(sendEvent, [], stdin: Data(input.utf8), environment: environment(hub: hub))
            #expect(result.status == 0 && result.stdout.isEmpty)
        }
        try awaitStored(hub, count: 20)
        let stored = try hub.storeLines.map { try JSONValue.parse($0) }
        #expect(stored.count == 20)
        #expect(Set(stored.compactMap { $0["payload"]?["i"]?.integerValue }) == Set(0..<20))
        #expect(stored.allSatisfy { $0["session_id"]?.stringValue == "e2e" && $0["agent_type"]?.stringValue == "main" })
    }

    @Test func aFlusherKilledFiftyTimesMidDrainLosesAndDuplicatesNothing() throws {
        defer { removeTemporaryDirectory(directory) }
        let stress = ProcessInfo.processInfo.environment["HOOKKIT_STRESS"] != nil
        let hub = try HubProcess.start(directory: directory)
        let sent = try queueDirectly(stress ? 50_000 : 10_000, session: "kill", hub: hub)
        var generator = SystemRandomGenerator()
        for _ in 0..<50 {
            let flusher = Process()
            flusher.executableURL = URL(fileURLWithPath: sendEvent)
            flusher.arguments = ["flush", "--background"]
            flusher.environment = environment(hub: hub)
            flusher.standardOutput = FileHandle.nullDevice
            flusher.standardError = FileHandle.nullDevice
            try flusher.run()
            usleep(UInt32.random(in: 1_000...25_000, using: &generator))  // a random moment
            kill(flusher.processIdentifier, SIGKILL)
            flusher.waitUntilExit()
        }
        let finish = try runProcess(sendEvent, ["flush"], environment: environment(hub: hub))
        #expect(finish.status == 0, "\(finish.stderrText)")
        let stored = try storedIDs(hub)
        #expect(stored.count == sent.count, "stored exactly once each")
        #expect(Set(stored) == Set(sent))
    }

    @Test func hooksAppendingDuringAFlushLoseNothing() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        defer { stopFlusher() }
        let before = try queueDirectly(2000, session: "during", hub: hub)
        let writers = try (0..<8).map { writer in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c",
                "i=0; while [ $i -lt 25 ]; do echo '{\"session_id\":\"during\",\"w\":\(writer)}' | \"$0\"; i=$((i+1)); done",
                sendEvent,
            ]
            process.environment = environment(hub: hub)
            try process.run()
            return process
        }
        let flush = try runProcess(sendEvent, ["flush"], environment: environment(hub: hub))
        for writer in writers { writer.waitUntilExit() }
        #expect(flush.status == 0, "\(flush.stderrText)")
        _ = try runProcess(sendEvent, ["flush"], environment: environment(hub: hub))
        try awaitStored(hub, count: 2200)
        let stored = try storedIDs(hub)
        #expect(stored.count == 2200)
        #expect(Set(stored).isSuperset(of: before))
    }

    @Test func anOutageCostsFewAttemptsAndEverythingArrivesAfterIt() throws {
        defer { removeTemporaryDirectory(directory) }
        let first = try HubProcess.start(directory: directory)
        let port = first.port
        first.stop()  // the hub goes down
        let env = environment(
            hub: nil, port: port,
            ["CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "100", "CLAUDE_OBSERVABILITY_LINGER_MS": "5000"])
        defer { stopFlusher() }
        let start = Date()
        for index in 0..<30 {
            _ = try runProcess(
                sendEvent, [], stdin: Data(#"{"session_id":"outage","i":\#(index)}"#.utf8), environment: env)
        }
        let spool = Spool(directory: directory + "/spool")
        while SpoolState.load(spool).failures < 3 { usleep(5_000) }  // the flusher is backing off
        let hub = try HubProcess.start(directory: directory, arguments: ["--port", String(port)])
        try awaitStored(hub, count: 30)
        let outage = Date().timeIntervalSince(start)
        #expect(try storedIDs(hub).count == 30)
        let attempts = SpoolState.load(spool).attempts
        // Doubling from 100 ms: an outage of t seconds costs about log2(10 t) attempts, not one per hook.
        #expect(attempts <= Int(log2(outage * 10)) + 4, "\(attempts) attempts over \(outage) s")
    }

    @Test func signedDeliveryIsAcceptedAndAWrongSecretIsDeadLetteredThenRetried() throws {
        defer { removeTemporaryDirectory(directory) }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let hub = try HubProcess.start(directory: directory, arguments: ["--secret", secret])
        _ = try queueDirectly(3, session: "signed", hub: hub)
        let wrong = try runProcess(
            sendEvent, ["flush"], environment: environment(hub: hub, ["CLAUDE_OBSERVABILITY_SECRET": "not-it"]))
        #expect(wrong.status == 0, "refused events are settled: dead-lettered")
        let status = try runProcess(sendEvent, ["status", "--json"], environment: environment(hub: hub))
        #expect(try JSONValue.parse(Array(status.stdout))["dead"] == .number("3"))
        #expect(try storedIDs(hub).isEmpty)
        let retried = try runProcess(
            sendEvent, ["flush", "--retry-dead"],
            environment: environment(hub: hub, ["CLAUDE_OBSERVABILITY_SECRET": secret]))
        #expect(retried.status == 0, "\(retried.stderrText)")
        #expect(try storedIDs(hub).count == 3)
        let after = try runProcess(sendEvent, ["status", "--json"], environment: environment(hub: hub))
        #expect(try JSONValue.parse(Array(after.stdout))["dead"] == .number("0"))
    }

    @Test func flushFailsWithOneLineWhenTheHubIsDown() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueDirectly(2, session: "down", port: 9)
        let result = try runProcess(sendEvent, ["flush"], environment: environment(hub: nil, port: 9))
        #expect(result.status == 1)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("2 events still queued") == true)
    }
}
