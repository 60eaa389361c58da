import Foundation
import HookKit
import HookKitSystem
import Testing

/// The OTLP sink step by step against a scripted receiver (OTLP/JSON bodies, read back here),
/// and beside the hub sink in ``SpoolDelivery``: the save protocol, the answers, the guarantees
/// the hub sink has (no spin, checked positions, bounds, dead letters once), and compaction that
/// keeps what either sink still needs.
@Suite struct OTLPSinkTests {
    let directory: String
    let spool: Spool

    init() throws {
        directory = try makeTemporaryDirectory("otlp-sink")
        spool = Spool(directory: directory + "/spool")
    }

    static let settings = OTLPSettings(
        endpoint: HTTPEndpoint(host: "127.0.0.1", port: 4318), wireProtocol: .json)

    /// The defaults, but no age bound: the synthetic session happened in 2025.
    static var ageless: DeliverySettings {
        var settings = DeliverySettings()
        settings.maxAgeMilliseconds = .max / 2
        return settings
    }

    func sink(_ receiver: ScriptedHub, delivery: DeliverySettings = ageless) -> OTLPSinkFlusher {
        OTLPSinkFlusher(spool: spool, settings: Self.settings, transport: receiver, delivery: delivery)
    }

    /// Appends the synthetic session's lines to the queue; returns them.
    @discardableResult
    func queueSession(start: Int64 = SyntheticSession.start) throws -> [[UInt8]] {
        let lines = SyntheticSession.lines(sessionStart: start)
        for line in lines { try spool.append(line) }
        return lines
    }

    var queueSize: Int64 {
        (try? FileManager.default.attributesOfItem(atPath: spool.queuePath)[.size] as? Int).flatMap { $0 }.map(
            Int64.init)
            ?? 0
    }

    var queueInode: UInt64 {
        UInt64((try? FileManager.default.attributesOfItem(atPath: spool.queuePath)[.systemFileNumber] as? Int) ?? 0)
    }

    func savedCursor() throws -> OTLPSpanState.Cursor? {
        try OTLPSpanState.load(from: spool.otlpStatePath)?.cursor
    }

    /// Steps until idle or backing off; returns the last step.
    @discardableResult
    func run(_ sink: inout OTLPSinkFlusher, now: Int64 = Clock.unixMilliseconds(), limit: Int = 500) -> Flusher.Step {
        var last = Flusher.Step.idle
        for _ in 0..<limit {
            last = sink.step(now: now)
            if case .progressed = last { continue }
            return last
        }
        return last
    }

    /// The span ids in an OTLP/JSON traces body.
    static func spanIDs(_ body: [UInt8]) -> [String] {
        guard let json = try? JSONValue.parse(body) else { return [] }
        return (json["resourceSpans"]?.arrayValue ?? []).flatMap { resource in
            (resource["scopeSpans"]?.arrayValue ?? []).flatMap { scope in
                (scope["spans"]?.arrayValue ?? []).compactMap { $0["spanId"]?.stringValue }
            }
        }
    }

    /// The event ids of the log records in an OTLP/JSON logs body.
    static func loggedEvents(_ body: [UInt8]) -> [String] {
        guard let json = try? JSONValue.parse(body) else { return [] }
        return (json["resourceLogs"]?.arrayValue ?? []).flatMap { resource in
            (resource["scopeLogs"]?.arrayValue ?? []).flatMap { scope in
                (scope["logRecords"]?.arrayValue ?? []).compactMap { record in
                    (record["attributes"]?.arrayValue ?? []).first { $0["key"]?.stringValue == "hookkit.event_uuid" }?[
                        "value"]?["stringValue"]?.stringValue
                }
            }
        }
    }

    static func eventIDs(_ lines: [[UInt8]]) -> [String] {
        lines.compactMap { try? JSONScanner.scan($0).string(forKey: "event_uuid") }
    }

    static func requests(_ receiver: ScriptedHub, _ path: String) -> [ScriptedHub.Request] {
        receiver.requests.filter { $0.path == path }
    }

    // MARK: The save protocol

    @Test func aBatchIsMappedSentAndSavedOnlyAfterTheAnswers() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var sink = sink(receiver)
        #expect(sink.step() == .progressed(delivered: lines.count))
        #expect(receiver.requests.map(\.path) == ["/v1/traces", "/v1/logs"])
        // Exactly what the mapper makes of these lines in one go: byte for byte.
        let expected = OTLPSpanMapper.map(lines, from: OTLPSpanState(), options: Self.settings.mapping)
        let sender = OTLPSender(settings: Self.settings)
        #expect(receiver.requests[0].body == sender.body(.traces, of: expected.batch))
        #expect(receiver.requests[1].body == sender.body(.logs, of: expected.batch))
        #expect(Self.loggedEvents(receiver.requests[1].body) == Self.eventIDs(lines))
        #expect(sink.step() == .idle)

        let cursor = try #require(try savedCursor())
        #expect(cursor.offset == queueSize && cursor.inode == queueInode && cursor.tracesDeliveredThrough == nil)
        let state = OTLPSinkState.load(spool)
        #expect(state.delivered == lines.count && state.logs == lines.count)
        #expect(state.spans == expected.batch.spans.count && state.spans > 0)
        #expect(state.openSpans == expected.state.openSpanCount)
        #expect(state.offset == cursor.offset && state.inode == cursor.inode, "the copy of the cursor")
        #expect(state.lastError == nil && state.attempts == 2)
    }

    @Test func logsThatMustWaitAreResentAloneWithTheSameBytes() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        var refusedLogs = 0
        receiver.answer = { request in
            if request.path == "/v1/logs" && refusedLogs < 1 {
                refusedLogs += 1
                return HTTPResponse(status: 503, body: Array(#"{"code":14,"message":"busy"}"#.utf8))
            }
            return HTTPResponse(status: 200)
        }
        var sink = sink(receiver)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = sink.step(now: now) else {
            Issue.record("a 503 to the logs backs off")
            return
        }
        // The spans are settled; the cursor says so, and has not moved.
        let cursor = try #require(try savedCursor())
        #expect(cursor.offset == 0 && cursor.tracesDeliveredThrough == queueSize)
        #expect(OTLPSinkState.load(spool).lastError == "OTLP receiver answered 503 to /v1/logs: busy")
        #expect(sink.step(now: now + 1) == .backingOff(until: until), "no request during the backoff")
        #expect(receiver.requests.count == 2)

        // A new flusher (killed and started again) resends only the logs, identical.
        var next = self.sink(receiver)
        #expect(next.step(now: until + 1) == .progressed(delivered: lines.count))
        #expect(receiver.requests.map(\.path) == ["/v1/traces", "/v1/logs", "/v1/logs"])
        #expect(receiver.requests[1].body == receiver.requests[2].body)
        let state = OTLPSinkState.load(spool)
        let spans = Self.spanIDs(receiver.requests[0].body).count
        #expect(state.spans == spans && state.logs == lines.count, "spans counted once")
        #expect(try savedCursor()?.tracesDeliveredThrough == nil)
        #expect(try savedCursor()?.offset == queueSize)
    }

    @Test func spansThatMustWaitSaveNothingAndTheRetryIsIdentical() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        var failures = 0
        receiver.answer = { request in
            if request.path == "/v1/traces" && failures < 2 {
                failures += 1
                return HTTPResponse(status: 502)
            }
            return HTTPResponse(status: 200)
        }
        var sink = sink(receiver)
        var now = Clock.unixMilliseconds()
        for _ in 0..<2 {
            guard case .backingOff(let until) = sink.step(now: now) else {
                Issue.record("a 502 backs off")
                return
            }
            #expect(try savedCursor()?.offset ?? 0 == 0)
            #expect(try savedCursor()?.tracesDeliveredThrough == nil)
            now = until + 1
        }
        #expect(OTLPSinkState.load(spool).failures == 2)
        #expect(sink.step(now: now) == .progressed(delivered: lines.count))
        let traces = Self.requests(receiver, "/v1/traces")
        #expect(traces.count == 3 && traces[0].body == traces[1].body && traces[1].body == traces[2].body)
        #expect(Self.requests(receiver, "/v1/logs").count == 1)
        #expect(OTLPSinkState.load(spool).failures == 0)
    }

    // MARK: Answers

    @Test func partialSuccessIsCountedAndItsMessageRecorded() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { request in
            guard request.path == "/v1/traces" else { return HTTPResponse(status: 200) }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Array(#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"2 spans too old"}}"#.utf8))
        }
        var sink = sink(receiver)
        #expect(sink.step() == .progressed(delivered: lines.count))
        let state = OTLPSinkState.load(spool)
        let spans = Self.spanIDs(receiver.requests[0].body).count
        #expect(state.rejectedSpans == 2 && state.spans == spans - 2)
        #expect(state.lastRejection == "2 spans rejected: 2 spans too old")
        #expect(state.lastError == nil && state.failures == 0, "a partial success is no failure")
        let status = OTLPSinkStatus(spool: spool, endpoint: "e", wireProtocol: "http/json")
        #expect(
            status.lines.contains {
                $0.contains("rejected:     2 spans, 0 log records (last: 2 spans rejected: 2 spans too old)")
            })
        #expect(status.json["last_rejection"]?.stringValue == "2 spans rejected: 2 spans too old")
    }

    @Test(arguments: [429, 503, 504, 502])
    func overloadAndRetryAfterBackOff(_ status: Int) throws {
        defer { removeTemporaryDirectory(directory) }
        try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: status, headers: ["Retry-After": "30"]) }
        var sink = sink(receiver)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = sink.step(now: now) else {
            Issue.record("\(status) backs off")
            return
        }
        #expect(until >= now + 30_000, "Retry-After honoured")
        #expect(sink.step(now: now + 10_000) == .backingOff(until: until))
        #expect(receiver.requests.count == 1, "the logs are not tried, and nothing during the backoff")
        let state = OTLPSinkState.load(spool)
        #expect(state.nextAttemptAt == until && state.lastError?.contains("answered \(status)") == true)
        #expect(try savedCursor()?.offset ?? 0 == 0)
    }

    @Test func otherClientErrorsDeadLetterTheBatchWithTheReason() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { request in
            request.path == "/v1/traces"
                ? HTTPResponse(
                    status: 400, headers: ["Content-Type": "application/json"],
                    body: Array(#"{"code":3,"message":"bad span"}"#.utf8))
                : HTTPResponse(status: 200)
        }
        var sink = sink(receiver)
        #expect(sink.step() == .progressed(delivered: 0), "refused, not delivered")
        #expect(sink.step() == .idle, "and settled: the sink moves on")
        let dead = try DeadLetters.records(in: spool.otlpDeadLetterPath)
        #expect(dead.count == lines.count)
        #expect(dead.compactMap(\.event) == lines)
        let reason = try JSONValue.parse(dead[0].line)["reason"]?.stringValue
        #expect(reason == "OTLP receiver answered 400 to /v1/traces: bad span")
        let state = OTLPSinkState.load(spool)
        #expect(state.delivered == 0 && state.lastError == nil && state.lastRejection?.contains("bad span") == true)
        #expect(OTLPSinkStatus(spool: spool, endpoint: "e", wireProtocol: "w").dead == lines.count)
    }

    @Test func aRequestTooLargeIsSplitAndASingleItemTooLargeIsCountedAsRejected() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { request in
            if request.path == "/v1/traces" { return HTTPResponse(status: 413) }
            return Self.loggedEvents(request.body).count > 5 ? HTTPResponse(status: 413) : HTTPResponse(status: 200)
        }
        var sink = sink(receiver)
        #expect(sink.step() == .progressed(delivered: lines.count))
        let accepted = Self.requests(receiver, "/v1/logs").map { Self.loggedEvents($0.body) }.filter { $0.count <= 5 }
        #expect(accepted.flatMap { $0 } == Self.eventIDs(lines), "every log once, in order, in requests of at most 5")
        let singles = Self.requests(receiver, "/v1/traces").filter { Self.spanIDs($0.body).count == 1 }
        let state = OTLPSinkState.load(spool)
        #expect(state.logs == lines.count && state.rejectedLogs == 0)
        #expect(state.rejectedSpans == singles.count && state.spans == 0 && singles.count > 0)
        #expect(state.lastRejection?.contains("413") == true && state.lastError == nil)
    }

    // MARK: The hub sink's guarantees, here too

    @Test func aQueueTruncatedUnderTheCursorIsMappedAgainFromItsStart() throws {
        defer { removeTemporaryDirectory(directory) }
        try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var sink = sink(receiver)
        #expect(run(&sink) == .idle)
        // `truncate -s0 queue.jsonl` (same inode), then more events than before.
        #expect(truncate(spool.queuePath, 0) == 0)
        let fresh =
            try queueSession(start: SyntheticSession.start + 10_000)
            + queueSession(start: SyntheticSession.start + 20_000)
        receiver.requests.removeAll()
        var next = self.sink(receiver)  // a new flusher process: the saved cursor is stale
        #expect(run(&next) == .idle)
        let logged = Self.requests(receiver, "/v1/logs").flatMap { Self.loggedEvents($0.body) }
        #expect(logged == Self.eventIDs(fresh), "every new event, none skipped")
        #expect(OTLPSinkState.load(spool).lastError == nil, "recorded, then cleared by the delivery that followed")
    }

    @Test func anotherQueueFileIsReadFromItsStartSilently() throws {
        defer { removeTemporaryDirectory(directory) }
        try queueSession()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var sink = sink(receiver)
        #expect(run(&sink) == .idle)
        let replacement = directory + "/other.jsonl"
        let lines = SyntheticSession.lines(sessionStart: SyntheticSession.start + 50_000)
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: replacement))
        chmod(replacement, 0o600)
        #expect(rename(replacement, spool.queuePath) == 0)
        receiver.requests.removeAll()
        #expect(run(&sink) == .idle)
        #expect(Self.requests(receiver, "/v1/logs").flatMap { Self.loggedEvents($0.body) } == Self.eventIDs(lines))
        #expect(OTLPSinkState.load(spool).lastError == nil)
    }

    @Test func aStateThatCannotBeSavedIsAFailureWithBackoffNotASpin() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        // otlp-state.json cannot be replaced: rename(2) fails over a non-empty folder, even for root.
        try FileManager.default.createDirectory(atPath: spool.otlpStatePath + "/x", withIntermediateDirectories: true)
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var sink = sink(receiver)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = sink.step(now: now) else {
            Issue.record("a failed save must back off")
            return
        }
        #expect(sink.state.lastError?.contains(spool.otlpStatePath) == true, "\(sink.state)")
        #expect(sink.step(now: now + 1) == .backingOff(until: until))
        guard case .backingOff = sink.step(now: until + 1) else {
            Issue.record("still cannot save: backing off again")
            return
        }
        #expect(receiver.requests.count == 2, "the delivered batch is not sent again while it cannot be saved")
        try FileManager.default.removeItem(atPath: spool.otlpStatePath)
        #expect(run(&sink, now: Clock.unixMilliseconds() + 3_600_000) == .idle)
        #expect(receiver.requests.count == 2)
        #expect(try savedCursor()?.offset == queueSize)
        #expect(OTLPSinkState.load(spool).delivered == lines.count && OTLPSinkState.load(spool).lastError == nil)
    }

    @Test func aCorruptLineIsDeadLetteredOnceHoweverOftenTheBatchIsRetried() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = SyntheticSession.lines()
        for line in lines.prefix(5) { try spool.append(line) }
        try spool.append(Array(#"{"event_uuid":"torn","pay"#.utf8))
        for line in lines.dropFirst(5) { try spool.append(line) }
        let receiver = ScriptedHub()
        var answers = [503, 503, 200, 503, 503]  // traces twice, then the logs twice
        receiver.answer = { _ in HTTPResponse(status: answers.isEmpty ? 200 : answers.removeFirst()) }
        var sink = sink(receiver)
        var now = Clock.unixMilliseconds()
        for _ in 0..<6 {
            guard case .backingOff(let until) = run(&sink, now: now) else { break }
            now = until + 1
        }
        #expect(run(&sink, now: now) == .idle)
        let dead = try DeadLetters.records(in: spool.otlpDeadLetterPath)
        #expect(dead.count == 1 && dead.first?.event == nil)
        #expect(OTLPSinkState.load(spool).delivered == lines.count)
    }

    // MARK: Side by side

    func delivery(
        hub: ScriptedHub?, otlp: ScriptedHub?, settings: DeliverySettings = ageless
    ) -> SpoolDelivery {
        SpoolDelivery(
            spool: spool, settings: settings,
            hub: hub.map { Flusher(spool: spool, transport: $0, signer: nil, settings: settings) },
            otlp: otlp.map { OTLPSinkFlusher(spool: spool, settings: Self.settings, transport: $0, delivery: settings) }
        )
    }

    /// Rounds until no sink progresses; returns the last round.
    @discardableResult
    func run(_ delivery: inout SpoolDelivery, now: Int64 = Clock.unixMilliseconds()) -> Flusher.Step {
        var last = Flusher.Step.idle
        for _ in 0..<500 {
            last = delivery.step(now: now)
            if case .progressed = last { continue }
            return last
        }
        return last
    }

    func hubIDs(_ hub: ScriptedHub) -> [String] {
        hub.requests.flatMap { request in
            (try? JSONValue.parse(request.body))?.arrayValue?.compactMap { $0["event_uuid"]?.stringValue } ?? []
        }
    }

    @Test func oneSinkDownNeverHoldsTheOtherBack() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var delivery = delivery(hub: hub, otlp: receiver)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let hubUntil) = run(&delivery, now: now) else {
            Issue.record("the hub backs off")
            return
        }
        #expect(delivery.someSinkIdle, "the OTLP sink is done while the hub waits")
        #expect(OTLPSinkState.load(spool).delivered == lines.count)
        #expect(hub.requests.count == 1, "one attempt, then the backoff")

        // Now the other way round: the receiver goes down, the hub comes back; more events.
        hub.answer = { ScriptedHub.accepted($0) }
        receiver.answer = { _ in HTTPResponse(status: 503) }
        let more = try queueSession(start: SyntheticSession.start + 100_000)
        hub.requests.removeAll()
        guard case .backingOff = run(&delivery, now: hubUntil + 1) else {
            Issue.record("the receiver backs off")
            return
        }
        #expect(hubIDs(hub) == Self.eventIDs(lines + more), "the hub got everything while the receiver was down")
        #expect(OTLPSinkState.load(spool).lastError?.contains("503") == true)
        #expect(SpoolState.load(spool).lastError == nil)
        #expect(delivery.pendingEvents(.otlp) == more.count && delivery.pendingEvents(.hub) == 0)
    }

    @Test func compactionKeepsWhatTheSinkBehindNeedsAndMovesBothPositions() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = try queueSession()
        let hub = ScriptedHub()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 503) }
        var delivery = delivery(hub: hub, otlp: receiver)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = run(&delivery, now: now) else {
            Issue.record("the receiver backs off")
            return
        }
        let size = queueSize
        let cut = delivery.compact(now: now)
        #expect(!cut, "the OTLP sink still needs every line")
        #expect(queueSize == size)

        receiver.answer = { _ in HTTPResponse(status: 200) }
        #expect(run(&delivery, now: until + 1) == .idle)
        let emptied = delivery.compact(now: until + 1)
        #expect(emptied, "handled by both: emptied")
        #expect(queueSize == 0)
        let inode = queueInode
        #expect(SpoolState.load(spool).inode == inode && SpoolState.load(spool).offset == 0)
        #expect(try savedCursor()?.inode == inode && savedCursor()?.offset == 0)
        #expect(OTLPSinkState.load(spool).inode == inode)

        // After it, both read only what is new.
        hub.requests.removeAll()
        receiver.requests.removeAll()
        let more = try queueSession(start: SyntheticSession.start + 100_000)
        #expect(run(&delivery, now: until + 1) == .idle)
        #expect(hubIDs(hub) == Self.eventIDs(more))
        #expect(Self.requests(receiver, "/v1/logs").flatMap { Self.loggedEvents($0.body) } == Self.eventIDs(more))
        _ = lines
    }

    @Test func aRewriteKeepsTheTailTheSinkBehindNeedsAndMovesEachPosition() throws {
        defer { removeTemporaryDirectory(directory) }
        let lines = (0..<5).flatMap {
            SyntheticSession.lines(sessionStart: SyntheticSession.start + Int64($0) * 10_000)
        }
        for line in lines { try spool.append(line) }
        let hub = ScriptedHub()
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var batches = Self.ageless
        batches.maxBatchEvents = 80
        // The OTLP sink delivers one batch of 80 events; the hub everything.
        var otlp = OTLPSinkFlusher(spool: spool, settings: Self.settings, transport: receiver, delivery: batches)
        #expect(otlp.step() == .progressed(delivered: 80))
        var flusher = Flusher(spool: spool, transport: hub, signer: nil, settings: Self.ageless)
        while case .progressed = flusher.step() {}
        let size = queueSize
        let handled = try #require(try savedCursor()?.offset)
        #expect(handled * 2 >= size, "the handled part is the larger")

        // The queue's bound (and so the rewrite threshold) is the handled part: rewritten.
        var settings = Self.ageless
        settings.maxQueueBytes = handled
        var delivery = delivery(hub: hub, otlp: receiver, settings: settings)
        let rewritten = delivery.compact()
        #expect(rewritten)
        #expect(queueSize == size - handled)
        let inode = queueInode
        #expect(SpoolState.load(spool).inode == inode && SpoolState.load(spool).offset == size - handled)
        #expect(try savedCursor()?.inode == inode && savedCursor()?.offset == 0)

        receiver.requests.removeAll()
        hub.requests.removeAll()
        #expect(run(&delivery) == .idle)
        #expect(hub.requests.isEmpty)
        let logged = Self.requests(receiver, "/v1/logs").flatMap { Self.loggedEvents($0.body) }
        #expect(logged == Self.eventIDs(Array(lines.dropFirst(80))), "exactly the rest, once")
    }

    @Test func theSizeBoundHoldsForEverySinkWhileItsReceiverIsDown() throws {
        defer { removeTemporaryDirectory(directory) }
        var settings = DeliverySettings()
        settings.maxQueueBytes = 100_000
        _ = try queueEvents(10, in: spool)
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 503) }
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        var delivery = delivery(hub: hub, otlp: receiver, settings: settings)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = delivery.step(now: now) else {
            Issue.record("expected a backoff")
            return
        }
        _ = try queueEvents(4000, in: spool, padding: 400)
        #expect(run(&delivery, now: now + 1) == .backingOff(until: until))
        #expect(receiver.requests.count == 1 && hub.requests.count == 1, "no attempt during the backoff")
        #expect(queueSize <= 2 * 100_000, "queue.jsonl is \(queueSize) bytes")
        let otlp = OTLPSinkStatus(spool: spool, endpoint: "e", wireProtocol: "w")
        #expect(otlp.dropped > 3700 && otlp.dropped + otlp.queued == 4010, "\(otlp)")
        let hubStatus = SpoolStatus(spool: spool, hub: "h")
        #expect(hubStatus.dropped > 3700 && hubStatus.dropped + hubStatus.queued == 4010, "\(hubStatus)")
    }

    @Test func aBackgroundFlusherGivesUpOnTheFailingSinkAndGoesOnWithTheOther() throws {
        defer { removeTemporaryDirectory(directory) }
        try queueSession()
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var delivery = delivery(hub: hub, otlp: receiver)
        let now = Clock.unixMilliseconds()
        _ = run(&delivery, now: now)
        #expect(delivery.retireFailingSinks(giveUpMilliseconds: 0, now: now) == nil, "the OTLP sink is fine")
        #expect(delivery.retired == [.hub])
        #expect(SpoolState.load(spool).gaveUpAt == now)
        // Retired: no longer stepped, even when its next attempt is due.
        hub.requests.removeAll()
        #expect(run(&delivery, now: now + 3_600_000) == .idle)
        #expect(hub.requests.isEmpty)
        // Hooks start no flusher for it before its next attempt, but do for the OTLP sink.
        #expect(!SpoolDelivery.hasPendingEvents(spool, hub: true, otlp: false, includingWaiting: false, now: now))
        #expect(SpoolDelivery.hasPendingEvents(spool, hub: true, otlp: false, now: now))
    }

    @Test func theEmbeddedLoopLetsGoWhileOneSinkBacksOffButWantsTheNextAppend() throws {
        defer { removeTemporaryDirectory(directory) }
        try queueSession()
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503) }
        let receiver = ScriptedHub()
        receiver.answer = { _ in HTTPResponse(status: 200) }
        var delivery = delivery(hub: hub, otlp: receiver)
        let end = DeliveryLoop.run(&delivery, lingerMilliseconds: 0, sleepsThroughBackoff: false) { _ in true }
        guard case .waiting = end else {
            Issue.record("expected .waiting, got \(end)")
            return
        }
        #expect(OTLPSinkState.load(spool).delivered == SyntheticSession.events.count)
        // With both backing off it is a plain backoff.
        receiver.answer = { _ in HTTPResponse(status: 503) }
        _ = try queueSession(start: SyntheticSession.start + 100_000)
        var both = self.delivery(hub: hub, otlp: receiver)
        let second = DeliveryLoop.run(&both, lingerMilliseconds: 0, sleepsThroughBackoff: false) { _ in true }
        guard case .backingOff = second else {
            Issue.record("expected .backingOff, got \(second)")
            return
        }
    }
}
