import HookKitSystem

/// Something that can POST to the hub: the plain HTTP client, or the TLS tunnel for https hubs.
package protocol HubTransport {
    /// Sends `POST path` and returns the response, whatever its status.
    func post(_ path: String, body: [UInt8], headers: HTTPHeaders) throws(HTTPClientError) -> HTTPResponse
}

extension HTTPClient: HubTransport {}

/// Delivers the spool's queue to the hub, batch by batch, per the wire contract.
///
/// Every step reads from the saved offset and saves the new one only after the hub answered, so
/// a flusher killed at any moment loses nothing: the next one resends at most one batch, which
/// the hub's dedup by `event_uuid` turns into duplicates, counted as delivered. The caller holds
/// the ``FlusherLock``.
package struct Flusher {
    /// What one step did.
    package enum Step: Equatable, Sendable {
        /// Events were handled (delivered, dead-lettered or dropped): go on.
        case progressed(delivered: Int)
        /// Nothing complete is waiting.
        case idle
        /// The hub failed; the next attempt is due at this time (Unix ms).
        case backingOff(until: Int64)
    }

    /// The spool.
    package let spool: Spool
    /// The delivery settings.
    package let settings: DeliverySettings
    /// The Standard Webhooks signer, when a secret is configured.
    package let signer: StandardWebhooks.Signer?
    private let transport: any HubTransport
    /// The state as last loaded or saved.
    package private(set) var state: SpoolState
    private var batchLimit: Int

    /// Prepares a flusher; loads the spool's state. `signer` signs every request when given.
    package init(spool: Spool, transport: any HubTransport, signer: StandardWebhooks.Signer?, settings: DeliverySettings)
    {
        self.spool = spool
        self.transport = transport
        self.settings = settings
        self.signer = signer
        state = SpoolState.load(spool)
        batchLimit = settings.maxBatchEvents
    }

    /// Reads the saved state again (after another process or a compaction changed it).
    package mutating func reload() {
        state = SpoolState.load(spool)
        batchLimit = settings.maxBatchEvents
    }

    /// Delivers at most one batch, unless the hub is backing off and `ignoreBackoff` is false.
    package mutating func step(now: Int64 = Clock.unixMilliseconds(), ignoreBackoff: Bool = false) throws(SpoolError)
        -> Step
    {
        if !ignoreBackoff, let next = state.nextAttemptAt, next > now { return .backingOff(until: next) }
        let reader: QueueReader
        do {
            guard let opened = try QueueReader(spool) else { return .idle }
            reader = opened
        } catch {
            throw SpoolError(operation: "read", path: spool.queuePath, errno: error)
        }
        if reader.inode != state.inode || state.offset > reader.size {
            // A new or replaced queue file: the saved offset is not about it.
            state.inode = reader.inode
            state.offset = 0
            state.inflight = nil
        }
        do {
            if try dropBeyondBounds(reader) { return .progressed(delivered: 0) }
            let retry = state.inflight.flatMap { $0.start == state.offset ? $0 : nil }
            let chunk = try reader.lines(
                from: state.offset, maxLines: batchLimit, maxBytes: settings.maxBatchBytes, limit: retry?.end)
            guard !chunk.lines.isEmpty else {
                if chunk.end > state.offset {  // only empty lines
                    state.offset = chunk.end
                    try save()
                }
                return .idle
            }
            return try deliver(chunk, id: retry?.id, now: now)
        } catch let error as SpoolError {
            throw error
        } catch {
            throw SpoolError(operation: "read", path: spool.queuePath, errno: error as? Errno ?? Errno(rawValue: 5))
        }
    }

    // MARK: - Bounds

    /// Drops the oldest events past the size bound, and events past the age bound at the head.
    private mutating func dropBeyondBounds(_ reader: QueueReader) throws -> Bool {
        let pending = reader.size - state.offset
        if pending > settings.maxQueueBytes {
            let cut = try reader.lineBoundary(atOrAfter: reader.size - settings.maxQueueBytes)
            state.dropped += try reader.countLines(from: state.offset, to: cut)
            state.offset = cut
            state.inflight = nil
            try save()
            return true
        }
        return false
    }

    // MARK: - Delivery

    private struct Event {
        var range: Range<Int>
        var id: String
    }

    private mutating func deliver(_ chunk: QueueChunk, id: String?, now: Int64) throws -> Step {
        var events: [Event] = []
        var dropped = 0
        for range in chunk.lines {
            let line = chunk.bytes[range]
            guard let event = try? JSONScanner.scan(Array(line)), event.rootKind == .object,
                let eventID = event.string(forKey: "event_uuid")
            else {
                try DeadLetters.add(
                    corruptLine: line, reason: "not a valid event line (torn or corrupt write)", to: spool)
                continue
            }
            if let timestamp = event.text(forKey: "timestamp").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }),
                now - timestamp > settings.maxAgeMilliseconds
            {
                dropped += 1
                continue
            }
            events.append(Event(range: range, id: eventID))
        }
        state.dropped += dropped
        guard !events.isEmpty else {
            state.offset = chunk.end
            state.inflight = nil
            try save()
            return .progressed(delivered: 0)
        }
        if state.batchUnsupported || events.count == 1 {
            return try deliverOneByOne(events, chunk: chunk, now: now)
        }
        let batchID = id ?? UUIDv7.generate().uuidString
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(Int(chunk.end - chunk.start) + 2)
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: chunk.bytes[event.range])
        }
        body.append(UInt8(ascii: "]"))
        let response: HTTPResponse
        do {
            response = try post("/events/batch", body: body, id: batchID)
        } catch {
            return try failed(
                "\(error)", retryAfter: nil, inflight: .init(id: batchID, start: chunk.start, end: chunk.end), now: now)
        }
        switch response.status {
        case 200..<300:
            let rejected = Self.rejections(in: response.body)
            var delivered = 0
            for event in events {
                if let reason = rejected[event.id] {
                    try DeadLetters.add(
                        event: chunk.bytes[event.range], reason: "rejected by the hub: \(reason)", to: spool)
                } else {
                    delivered += 1
                }
            }
            succeeded(delivered: delivered, through: chunk.end)
            try save()
            return .progressed(delivered: delivered)
        case 404, 405:
            state.batchUnsupported = true  // a hub with only POST /events, like the popular one
            try save()
            return .progressed(delivered: 0)
        case 413 where events.count > 1:
            batchLimit = max(1, events.count / 2)
            return .progressed(delivered: 0)
        case 408, 429, 500...:
            return try failed(
                "hub answered \(response.status) to a batch", retryAfter: Self.retryAfter(response),
                inflight: .init(id: batchID, start: chunk.start, end: chunk.end), now: now)
        default:
            // A refusal of the whole batch: find out which events it is about, one by one.
            return try deliverOneByOne(events, chunk: chunk, now: now)
        }
    }

    private mutating func deliverOneByOne(_ events: [Event], chunk: QueueChunk, now: Int64) throws -> Step {
        var delivered = 0
        for (index, event) in events.enumerated() {
            // The offset can move past this event once it is settled: up to the next one's start.
            let settledThrough =
                index + 1 < events.count ? chunk.start + Int64(events[index + 1].range.lowerBound) : chunk.end
            let body = Array(chunk.bytes[event.range])
            let response: HTTPResponse
            do {
                response = try post("/events", body: body, id: event.id)
            } catch {
                return try failed("\(error)", retryAfter: nil, inflight: nil, now: now, delivered: delivered)
            }
            switch response.status {
            case 200..<300, 409:
                delivered += 1
                succeeded(delivered: 1, through: settledThrough)
            case 408, 429, 500...:
                return try failed(
                    "hub answered \(response.status)", retryAfter: Self.retryAfter(response), inflight: nil, now: now,
                    delivered: delivered)
            default:
                let detail = String(decoding: response.body.prefix(200), as: UTF8.self)
                try DeadLetters.add(
                    event: chunk.bytes[event.range], reason: "hub answered \(response.status): \(detail)", to: spool)
                succeeded(delivered: 0, through: settledThrough)
            }
            try save()
        }
        return .progressed(delivered: delivered)
    }

    private mutating func post(_ path: String, body: [UInt8], id: String) throws(HTTPClientError) -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let signer {
            let timestamp = Clock.unixSeconds()
            headers.add("webhook-id", id)
            headers.add("webhook-timestamp", String(timestamp))
            headers.add("webhook-signature", signer.signatureHeader(id: id, timestamp: timestamp, body: body))
        }
        state.attempts += 1
        return try transport.post(path, body: body, headers: headers)
    }

    private mutating func succeeded(delivered: Int, through end: Int64) {
        state.offset = end
        state.delivered += delivered
        state.failures = 0
        state.nextAttemptAt = nil
        state.lastError = nil
        state.inflight = nil
    }

    private mutating func failed(
        _ error: String, retryAfter: Int64?, inflight: SpoolState.Inflight?, now: Int64, delivered: Int = 0
    ) throws -> Step {
        state.failures += 1
        let delay = settings.backoff.delay(
            afterFailures: state.failures, unit: Double(SystemRandom.next(UInt32.self)) / 4_294_967_296,
            retryAfterSeconds: retryAfter)
        state.nextAttemptAt = now + delay
        state.lastError = error
        state.inflight = inflight
        try save()
        return delivered > 0 ? .progressed(delivered: delivered) : .backingOff(until: now + delay)
    }

    private func save() throws(SpoolError) {
        do {
            try state.save(spool)
        } catch {
            throw SpoolError(operation: "save", path: spool.statePath, errno: error)
        }
    }

    /// `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies instead).
    static func retryAfter(_ response: HTTPResponse) -> Int64? {
        response.headers["Retry-After"].flatMap { Int64($0.filter { $0 != " " }) }
    }

    /// `event_uuid` → error for each event a batch response lists in `rejected`.
    static func rejections(in body: [UInt8]) -> [String: String] {
        guard let rejected = (try? JSONValue.parse(body))?["rejected"]?.arrayValue else { return [:] }
        var result: [String: String] = [:]
        for entry in rejected {
            if let id = entry["event_uuid"]?.stringValue { result[id] = entry["error"]?.stringValue ?? "rejected" }
        }
        return result
    }
}
