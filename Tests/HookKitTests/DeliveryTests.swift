import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// A hub stand-in that records every request and answers from a script.
final class ScriptedHub: HTTPTransport, @unchecked Sendable {
    struct Request {
        var path: String
        var body: [UInt8]
        var headers: HTTPHeaders
    }
    var requests: [Request] = []
    var answer: (Request) -> HTTPResponse = { request in ScriptedHub.accepted(request) }

    /// The hub's answer when it stores every event of a batch (or the one event posted).
    static func accepted(_ request: Request) -> HTTPResponse {
        guard request.path == "/events/batch" else { return HTTPResponse(status: 201) }
        let count = (try? JSONValue.parse(request.body).arrayValue?.count) ?? 0
        return HTTPResponse(status: 200, body: Array(#"{"accepted":\#(count ?? 0),"duplicates":0,"rejected":[]}"#.utf8))
    }

    func post(_ path: String, body: [UInt8], headers: HTTPHeaders) throws(HTTPClientError) -> HTTPResponse {
        let request = Request(path: path, body: body, headers: headers)
        requests.append(request)
        return answer(request)
    }
}

/// The delivery rules of the wire contract, driven step by step against a scripted hub.
@Suite struct DeliveryTests {
    let directory: String
    let spool: Spool

    init() throws {
        directory = try makeTemporaryDirectory("delivery")
        spool = Spool(directory: directory)
    }

    func queue(_ count: Int, timestamp: Int64 = Clock.unixMilliseconds()) throws -> [String] {
        try (0..<count).map { index in
            let id = UUIDv7.generate().uuidString
            try spool.append(
                Array(
                    #"{"event_uuid":"\#(id)","session_id":"s","timestamp":\#(timestamp),"payload":{"i":\#(index)}}"#
                        .utf8))
            return id
        }
    }

    func flusher(_ hub: ScriptedHub, secret: String? = nil, settings: DeliverySettings = DeliverySettings()) throws
        -> Flusher
    {
        Flusher(
            spool: spool, transport: hub, signer: try secret.map { try StandardWebhooks.Signer(secrets: [$0]) },
            settings: settings)
    }

    func ids(inBatch body: [UInt8]) throws -> [String] {
        try JSONValue.parse(body).arrayValue?.compactMap { $0["event_uuid"]?.stringValue } ?? []
    }

    func deadLetters() throws -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: spool.deadLetterPath) else { return [] }
        return try data.split(separator: 10).map { try JSONValue.parse(Array($0)) }
    }

    /// Steps until the flusher is idle (or backs off); returns the events delivered.
    func drain(_ flusher: inout Flusher, limit: Int = 100) -> Int {
        var delivered = 0
        for _ in 0..<limit {
            switch flusher.step() {
            case .progressed(let count): delivered += count
            case .idle, .backingOff: return delivered
            }
        }
        return delivered
    }

    @Test func deliversInBatchesAndEmptiesTheQueue() throws {
        defer { removeTemporaryDirectory(directory) }
        let sent = try queue(1200)
        let hub = ScriptedHub()
        var flusher = try flusher(hub)
        var steps: [Flusher.Step] = []
        while true {
            let step = try flusher.step()
            steps.append(step)
            if step == .idle { break }
        }
        #expect(
            steps == [.progressed(delivered: 500), .progressed(delivered: 500), .progressed(delivered: 200), .idle])
        #expect(hub.requests.allSatisfy { $0.path == "/events/batch" })
        #expect(try hub.requests.flatMap { try ids(inBatch: $0.body) } == sent)
        var state = flusher.state
        #expect(try QueueCompaction.compact(spool, state: &state))
        #expect(SpoolStatus(spool: spool, hub: "h").queued == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: spool.queuePath)[.size] as? Int == 0)
    }

    @Test func rejectedEventsAreDeadLetteredWithTheHubsReason() throws {
        defer { removeTemporaryDirectory(directory) }
        let sent = try queue(3)
        let hub = ScriptedHub()
        hub.answer = { _ in
            HTTPResponse(
                status: 200,
                body: Array(
                    #"{"accepted":2,"duplicates":0,"rejected":[{"event_uuid":"\#(sent[1])","error":"payload missing"}]}"#
                        .utf8))
        }
        var flusher = try flusher(hub)
        #expect(try flusher.step() == .progressed(delivered: 2))
        let dead = try deadLetters()
        #expect(dead.count == 1)
        #expect(dead.first?["event"]?["event_uuid"]?.stringValue == sent[1])
        #expect(dead.first?["reason"]?.stringValue == "rejected by the hub: payload missing")
    }

    @Test func aHubWithoutBatchesGetsOneEventPerRequestAnd409CountsAsDelivered() throws {
        defer { removeTemporaryDirectory(directory) }
        let sent = try queue(3)
        let hub = ScriptedHub()
        hub.answer = { request in
            if request.path == "/events/batch" { return HTTPResponse(status: 404) }
            return HTTPResponse(status: request.body.count % 2 == 0 ? 409 : 201)
        }
        var flusher = try flusher(hub)
        #expect(try flusher.step() == .progressed(delivered: 0))  // learns there is no batch endpoint
        #expect(try flusher.step() == .progressed(delivered: 3))
        #expect(try flusher.step() == .idle)
        #expect(hub.requests.map(\.path) == ["/events/batch", "/events", "/events", "/events"])
        let singles = try hub.requests.dropFirst().map { try JSONValue.parse($0.body)["event_uuid"]?.stringValue }
        #expect(singles == sent)
        #expect(SpoolState.load(spool).batchUnsupported)
        #expect(try deadLetters().isEmpty)
    }

    @Test func serverErrorsBackOffAndTheRetrySendsTheSameSignedBatch() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queue(4)
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 503, headers: ["Retry-After": "30"]) }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        var flusher = try flusher(hub, secret: secret)
        let now = Clock.unixMilliseconds()
        guard case .backingOff(let until) = try flusher.step(now: now) else {
            Issue.record("expected backoff")
            return
        }
        #expect(until - now >= 30_000, "Retry-After is honoured")
        // While backing off, no request at all.
        #expect(try flusher.step(now: now + 1000) == .backingOff(until: until))
        #expect(hub.requests.count == 1)
        // Events appended meanwhile do not change the retried batch.
        _ = try queue(2)
        hub.answer = { ScriptedHub.accepted($0) }
        var retrying = try self.flusher(hub, secret: secret)  // a new process: state from disk
        #expect(try retrying.step(now: until + 1) == .progressed(delivered: 4))
        let (first, retry) = (hub.requests[0], hub.requests[1])
        #expect(first.body == retry.body)
        #expect(first.headers["webhook-id"] == retry.headers["webhook-id"])
        let verifier = try StandardWebhooks.Verifier(secrets: [secret])
        for request in [first, retry] {
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
            #expect(throws: Never.self) {
                try verifier.verify(
                    id: request.headers["webhook-id"], timestamp: request.headers["webhook-timestamp"],
                    signature: request.headers["webhook-signature"], body: request.body, now: timestamp)
            }
        }
        #expect(retrying.state.failures == 0 && retrying.state.nextAttemptAt == nil)
        #expect(try retrying.step() == .progressed(delivered: 2))
    }

    @Test func backoffGrowsWithConsecutiveFailures() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queue(1)
        let hub = ScriptedHub()
        hub.answer = { _ in HTTPResponse(status: 500) }
        var flusher = try flusher(hub)
        var now: Int64 = Clock.unixMilliseconds()
        var delays: [Int64] = []
        for _ in 0..<12 {
            guard case .backingOff(let until) = try flusher.step(now: now) else { return }
            delays.append(until - now)
            now = until
        }
        for (index, delay) in delays.enumerated() {
            let ceiling = min(300_000, Int64(1000) << Int64(index))
            #expect(delay >= ceiling / 2 && delay <= ceiling, "failure \(index + 1): \(delay) ms")
        }
        #expect(SpoolState.load(spool).lastError == "hub answered 500")
    }

    @Test func aRefusedBatchIsSplitToFindTheBadEvent() throws {
        defer { removeTemporaryDirectory(directory) }
        let sent = try queue(3)
        let hub = ScriptedHub()
        hub.answer = { request in
            if request.path == "/events/batch" {
                return HTTPResponse(status: 400, body: Array(#"{"error":"bad"}"#.utf8))
            }
            let id = (try? JSONValue.parse(request.body))?["event_uuid"]?.stringValue
            return HTTPResponse(status: id == sent[2] ? 422 : 201, body: Array(#"{"error":"nope"}"#.utf8))
        }
        var flusher = try flusher(hub)
        #expect(try flusher.step() == .progressed(delivered: 2))
        let dead = try deadLetters()
        #expect(dead.map { $0["event"]?["event_uuid"]?.stringValue } == [sent[2]])
        #expect(dead.first?["reason"]?.stringValue == #"hub answered 422: {"error":"nope"}"#)
        #expect(try flusher.step() == .idle)
    }

    @Test func tornLinesAreDeadLetteredNotSent() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queue(1)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spool.queuePath))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"event_uuid":"torn","pay"#.utf8))  // a writer killed mid-line
        try handle.close()
        _ = try queue(1)  // the next writer starts on a fresh line
        let hub = ScriptedHub()
        var flusher = try flusher(hub)
        // The torn line ends the first batch, is dead-lettered once the offset reaches it, and the
        // next batch starts after it.
        #expect(drain(&flusher) == 2)
        #expect(hub.requests.count == 2)
        #expect(!hub.requests.contains { String(decoding: $0.body, as: UTF8.self).contains("torn") })
        let dead = try deadLetters()
        #expect(dead.first?["line"]?.stringValue == #"{"event_uuid":"torn","pay"#)
        // A torn last line that nobody will finish is cleared by compaction.
        let tail = try FileHandle(forWritingTo: URL(fileURLWithPath: spool.queuePath))
        tail.seekToEndOfFile()
        tail.write(Data(#"{"event_uuid":"torn-at-end""#.utf8))
        try tail.close()
        #expect(try flusher.step() == .idle)
        var state = flusher.state
        #expect(try QueueCompaction.compact(spool, state: &state))
        #expect(try deadLetters().count == 2)
        #expect(SpoolStatus(spool: spool, hub: "h").queued == 0)
    }

    @Test func queueBoundsDropTheOldestAndCountThem() throws {
        defer { removeTemporaryDirectory(directory) }
        let old = try queue(3, timestamp: Clock.unixMilliseconds() - 8 * 24 * 3600 * 1000)
        let fresh = try queue(50)
        let hub = ScriptedHub()
        var settings = DeliverySettings()
        settings.maxQueueBytes = 30 * 140  // room for about 30 of the 53 lines
        var flusher = try flusher(hub, settings: settings)
        #expect(try flusher.step() == .progressed(delivered: 0))  // the size bound drops the oldest
        let dropped = flusher.state.dropped
        #expect(dropped > 3 && dropped < 53)
        #expect(try flusher.step() == .progressed(delivered: 53 - dropped))
        let delivered = try hub.requests.flatMap { try ids(inBatch: $0.body) }
        #expect(delivered == Array(fresh.suffix(delivered.count)))
        #expect(delivered.count + flusher.state.dropped == 53)
        #expect(!delivered.contains(old[2]))
        #expect(SpoolStatus(spool: spool, hub: "h").dropped == flusher.state.dropped)
    }

    @Test func eventsOlderThanTheAgeBoundAreDropped() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try queue(2, timestamp: Clock.unixMilliseconds() - 8 * 24 * 3600 * 1000)
        let fresh = try queue(2)
        let hub = ScriptedHub()
        var flusher = try flusher(hub)
        #expect(flusher.step() == .progressed(delivered: 0))  // the old ones, at the head
        #expect(flusher.step() == .progressed(delivered: 2))
        #expect(try ids(inBatch: hub.requests[0].body) == fresh)
        #expect(flusher.state.dropped == 2)
    }
}
