import Foundation
import HookKit
import HookKitSystem
import Testing

/// `EventEmitter` delivers, in the background of the emitting process and through `flush()`,
/// against a real `hook-hub`.
@Suite struct EventEmitterDeliveryTests {
    let sendEvent = Executables.path("send-event")
    let directory: String

    init() throws { directory = try makeTemporaryDirectory("emitter") }

    var spool: Spool { Spool(directory: directory + "/spool") }

    func environment(hub: String, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "CLAUDE_OBSERVABILITY_SPOOL": directory + "/spool", "CLAUDE_OBSERVABILITY_HUB": hub,
            "CLAUDE_OBSERVABILITY_LINGER_MS": "200",
        ].merging(extra) { $1 }
    }

    func environment(_ hub: HubProcess, _ extra: [String: String] = [:]) -> [String: String] {
        environment(hub: "http://127.0.0.1:\(hub.port)", extra)
    }

    func stored(_ hub: HubProcess) throws -> [JSONValue] { try hub.storeLines.map { try JSONValue.parse($0) } }

    func storedIDs(_ hub: HubProcess) throws -> [String] {
        try stored(hub).compactMap { $0["event_uuid"]?.stringValue }
    }

    /// Ends a `send-event` flusher process left on the spool (never this process).
    func stopFlusherProcess() {
        if let pid = FlusherLock.holder(spool), pid != getpid() { kill(pid, SIGKILL) }
    }

    @Test func sendThenFlushDeliversToTheHub() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let configuration = Configuration(environment: environment(hub))
        let emitter = try EventEmitter(configuration: configuration, sourceApp: "my-tool")
        let id = try emitter.send(["session_id": "s1", "hook_event_name": "Build", "ok": true, "n": 3])
        try emitter.flush()
        // flush() returned: the event is stored, whether the flush or the thread sent it.
        let events = try stored(hub)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["event_uuid"]?.stringValue == id.uuidString)
        #expect(event["source_app"]?.stringValue == "my-tool")
        #expect(event["session_id"]?.stringValue == "s1")
        #expect(event["hook_event_type"]?.stringValue == "Build")
        #expect(event["payload"] == ["session_id": "s1", "hook_event_name": "Build", "ok": true, "n": 3])
        #expect(SpoolStatus(spool: spool, hub: configuration.hub).queued == 0)
    }

    @Test func withoutFlushTheEmittingProcessDeliversInTheBackground() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let emitter = try EventEmitter(configuration: Configuration(environment: environment(hub)))
        let ids = try (0..<50).map { index in
            try emitter.send(["session_id": "bg", "hook_event_name": "Tick", "i": JSONValue(index)]).uuidString
        }
        #expect(waitUntil(timeoutSeconds: 30) { (try? storedIDs(hub).count) == 50 }, "delivered without flush()")
        #expect(Set(try storedIDs(hub)) == Set(ids))
        // Delivered by a thread of this process: no flusher process was started.
        let holder = FlusherLock.holder(spool)
        #expect(holder == nil || holder == getpid())
    }

    @Test func flushWithTheHubDownThrowsTheReasonAndKeepsTheEvents() throws {
        defer { removeTemporaryDirectory(directory) }
        let down = try HandOffTests.closedHub()
        let configuration = Configuration(
            environment: environment(hub: down, ["CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000"]))
        let emitter = try EventEmitter(configuration: configuration)
        for index in 0..<3 { try emitter.send(["session_id": "down", "i": JSONValue(index)]) }
        let error = #expect(throws: HookKitError.self) { try emitter.flush() }
        #expect(error?.kind == .delivery)
        #expect(error?.reason.contains("3 events still queued") == true, "\(error?.reason ?? "")")
        #expect(SpoolStatus(spool: spool, hub: configuration.hub).queued == 3)

        // The hub comes up on that port: the same events go, once each.
        let port = try #require(down.split(separator: ":").last.flatMap { String($0) })
        let hub = try HubProcess.start(directory: directory, arguments: ["--port", port])
        try emitter.flush()
        #expect(try stored(hub).count == 3)
        #expect(SpoolStatus(spool: spool, hub: configuration.hub).queued == 0)
    }

    @Test func backgroundFailuresAreRecordedForStatus() throws {
        defer { removeTemporaryDirectory(directory) }
        let env = environment(hub: try HandOffTests.closedHub(), ["CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000"])
        let emitter = try EventEmitter(configuration: Configuration(environment: env))
        try emitter.send(["session_id": "recorded"])
        #expect(waitUntil(timeoutSeconds: 20) { SpoolState.load(spool).lastError != nil }, "the thread tried")
        let status = try runProcess(sendEvent, ["status", "--json"], environment: env)
        let json = try JSONValue.parse(Array(status.stdout))
        #expect(json["queued"] == 1)
        #expect(json["last_error"]?.stringValue?.contains("connect") == true, "\(json.serialized())")
        #expect(json["next_attempt_at"]?.integerValue != nil)
    }

    @Test func sendsFromManyThreadsAreEachDeliveredOnce() async throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let emitter = try EventEmitter(configuration: Configuration(environment: environment(hub)))
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<4 {
                group.addTask {
                    try (0..<250).map { index in
                        try emitter.send(["session_id": "t\(task)", "i": JSONValue(index)]).uuidString
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try emitter.flush()
        let stored = try storedIDs(hub)
        #expect(stored.count == 1000)
        #expect(Set(stored) == Set(ids))
        #expect(Set(ids).count == 1000)
    }

    @Test func anEmitterAndSendEventFlushersShareASpoolLosingAndDuplicatingNothing() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        defer { stopFlusherProcess() }
        let env = environment(hub)
        let emitter = try EventEmitter(configuration: Configuration(environment: env))
        // Hooks (each may start a background flusher process) and the emitter's thread compete
        // for the same spool's lock while both append.
        let hooks = try (0..<4).map { writer in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c",
                "i=0; while [ $i -lt 25 ]; do echo '{\"session_id\":\"mixed\",\"w\":\(writer)}' | \"$0\"; i=$((i+1)); done",
                sendEvent,
            ]
            process.environment = env
            try process.run()
            return process
        }
        let sent = Locked<[String]>([])
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<2 {
            DispatchQueue.global().async(group: group) {
                for index in 0..<250 {
                    do {
                        let id = try emitter.send([
                            "session_id": "mixed", "t": JSONValue(thread), "i": JSONValue(index),
                        ])
                        sent.withLock { $0.append(id.uuidString) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        group.wait()
        for hook in hooks { hook.waitUntilExit() }
        #expect(failures.withLock { $0 }.isEmpty)
        try emitter.flush()  // takes the lock over from a flusher process if one still runs
        let ids = try storedIDs(hub)
        #expect(ids.count == 600, "stored exactly once each")
        #expect(Set(ids).count == 600)
        #expect(Set(ids).isSuperset(of: sent.withLock { $0 }))
        let status = SpoolStatus(spool: spool, hub: "")
        #expect(status.queued == 0 && status.dead == 0)
    }

    @Test func aLingeringThreadStepsAsideForFlushAndForSendEventFlushAndStopsWithTheEmitter() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        // A long linger: after delivering, the thread keeps the lock for a minute unless asked.
        let env = environment(hub, ["CLAUDE_OBSERVABILITY_LINGER_MS": "60000"])
        var emitter: EventEmitter? = try EventEmitter(configuration: Configuration(environment: env))
        try emitter?.send(["session_id": "linger", "i": 0])
        #expect(
            waitUntil(timeoutSeconds: 20) { (try? storedIDs(hub).count) == 1 && FlusherLock.holder(spool) == getpid() })

        // flush() in this process: the thread lets go, the flush delivers.
        try emitter?.send(["session_id": "linger", "i": 1])
        try emitter?.flush()
        #expect(try storedIDs(hub).count == 2)

        // `send-event flush` in another process asks on the lock file (no signal to this
        // process, which would end the test run) and gets the lock.
        try emitter?.send(["session_id": "linger", "i": 2])
        #expect(
            waitUntil(timeoutSeconds: 20) { (try? storedIDs(hub).count) == 3 && FlusherLock.holder(spool) == getpid() })
        try emitter?.send(["session_id": "linger", "i": 3])
        let flush = try runProcess(sendEvent, ["flush"], environment: env)
        #expect(flush.status == 0, "\(flush.stderrText)")
        #expect(try storedIDs(hub).count == 4)

        // The emitter goes away: its thread leaves at once (not after the minute's linger).
        try emitter?.send(["session_id": "linger", "i": 4])
        #expect(
            waitUntil(timeoutSeconds: 20) { (try? storedIDs(hub).count) == 5 && FlusherLock.holder(spool) == getpid() })
        emitter = nil
        #expect(waitUntil(timeoutSeconds: 10) { FlusherLock.holder(spool) == nil }, "the thread let go of the lock")
    }

    @Test func twoEmittersOfOneSpoolInOneProcessTakeTurns() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let env = environment(hub, ["CLAUDE_OBSERVABILITY_LINGER_MS": "60000"])
        let first = try EventEmitter(configuration: Configuration(environment: env))
        let second = try EventEmitter(configuration: Configuration(environment: env))
        var ids: [String] = []
        for index in 0..<20 {
            ids.append(
                try (index % 2 == 0 ? first : second).send(["session_id": "two", "i": JSONValue(index)]).uuidString)
        }
        try first.flush()
        try second.flush()
        #expect(Set(try storedIDs(hub)) == Set(ids))
        #expect(try storedIDs(hub).count == 20)
    }

    @Test func anUnusableHubURLIsAConfigurationError() throws {
        defer { removeTemporaryDirectory(directory) }
        let error = #expect(throws: HookKitError.self) {
            try EventEmitter(configuration: Configuration(environment: environment(hub: "ftp://x")))
        }
        #expect(error?.kind == .configuration)
        #expect(error?.reason.contains("ftp://x") == true)
    }
}

/// The flusher lock inside one process: record locks belong to the process, so looking at the
/// lock must never release it, and a second holder in the process must be refused.
@Suite struct FlusherLockInProcessTests {
    @Test func lookingAtAHeldLockKeepsItAndASecondHolderIsRefused() throws {
        let directory = try makeTemporaryDirectory("lock")
        defer { removeTemporaryDirectory(directory) }
        let spool = Spool(directory: directory)
        let environment = ["CLAUDE_OBSERVABILITY_SPOOL": directory, "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:9"]
        func holderSeenByAnotherProcess() throws -> JSONValue? {
            let status = try runProcess(Executables.path("send-event"), ["status", "--json"], environment: environment)
            return try JSONValue.parse(Array(status.stdout))["flusher_pid"]
        }
        let lock = try #require(try FlusherLock.acquire(spool, as: .embedded))
        for _ in 0..<3 {
            #expect(FlusherLock.holder(spool) == getpid())
            #expect(SpoolStatus(spool: spool, hub: "").flusherPID == getpid())
        }
        #expect(try FlusherLock.acquire(spool) == nil)
        #expect(try FlusherLock.acquire(spool, as: .embedded) == nil)
        #expect(try holderSeenByAnotherProcess() == JSONValue(getpid()), "still held after all that looking")
        lock.release()
        #expect(try holderSeenByAnotherProcess() == .null)
        let again = try #require(try FlusherLock.acquire(spool), "free again")
        again.release()
    }
}
