import HookKitSystem

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
    private let transport: any HTTPTransport
    /// The state as last loaded or saved.
    package private(set) var state: SpoolState
    private var batchLimit: Int
    /// The state in memory is ahead of `state.json`, whose last save failed.
    private var unsaved = false
    /// Whether the flusher compacts the queue itself while backing off (after dropping events
    /// past the queue's bound). Off when it is one sink among others (``SpoolDelivery``), which
    /// compacts for all of them: only what every sink has handled may be cut.
    package var compactsOnItsOwn = true

    /// Prepares a flusher; loads the spool's state. `signer` signs every request when given.
    package init(
        spool: Spool, transport: any HTTPTransport, signer: StandardWebhooks.Signer?, settings: DeliverySettings
    ) {
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
        unsaved = false
        batchLimit = settings.maxBatchEvents
    }

    /// Delivers at most one batch, unless the hub is backing off and `ignoreBackoff` is false;
    /// while backing off it still keeps the queue within its size bound.
    ///
    /// Never throws: a spool that cannot be read or written (a full disk, a file that cannot
    /// grow) is a failure like a hub that is down, recorded in `last_error` and retried after the
    /// backoff, so that a flusher never spins on it.
    package mutating func step(now: Int64 = Clock.unixMilliseconds(), ignoreBackoff: Bool = false) -> Step {
        do {
            return try attempt(now: now, ignoreBackoff: ignoreBackoff)
        } catch {
            return spoolFailed(error, now: now)
        }
    }

    /// Gives the queue file's space back (see ``QueueCompaction``); a failure is one like any other
    /// (backoff, `last_error`). Returns whether the file changed.
    @discardableResult
    package mutating func compact(now: Int64 = Clock.unixMilliseconds()) -> Bool {
        do {
            return try QueueCompaction.compact(spool, state: &state, rewriteThreshold: rewriteThreshold)
        } catch {
            _ = spoolFailed(error, now: now)
            return false
        }
    }

    /// Moves the position into the file a compaction made, and saves it.
    package mutating func moveAfterCompaction(_ change: QueueChange) throws(SpoolError) {
        state.moveAfterCompaction(change)
        try save()
    }

    /// Records a failure of the spool that is not the flusher's own (a compaction for several
    /// sinks), with backoff, as ``step(now:ignoreBackoff:)`` does for its own.
    package mutating func recordSpoolFailure(_ error: SpoolError, now: Int64 = Clock.unixMilliseconds()) {
        _ = spoolFailed(error, now: now)
    }

    /// Records that the background flusher gives up (see ``FlusherLifetime``): hooks start no new
    /// one before the next attempt is due.
    package mutating func recordGivingUp(now: Int64 = Clock.unixMilliseconds()) {
        state.gaveUpAt = now
        do {
            try save()
        } catch {
            // Then hooks may start a flusher early: it makes one attempt and leaves again.
        }
    }

    /// A queue whose handled part is this large is rewritten even while events wait: never more
    /// than the queue's own bound, so that the file stays within about twice it during an outage.
    private var rewriteThreshold: Int64 { min(QueueCompaction.rewriteThreshold, settings.maxQueueBytes) }

    private mutating func attempt(now: Int64, ignoreBackoff: Bool) throws(SpoolError) -> Step {
        if unsaved {
            // Nothing goes to the hub before the progress made so far is saved: otherwise the next
            // flusher would send it again, and again.
            if !ignoreBackoff, let next = state.nextAttemptAt, next > now { return .backingOff(until: next) }
            try save()
        }
        guard let reader = try QueueReader(spool) else {
            if !ignoreBackoff, let next = state.nextAttemptAt, next > now { return .backingOff(until: next) }
            return .idle
        }
        var resynchronized = state
        let problems = try Self.reading(spool) { () throws(Errno) in
            try resynchronized.resynchronize(with: reader, now: now, backoff: settings.backoff)
        }
        state = resynchronized
        if !problems.isEmpty { try save() }
        let backingOff = !ignoreBackoff && (state.nextAttemptAt ?? 0) > now
        if try dropBeyondBounds(reader) {
            // Hooks keep appending during an outage: give the dropped part's space back now too.
            if backingOff && compactsOnItsOwn {
                _ = try QueueCompaction.compact(spool, state: &state, rewriteThreshold: rewriteThreshold)
            }
            return .progressed(delivered: 0)
        }
        if backingOff, let next = state.nextAttemptAt {
            // A compaction that lost the race for the queue's lock to a hook is tried again here.
            if state.offset >= rewriteThreshold, state.offset * 2 >= reader.size {
                _ = try QueueCompaction.compact(spool, state: &state, rewriteThreshold: rewriteThreshold)
            }
            return .backingOff(until: next)
        }
        let retry = state.inflight.flatMap { $0.start == state.offset ? $0 : nil }
        let chunk = try Self.reading(spool) { () throws(Errno) in
            try reader.lines(
                from: state.offset, maxLines: batchLimit, maxBytes: settings.maxBatchBytes, limit: retry?.end)
        }
        guard !chunk.lines.isEmpty else {
            if chunk.end > state.offset {  // only empty lines
                state.offset = chunk.end
                try save()
            }
            return .idle
        }
        return try deliver(chunk, retry: retry, now: now)
    }

    // MARK: - Bounds

    /// Drops the oldest events past the size bound.
    private mutating func dropBeyondBounds(_ reader: QueueReader) throws(SpoolError) -> Bool {
        let pending = reader.size - state.offset
        guard pending > settings.maxQueueBytes else { return false }
        let (cut, count) = try Self.reading(spool) { () throws(Errno) in
            let cut = try reader.lineBoundary(atOrAfter: reader.size - settings.maxQueueBytes)
            return (cut, try reader.countLines(from: state.offset, to: cut))
        }
        state.dropped += count
        state.offset = cut
        state.mark = nil
        state.inflight = nil
        try save()
        return true
    }

    // MARK: - Delivery

    private struct Event {
        var range: Range<Int>
        var id: String
    }

    /// What a queue line is to the flusher.
    private enum Line {
        case event(Event)
        case corrupt
        case tooOld
    }

    private func classify(_ line: ArraySlice<UInt8>, range: Range<Int>, now: Int64) -> Line {
        guard let event = try? JSONScanner.scan(Array(line)), event.rootKind == .object,
            let eventID = event.string(forKey: "event_uuid")
        else { return .corrupt }
        if let timestamp = event.text(forKey: "timestamp").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }),
            now - timestamp > settings.maxAgeMilliseconds
        {
            return .tooOld
        }
        return .event(Event(range: range, id: eventID))
    }

    private mutating func deliver(_ chunk: QueueChunk, retry: SpoolState.Inflight?, now: Int64) throws(SpoolError)
        -> Step
    {
        // Lines at the head that need no hub (corrupt ones go to the dead letters, too old ones are
        // dropped) are settled first, and the offset moves past them at once: a batch that then
        // fails and is retried can never dead-letter or count them a second time.
        var settledThrough: Int64?
        var settledMark: SpoolState.Mark?
        var dropped = 0
        var events: [Event] = []
        var batchEnd = chunk.end
        lines: for range in chunk.lines {
            switch classify(chunk.bytes[range], range: range, now: now) {
            case .event(let event):
                if settledThrough != nil { break lines }
                events.append(event)
                continue
            case .corrupt where events.isEmpty:
                try DeadLetters.add(
                    corruptLine: chunk.bytes[range], reason: "not a valid event line (torn or corrupt write)",
                    to: spool)
            case .tooOld where events.isEmpty:
                dropped += 1
            case .corrupt, .tooOld:
                batchEnd = chunk.start + Int64(range.lowerBound)  // the batch stops before it
            }
            if !events.isEmpty { break lines }
            settledThrough = chunk.start + Int64(range.upperBound) + 1
            settledMark = .init(start: chunk.start + Int64(range.lowerBound), line: chunk.bytes[range])
        }
        if let settledThrough {
            state.dropped += dropped
            state.offset = settledThrough
            state.mark = settledMark
            state.inflight = nil
            try save()
            return .progressed(delivered: 0)
        }
        if state.batchUnsupported || events.count == 1 {
            return try deliverOneByOne(events, chunk: chunk, through: batchEnd, now: now)
        }
        // A retry sends the same bytes under the same webhook-id; a batch of other lines (a smaller
        // limit after a 413) is a new message with a new id.
        let same = retry.flatMap { $0.end == batchEnd ? $0 : nil }
        let inflight = SpoolState.Inflight(
            id: same?.id ?? UUIDv7.generate().uuidString, start: chunk.start, end: batchEnd,
            isolate: same?.isolate ?? false)
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(Int(batchEnd - chunk.start) + 2)
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: chunk.bytes[event.range])
        }
        body.append(UInt8(ascii: "]"))
        let response: HTTPResponse
        do {
            response = try post("/events/batch", body: body, id: inflight.id)
        } catch {
            return try failed("\(error)", retryAfter: nil, inflight: inflight, now: now)
        }
        switch response.status {
        case 200..<300:
            let answer: BatchAnswer
            do {
                answer = try BatchAnswer(response.body, sent: events.map(\.id))
            } catch {
                // Not the documented answer: nothing can be counted as delivered. Retry the same
                // batch once; if the answer is wrong again, one event per request tells which
                // events arrived (any 2xx or 409 to a single event is unambiguous).
                if inflight.isolate { return try deliverOneByOne(events, chunk: chunk, through: batchEnd, now: now) }
                var marked = inflight
                marked.isolate = true
                return try failed(
                    "hub answered \(response.status) to a batch of \(events.count) events with \(error)",
                    retryAfter: Self.retryAfter(response), inflight: marked, now: now)
            }
            var delivered = 0
            for (index, event) in events.enumerated() {
                if let reason = answer.rejected[index] {
                    try DeadLetters.add(
                        event: chunk.bytes[event.range], reason: "rejected by the hub: \(reason)", to: spool)
                } else {
                    delivered += 1
                }
            }
            succeeded(delivered: delivered, through: batchEnd, last: events.last.map { mark(chunk, $0.range) })
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
                inflight: inflight, now: now)
        default:
            // A refusal of the whole batch: find out which events it is about, one by one.
            return try deliverOneByOne(events, chunk: chunk, through: batchEnd, now: now)
        }
    }

    private mutating func deliverOneByOne(
        _ events: [Event], chunk: QueueChunk, through batchEnd: Int64, now: Int64
    ) throws(SpoolError) -> Step {
        var delivered = 0
        for (index, event) in events.enumerated() {
            // The offset can move past this event once it is settled: up to the next one's start.
            let settledThrough =
                index + 1 < events.count ? chunk.start + Int64(events[index + 1].range.lowerBound) : batchEnd
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
                succeeded(delivered: 1, through: settledThrough, last: mark(chunk, event.range))
            case 408, 429, 500...:
                return try failed(
                    "hub answered \(response.status)", retryAfter: Self.retryAfter(response), inflight: nil, now: now,
                    delivered: delivered)
            default:
                let detail = String(decoding: response.body.prefix(200), as: UTF8.self)
                try DeadLetters.add(
                    event: chunk.bytes[event.range], reason: "hub answered \(response.status): \(detail)", to: spool)
                succeeded(delivered: 0, through: settledThrough, last: mark(chunk, event.range))
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

    private func mark(_ chunk: QueueChunk, _ range: Range<Int>) -> SpoolState.Mark {
        SpoolState.Mark(start: chunk.start + Int64(range.lowerBound), line: chunk.bytes[range])
    }

    private mutating func succeeded(delivered: Int, through end: Int64, last: SpoolState.Mark?) {
        state.offset = end
        state.mark = last
        state.delivered += delivered
        state.recordSuccess()
        state.inflight = nil
    }

    /// Records a failure and the backoff after it.
    private mutating func backOff(_ error: String, retryAfter: Int64?, now: Int64) -> Int64 {
        state.recordFailure(error, retryAfter: retryAfter, now: now, backoff: settings.backoff)
    }

    private mutating func failed(
        _ error: String, retryAfter: Int64?, inflight: SpoolState.Inflight?, now: Int64, delivered: Int = 0
    ) throws(SpoolError) -> Step {
        let until = backOff(error, retryAfter: retryAfter, now: now)
        state.inflight = inflight
        try save()
        return delivered > 0 ? .progressed(delivered: delivered) : .backingOff(until: until)
    }

    /// The spool itself failed (read, write, save, compaction): back off like for a hub that is
    /// down. The offset and the batch being retried stay as they are.
    private mutating func spoolFailed(_ error: SpoolError, now: Int64) -> Step {
        let until = backOff("\(error)", retryAfter: nil, now: now)
        do {
            try save()
        } catch {
            // Saving is likely what failed: the state stays in memory (the right offset, the
            // backoff) and the first step after the backoff saves it before anything else.
            unsaved = true
        }
        return .backingOff(until: until)
    }

    private mutating func save() throws(SpoolError) {
        do {
            try state.save(spool)
            unsaved = false
        } catch {
            throw SpoolError(operation: "save", path: spool.statePath, errno: error)
        }
    }

    /// Runs a read of the queue file, reporting its failure as a spool error.
    private static func reading<T>(_ spool: Spool, _ body: () throws(Errno) -> T) throws(SpoolError) -> T {
        do {
            return try body()
        } catch {
            throw SpoolError(operation: "read", path: spool.queuePath, errno: error)
        }
    }

    /// `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies instead).
    static func retryAfter(_ response: HTTPResponse) -> Int64? {
        response.headers["Retry-After"].flatMap { Int64($0.filter { $0 != " " }) }
    }
}
