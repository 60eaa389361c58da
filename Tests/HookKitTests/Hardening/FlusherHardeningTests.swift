import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Issue 9, items 3, 4, 5, 6, 8, 10 and 21: a flusher that never spins, trusts no saved state
/// blindly, keeps its bounds during an outage, believes only a well-formed batch answer,
/// dead-letters a line once, and does not outlive its spool or a long outage.
@Suite struct FlusherHardeningTests {
    let sendEvent = Executables.path("send-event")
    let directory: String
    let spool: Spool

    init() throws {
        directory = try makeTemporaryDirectory("flusher-hardening")
        spool = Spool(directory: directory + "/spool")
    }

    func flusher(_ hub: ScriptedHub, settings: DeliverySettings = DeliverySettings()) -> Flusher {
        Flusher(spool: spool, transport: hub, signer: nil, settings: settings)
    }

    func ids(_ request: ScriptedHub.Request) -> [String] {
        guard let json = try? JSONValue.parse(request.body) else { return [] }
        if let array = json.arrayValue { return array.compactMap { $0["event_uuid"]?.stringValue } }
        return json["event_uuid"]?.stringValue.map { [$0] } ?? []
    }

    /// Steps until idle or backing off; returns the last step.
    @discardableResult
    func run(_ flusher: inout Flusher, now: Int64 = Clock.unixMilliseconds(), limit: Int = 200) -> Flusher.Step {
        var last = Flusher.Step.idle
        for _ in 0..<limit {
            last = flusher.step(now: now)
            if case .progressed = last { continue }
            return last
        }
        return last
    }

    func writeState(_ json: String) throws {
        try Data(json.utf8).write(to: URL(fileURLWithPath: spool.statePath))
    }

    /// Whether `process` ends within 20 s; if not, it is killed (a child that never ends would
    /// also stall Foundation's handling of every later child process).
    func left(_ process: Process) -> Bool {
        if waitUntil(timeoutSeconds: 20, { !process.isRunning }) { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    func inode() throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: spool.queuePath)[.systemFileNumber] as? Int)
    }

    // MARK: Item 3

    @Test func aStateThatCannotBeSavedIsAFailureWithBackoffNotASpin() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueEvents(3, in: spool)
        // state.json cannot be replaced: rename(2) fails over a non-empty folder, even for root.
        try FileManager.default.createDirectory(atPath: spool.statePath + "/x", withIntermediateDirectories: true)
        let hub = ScriptedHub()
        var flusher = flusher(hub)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = flusher.step(now: now) else {
            Issue.record("a failed save must back off")
            return
        }
        #expect(until > now)
        #expect(flusher.state.lastError?.hasPrefix("cannot save \(spool.statePath)") == true, "\(flusher.state)")
        // During the backoff: no request. After it: the save is retried before anything is sent.
        #expect(flusher.step(now: now + 1) == .backingOff(until: until))
        guard case .backingOff = flusher.step(now: until + 1) else {
            Issue.record("still cannot save: backing off again")
            return
        }
        #expect(hub.requests.count == 1, "the delivered batch is not sent again while the state cannot be saved")
        // Once it can be saved, delivery carries on from where it was.
        try FileManager.default.removeItem(atPath: spool.statePath)
        _ = try queueEvents(1, in: spool)
        #expect(run(&flusher, now: Clock.unixMilliseconds() + 3_600_000) == .idle)
        #expect(hub.requests.count == 2)
        #expect(hub.requests.flatMap(ids).count == 4)
        #expect(SpoolState.load(spool).delivered == 4)
    }

    @Test func aFlusherOnASpoolThatCannotGrowDoesNotHammerTheHub() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueEvents(5, in: spool)
        let hub = try CountingHub()
        defer { hub.stop() }
        try Spool(directory: spool.directory, hub: hub.url).prepare()  // hub.url written beforehand
        // `ulimit -f 0`: no file may grow, so state.json cannot be saved after the hub said 200
        // (SIGXFSZ ignored, as a full disk would fail the write with ENOSPC).
        let flusher = try startThroughShell(
            "trap '' XFSZ; ulimit -f 0", sendEvent, ["flush", "--background"],
            environment: [
                "CLAUDE_OBSERVABILITY_SPOOL": spool.directory, "CLAUDE_OBSERVABILITY_HUB": hub.url,
                "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "200", "CLAUDE_OBSERVABILITY_LINGER_MS": "100",
            ])
        defer {
            kill(flusher.processIdentifier, SIGKILL)
            flusher.waitUntilExit()
        }
        #expect(waitUntil(timeoutSeconds: 20) { hub.store.count == 5 })
        // Watch it for a while: it backs off (and retries saving), it does not post again.
        usleep(1_500_000)
        #expect(hub.requests <= 2, "\(hub.requests) requests")
        #expect(processIsAlive(flusher.processIdentifier), "it keeps backing off rather than leaving")
    }

    @Test func aDeadLetterFileThatCannotGrowIsRecordedInLastError() throws {
        defer { removeTemporaryDirectory(directory) }
        try spool.append(Array(("{\"torn" + String(repeating: "x", count: 2000)).utf8))
        _ = try queueEvents(2, in: spool)
        let hub = try CountingHub()
        defer { hub.stop() }
        try Spool(directory: spool.directory, hub: hub.url).prepare()
        // 1 KiB: state.json fits, the 2 KB dead letter does not.
        let flusher = try startThroughShell(
            "trap '' XFSZ; ulimit -f 2", sendEvent, ["flush", "--background"],
            environment: [
                "CLAUDE_OBSERVABILITY_SPOOL": spool.directory, "CLAUDE_OBSERVABILITY_HUB": hub.url,
                "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "200",
            ])
        defer {
            kill(flusher.processIdentifier, SIGKILL)
            flusher.waitUntilExit()
        }
        #expect(
            waitUntil(timeoutSeconds: 20) {
                SpoolState.load(spool).lastError?.contains("dead.jsonl: File too large") == true
            }, "\(SpoolState.load(spool))")
        #expect(SpoolState.load(spool).nextAttemptAt != nil, "a failure with backoff")
        let failures = SpoolState.load(spool).failures
        usleep(1_000_000)
        #expect(SpoolState.load(spool).failures <= failures + 5, "backing off, not spinning")
        #expect(hub.requests == 0, "the events behind the line wait their turn")
    }

    // MARK: Item 4

    @Test func nonsenseInStateJSONIsReplacedBySafeValuesAndRecorded() throws {
        defer { removeTemporaryDirectory(directory) }
        let sent = try queueEvents(4, in: spool)
        let node = try inode()
        let size = try #require(FileManager.default.attributesOfItem(atPath: spool.queuePath)[.size] as? Int)
        let far = Clock.unixMilliseconds() + 10 * 24 * 3_600_000
        for state in [
            #"{"offset":-5,"inode":\#(node)}"#,
            #"{"offset":\#(size + 1000),"inode":\#(node)}"#,
            #"{"offset":0,"inode":\#(node),"inflight":{"id":"x","start":0,"end":\#(size * 10)}}"#,
            #"{"offset":0,"inode":\#(node),"next_attempt_at":\#(far),"failures":-3,"inode_":-1}"#,
            #"{"offset":0,"inode":-7}"#,
            "not json at all",
        ] {
            try writeState(state)
            #expect(SpoolStatus(spool: spool, hub: "h").queued == 4, "status with \(state)")
            let hub = ScriptedHub()
            var flusher = flusher(hub)
            let first = flusher.step()
            #expect(first == .progressed(delivered: 4), "\(state): \(first)")
            #expect(hub.requests.flatMap(ids) == sent, "\(state): everything is sent from a safe point")
            if state.contains("offset\":-5") || state.contains("\(size + 1000)") || state.contains("inflight")
                || state.contains("next_attempt_at")
            {
                #expect(hub.requests.count == 1)
            }
            #expect(run(&flusher) == .idle)
        }
        // What was wrong is recorded for status (until a delivery succeeds).
        try writeState(#"{"offset":-5,"inode":\#(node),"next_attempt_at":\#(Clock.unixMilliseconds() + 60_000)}"#)
        var waiting = self.flusher(ScriptedHub())
        guard case .backingOff = waiting.step() else {
            Issue.record("a sensible next attempt is kept")
            return
        }
        let recorded = try #require(SpoolState.load(spool).lastError)
        #expect(recorded.hasPrefix("state.json: offset -5 lies outside queue.jsonl"), "\(recorded)")
        #expect(SpoolStatus(spool: spool, hub: "h").lastError == recorded)
    }

    // MARK: Item 5

    @Test func aQueueTruncatedUnderItsOffsetIsResentWithoutLoss() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueEvents(300, in: spool)
        let hub = ScriptedHub()
        var flusher = flusher(hub)
        #expect(run(&flusher) == .idle)
        let before = try inode()
        let offset = flusher.state.offset
        #expect(offset > 0)
        // `truncate -s0 queue.jsonl`: same inode, and then new events.
        #expect(truncate(spool.queuePath, 0) == 0)
        let fresh = try queueEvents(700, in: spool)
        #expect(try inode() == before)
        #expect(SpoolStatus(spool: spool, hub: "h").queued == 700)
        hub.requests.removeAll()
        var next = self.flusher(hub)  // a new flusher process: the saved offset is stale
        #expect(run(&next) == .idle)
        let resent = Set(hub.requests.flatMap(ids))
        #expect(resent == Set(fresh), "\(Set(fresh).subtracting(resent).count) of 700 not sent")
        #expect(next.state.lastError == nil)
        #expect(SpoolStatus(spool: spool, hub: "h").queued == 0)
    }

    // MARK: Item 6

    @Test func theSizeBoundHoldsWhileBackingOff() throws {
        defer { removeTemporaryDirectory(directory) }
        var settings = DeliverySettings()
        settings.maxQueueBytes = 100_000
        _ = try queueEvents(10, in: spool)
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        var flusher = flusher(hub, settings: settings)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = flusher.step(now: now) else {
            Issue.record("expected a backoff")
            return
        }
        // The outage goes on; hooks append 20 times the bound.
        _ = try queueEvents(4000, in: spool, padding: 400)
        #expect(run(&flusher, now: now + 1) == .backingOff(until: until))
        #expect(hub.requests.count == 1, "no attempt during the backoff")
        let size = try #require(FileManager.default.attributesOfItem(atPath: spool.queuePath)[.size] as? Int)
        #expect(size <= 2 * 100_000, "queue.jsonl is \(size) bytes")
        let status = SpoolStatus(spool: spool, hub: "h")
        #expect(status.dropped > 3700 && status.dropped + status.queued == 4010, "\(status)")
    }

    // MARK: Item 8

    @Test func aBatchAnswerThatDoesNotAddUpIsAFailureThenOneEventPerRequest() throws {
        for wrong in [#"{}"#, "garbage", #"{"accepted":2,"duplicates":0,"rejected":[]}"#, #"[1,2,3]"#] {
            let directory = try makeTemporaryDirectory("batch-answer")
            defer { removeTemporaryDirectory(directory) }
            let spool = Spool(directory: directory)
            let sent = try queueEvents(3, in: spool)
            let hub = ScriptedHub()
            hub.answer = { request in
                request.path == "/events/batch"
                    ? HTTPResponse(status: 200, body: Array(wrong.utf8)) : HTTPResponse(status: 201)
            }
            var flusher = Flusher(
                spool: spool, transport: hub, signer: try StandardWebhooks.Signer(secrets: ["s"]),
                settings: DeliverySettings())
            let now = Clock.unixMilliseconds()
            guard case .backingOff(let until) = flusher.step(now: now) else {
                Issue.record("\(wrong): expected a failure with backoff")
                continue
            }
            #expect(SpoolState.load(spool).delivered == 0, "\(wrong)")
            #expect(SpoolState.load(spool).lastError?.contains("to a batch of 3 events with") == true)
            // The retry: the same bytes under the same webhook-id; wrong again, so one by one.
            #expect(flusher.step(now: until + 1) == .progressed(delivered: 3), "\(wrong)")
            #expect(hub.requests.map(\.path) == ["/events/batch", "/events/batch", "/events", "/events", "/events"])
            #expect(hub.requests[0].body == hub.requests[1].body)
            #expect(hub.requests[0].headers["webhook-id"] == hub.requests[1].headers["webhook-id"])
            #expect(hub.requests.dropFirst(2).flatMap(ids) == sent)
            #expect(SpoolState.load(spool).delivered == 3)
        }
        removeTemporaryDirectory(directory)
    }

    @Test func batchAnswersAreCheckedAgainstWhatWasSent() throws {
        defer { removeTemporaryDirectory(directory) }
        let ids = ["a", "b", "c"]
        let good = try BatchAnswer(
            Array(#"{"accepted":1,"duplicates":1,"rejected":[{"index":2,"event_uuid":"c","error":"no"}]}"#.utf8),
            sent: ids)
        #expect(good.rejected == [2: "no"])
        let byID = try BatchAnswer(
            Array(#"{"accepted":2,"duplicates":0,"rejected":[{"event_uuid":"b","error":"bad"}]}"#.utf8), sent: ids)
        #expect(byID.rejected == [1: "bad"])
        for body in [
            #"{"accepted":3}"#, #"{"accepted":3,"duplicates":0}"#, #"{"accepted":1,"duplicates":1,"rejected":[]}"#,
            #"{"accepted":2,"duplicates":0,"rejected":[{"index":7}]}"#,
            #"{"accepted":1,"duplicates":0,"rejected":[{"index":0},{"index":0}]}"#,
            #"{"accepted":-1,"duplicates":4,"rejected":[]}"#, #"{"accepted":"3","duplicates":0,"rejected":[]}"#,
        ] {
            #expect(throws: BatchAnswer.Invalid.self, "\(body)") { try BatchAnswer(Array(body.utf8), sent: ids) }
        }
    }

    // MARK: Item 10

    @Test func aCorruptLineIsDeadLetteredOnceHoweverOftenTheBatchIsRetried() throws {
        defer { removeTemporaryDirectory(directory) }
        let first = try queueEvents(2, in: spool)
        try spool.append(Array(#"{"event_uuid":"torn","pay"#.utf8))
        let last = try queueEvents(2, in: spool)
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        var flusher = flusher(hub)
        var now = Clock.unixMilliseconds()
        for _ in 0..<6 {
            guard case .backingOff(let until) = run(&flusher, now: now) else { break }
            now = until + 1
        }
        hub.answer = { ScriptedHub.accepted($0) }
        #expect(run(&flusher, now: now) == .idle)
        let dead = try #require(FileManager.default.contents(atPath: spool.deadLetterPath))
        #expect(dead.split(separator: UInt8(ascii: "\n")).count == 1)
        #expect(Set(hub.requests.filter { $0.path.hasSuffix("batch") }.flatMap(ids)).isSuperset(of: first + last))
        #expect(flusher.state.dropped == 0)
    }

    // MARK: Item 21

    @Test func aBackgroundFlusherLeavesWhenItsSpoolFolderIsRemoved() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueEvents(1, in: spool)
        let process = try startThroughShell(
            ":", sendEvent, ["flush", "--background"],
            environment: [
                "CLAUDE_OBSERVABILITY_SPOOL": spool.directory, "CLAUDE_OBSERVABILITY_HUB": try HandOffTests.closedHub(),
                "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000",
            ])
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(waitUntil(timeoutSeconds: 20) { SpoolState.load(spool).nextAttemptAt != nil })
        #expect(process.isRunning, "backing off for a minute")
        try FileManager.default.removeItem(atPath: spool.directory)
        #expect(left(process), "the flusher left")
        #expect(!FileManager.default.fileExists(atPath: spool.directory), "and did not create the spool again")
    }

    @Test func aBackgroundFlusherGivesUpAfterFailingForTooLongAndHooksWaitForTheNextAttempt() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queueEvents(1, in: spool)
        let environment = [
            "CLAUDE_OBSERVABILITY_SPOOL": spool.directory, "CLAUDE_OBSERVABILITY_HUB": try HandOffTests.closedHub(),
            "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000", "CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS": "300",
        ]
        let process = try startThroughShell(":", sendEvent, ["flush", "--background"], environment: environment)
        #expect(left(process), "the flusher gave up and left")
        let state = SpoolState.load(spool)
        #expect(state.gaveUpAt != nil)
        let next = try #require(state.nextAttemptAt)
        #expect(next > Clock.unixMilliseconds(), "the next attempt stays in the state")
        // Before that time hooks start no flusher; status says why none runs.
        #expect(FlusherLauncher.ensureRunning(spool, executable: "/bin/true") == nil)
        let status = try runProcess(sendEvent, ["status"], environment: environment)
        #expect(status.stdoutText.contains("gave up after failing for too long"), "\(status.stdoutText)")
        // After it (or with send-event flush) delivery starts again.
        var later = state
        later.nextAttemptAt = Clock.unixMilliseconds() - 1
        try later.save(spool)
        let pid = try #require(FlusherLauncher.ensureRunning(spool, executable: "/bin/true"))
        var exitStatus: Int32 = 0
        waitpid(pid, &exitStatus, 0)
    }
}
