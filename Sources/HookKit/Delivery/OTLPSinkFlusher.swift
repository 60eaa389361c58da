import HookKitSystem

/// Delivers the spool's queue to an OTLP/HTTP receiver: the OTLP sink, beside the hub sink
/// (``Flusher``), reading the same `queue.jsonl` from its own position.
///
/// Each step reads a batch of lines from the sink's cursor, maps them with
/// ``OTLPSpanMapper`` from the saved ``OTLPSpanState``, posts the spans to `/v1/traces` and the
/// log records to `/v1/logs` (``OTLPSender``), and only after the receiver answered saves the
/// new open spans together with the new cursor (one atomic rename of `otlp-state.json`). A
/// flusher killed at any moment therefore maps the same lines again from the same state, which
/// gives byte-identical spans and logs: nothing is lost, and a receiver sees at most a repeated
/// request. When the spans were accepted but the logs must be retried, the cursor records it
/// (``OTLPSpanState/Cursor/tracesDeliveredThrough``) and the retry sends only the logs.
///
/// Answers (see ``OTLPAnswer``): accepted, with `partial_success` rejections counted and their
/// message kept for `status`; 429, 5xx, 408 and network failures back off (`Retry-After`
/// honoured) with the configured ``Backoff``; 413 splits the request in halves (a single item
/// still too large is counted as rejected); other 4xx dead-letter the batch's events in
/// `otlp-dead.jsonl` with the reason. Its counters, backoff and last error live in
/// `otlp-sink.json` (``OTLPSinkState``).
///
/// The guarantees of the hub sink hold here too: a spool that cannot be read or written is a
/// failure with backoff (never a spin), the saved position is checked against the queue before
/// use (another file, an offset outside it, not at a line start, or a last line that is not the
/// one handled: the queue was truncated or rewritten, and the sink maps it again from its start
/// rather than skip anything), the queue's size and age bounds hold while the receiver is down
/// (events dropped for this sink are counted), and a line is dead-lettered once. The caller holds
/// the ``FlusherLock``.
package struct OTLPSinkFlusher {
    /// The spool.
    package let spool: Spool
    /// Where and how to send.
    package let settings: OTLPSettings
    /// Batch sizes, bounds and backoff (shared with the hub sink).
    package let delivery: DeliverySettings
    private let transport: any HTTPTransport
    private let sender: OTLPSender
    /// The open spans and the cursor, as last loaded or saved (or ahead of the file when
    /// ``spansUnsaved``).
    package private(set) var spans: OTLPSpanState
    /// Counters, backoff and errors.
    package private(set) var state: OTLPSinkState
    private var spansUnsaved = false
    private var stateUnsaved = false
    /// `otlp-sink.json` is behind the state in memory on purpose (counters and the copy of the
    /// cursor, written at most once a second while batches succeed, and whenever the sink is idle).
    private var stateBehind = false
    /// When `otlp-sink.json` was last written (monotonic ns).
    private var lastStateSave: UInt64 = 0
    /// When spans were last checked for the timeout while idle (monotonic ns).
    private var lastExpiryCheck: UInt64?
    /// Whether an idle step sends the spans past the timeout (off for a scratch delivery of dead
    /// letters, whose unfinished spans belong to the live state).
    package var expiresIdleSpans = true

    /// How often an idle sink looks for spans past the timeout (sorting 10,000 open spans is
    /// not free, and the timeout is counted in seconds).
    static let expiryCheckNanoseconds: UInt64 = 5_000_000_000

    /// Prepares the sink and loads its state from the spool.
    package init(spool: Spool, settings: OTLPSettings, transport: any HTTPTransport, delivery: DeliverySettings) {
        self.spool = spool
        self.settings = settings
        self.delivery = delivery
        self.transport = transport
        sender = OTLPSender(settings: settings)
        (spans, state) = Self.load(spool)
    }

    /// Reads the saved state again (after another process changed it).
    package mutating func reload() {
        (spans, state) = Self.load(spool)
        spansUnsaved = false
        stateUnsaved = false
        stateBehind = false
        lastExpiryCheck = nil
    }

    /// Writes the bookkeeping (`otlp-sink.json`) if it is behind (see ``step(now:ignoreBackoff:)``):
    /// at the end of a delivery session.
    package mutating func saveBookkeeping(now: Int64 = Clock.unixMilliseconds()) {
        guard stateBehind else { return }
        do {
            try saveState()
        } catch {
            _ = spoolFailed(error, now: now)
        }
    }

    /// The state files: `otlp-state.json` with the open spans and the cursor, else (missing or
    /// unreadable) no open spans from the copy of the cursor in `otlp-sink.json`: the spans that
    /// were open are lost (their events' logs are not), and no event is mapped twice.
    private static func load(_ spool: Spool) -> (OTLPSpanState, OTLPSinkState) {
        var state = OTLPSinkState.load(spool)
        var fresh = OTLPSpanState()
        if state.inode != 0 { fresh.cursor = .init(offset: state.offset, inode: state.inode) }
        do {
            if let saved = try OTLPSpanState.load(from: spool.otlpStatePath) { return (saved, state) }
        } catch {
            state.lastError =
                "\(error); its open spans are lost, mapping goes on from offset \(state.offset) (otlp-sink.json)"
        }
        return (fresh, state)
    }

    /// Where the sink stands in the queue (nil before it first looked at a queue).
    package var position: QueuePosition? {
        spans.cursor.map { QueuePosition(inode: $0.inode, offset: $0.offset) }
    }

    // MARK: - Steps

    /// Delivers at most one batch, unless the sink is backing off and `ignoreBackoff` is false;
    /// while backing off it still keeps the queue within its size bound. With nothing to read, it
    /// sends the spans past the timeout (looking at most every 5 s). Never throws: a spool that
    /// cannot be read or written is a failure like a receiver that is down.
    package mutating func step(now: Int64 = Clock.unixMilliseconds(), ignoreBackoff: Bool = false) -> Flusher.Step {
        do {
            return try attempt(now: now, ignoreBackoff: ignoreBackoff)
        } catch {
            return spoolFailed(error, now: now)
        }
    }

    private func waiting(_ now: Int64, _ ignoreBackoff: Bool) -> Int64? {
        guard !ignoreBackoff, let next = state.nextAttemptAt, next > now else { return nil }
        return next
    }

    private mutating func attempt(now: Int64, ignoreBackoff: Bool) throws(SpoolError) -> Flusher.Step {
        if spansUnsaved || stateUnsaved {
            // Nothing is sent before the progress made so far is saved (or it would go out again).
            if let next = waiting(now, ignoreBackoff) { return .backingOff(until: next) }
            // Saving was what failed: once it works, that failure is over.
            succeeded()
            if spansUnsaved { try commit() } else { try saveState() }
        }
        guard let reader = try QueueReader(spool) else {
            if let next = waiting(now, ignoreBackoff) { return .backingOff(until: next) }
            return try idle(now: now)
        }
        if try resynchronize(with: reader, now: now) { try commit() }
        if try dropBeyondBounds(reader) { return .progressed(delivered: 0) }
        if let next = waiting(now, ignoreBackoff) { return .backingOff(until: next) }
        let cursor = spans.cursor ?? .init(offset: 0, inode: reader.inode)
        let through = cursor.tracesDeliveredThrough
        let chunk = try Self.reading(spool) { () throws(Errno) in
            if let through {
                // A resend of the logs: exactly the lines whose spans went out.
                try reader.lines(
                    from: cursor.offset, maxLines: .max, maxBytes: Int(through - cursor.offset), limit: through)
            } else {
                try reader.lines(
                    from: cursor.offset, maxLines: delivery.maxBatchEvents, maxBytes: delivery.maxBatchBytes)
            }
        }
        guard !chunk.lines.isEmpty else {
            if chunk.end > cursor.offset {  // only empty lines
                spans.cursor = .init(offset: chunk.end, inode: reader.inode, mark: cursor.mark)
                try commit()
            }
            return try idle(now: now)
        }
        if through == nil, let settled = dropTooOld(chunk, inode: reader.inode, now: now) {
            spans.cursor = settled
            try commit()
            return .progressed(delivered: 0)
        }
        return try deliver(chunk, inode: reader.inode, resend: through != nil, now: now)
    }

    /// Maps and sends one batch; see the type's description for the answers.
    private mutating func deliver(
        _ chunk: QueueChunk, inode: UInt64, resend: Bool, now: Int64
    ) throws(SpoolError) -> Flusher.Step {
        let lines = chunk.lines.map { chunk.bytes[$0] }
        let mapping = OTLPSpanMapper.map(lines, from: spans, options: settings.mapping)
        let skipped = Set(mapping.skipped.map(\.line))
        let events = lines.count - skipped.count
        var refusals: [String] = []
        if !resend {
            switch send(.traces, mapping.batch) {
            case .accepted(let rejected, let message):
                count(.traces, mapping.batch.spans.count, rejected: rejected, message: message)
            case .refused(let reason), .tooLarge(let reason):
                count(.traces, mapping.batch.spans.count, rejected: Int64(mapping.batch.spans.count), message: reason)
                refusals.append(reason)
            case .backOff(let reason, let retryAfter):
                return try failed(reason, retryAfter: retryAfter, now: now)
            }
        }
        switch send(.logs, mapping.batch) {
        case .accepted(let rejected, let message):
            count(.logs, mapping.batch.logs.count, rejected: rejected, message: message)
        case .refused(let reason), .tooLarge(let reason):
            count(.logs, mapping.batch.logs.count, rejected: Int64(mapping.batch.logs.count), message: reason)
            refusals.append(reason)
        case .backOff(let reason, let retryAfter):
            if !resend {
                // The spans are settled: a retry maps the same lines again from the same state
                // (identical logs) and sends only the logs.
                try settle(chunk, skipped: skipped, refusals: refusals)
                spans.cursor?.tracesDeliveredThrough = chunk.end
                try commit()
            }
            return try failed(reason, retryAfter: retryAfter, now: now)
        }
        try settle(chunk, skipped: resend ? [] : skipped, refusals: refusals)
        var next = mapping.state
        next.cursor = .init(offset: chunk.end, inode: inode, mark: chunk.lines.last.map { Self.mark(chunk, $0) })
        spans = next
        // Events of a refused batch are dead-lettered, not delivered.
        let delivered = refusals.isEmpty ? events : 0
        state.delivered += delivered
        let recovering = state.failures > 0 || state.lastError != nil
        succeeded()
        // While batches succeed one after another, their counters reach otlp-sink.json at most
        // once a second (the open spans and the cursor, in otlp-state.json, every time).
        try commit(bookkeepingNow: recovering)
        return .progressed(delivered: delivered)
    }

    /// Dead-letters what a batch settles for good: lines that are not events (the first time
    /// they are mapped only), and every event of a batch the receiver refused.
    private func settle(_ chunk: QueueChunk, skipped: Set<Int>, refusals: [String]) throws(SpoolError) {
        for (index, range) in chunk.lines.enumerated() {
            if skipped.contains(index) {
                let reason = "not an event the OTLP mapping can read"
                try DeadLetters.add(corruptLine: chunk.bytes[range], reason: reason, toFile: spool.otlpDeadLetterPath)
            } else if !refusals.isEmpty {
                try DeadLetters.add(
                    event: chunk.bytes[range], reason: refusals.joined(separator: "; "),
                    toFile: spool.otlpDeadLetterPath)
            }
        }
    }

    /// Sends one signal of `batch`, in halves when the receiver says it is too large (a single
    /// item still too large is counted as rejected, with the reason).
    private mutating func send(_ signal: OTLPSignal, _ batch: OTLPBatch) -> OTLPAnswer {
        let items = signal == .traces ? batch.spans.count : batch.logs.count
        guard items > 0 else { return .accepted(rejected: 0, message: nil) }
        state.attempts += 1
        let answer =
            signal == .traces ? sender.sendTraces(batch, via: transport) : sender.sendLogs(batch, via: transport)
        guard case .tooLarge(let reason) = answer else { return answer }
        guard items > 1 else { return .accepted(rejected: 1, message: reason) }
        let (first, second) = batch.halves(of: signal)
        let one = send(signal, first)
        guard case .accepted(let rejectedFirst, let messageFirst) = one else { return one }
        let other = send(signal, second)
        guard case .accepted(let rejectedSecond, let messageSecond) = other else { return other }
        return .accepted(rejected: rejectedFirst + rejectedSecond, message: messageSecond ?? messageFirst)
    }

    private mutating func count(_ signal: OTLPSignal, _ items: Int, rejected: Int64, message: String?) {
        let refused = Int(min(max(rejected, 0), Int64(items)))
        if signal == .traces {
            state.spans += items - refused
            state.rejectedSpans += refused
        } else {
            state.logs += items - refused
            state.rejectedLogs += refused
        }
        if refused > 0 || message != nil {
            state.lastRejection =
                "\(refused) \(signal.itemName) rejected" + (message.map { ": \($0)" } ?? "")
        }
    }

    /// Nothing to read: the spans past the timeout, if any, else idle (with the bookkeeping
    /// written).
    private mutating func idle(now: Int64) throws(SpoolError) -> Flusher.Step {
        if let step = try expire(now: now) { return step }
        if stateBehind { try saveState() }
        return .idle
    }

    // MARK: - Spans that time out while nothing comes

    /// With nothing to read, emits the spans idle for longer than the timeout by the wall clock.
    private mutating func expire(now: Int64) throws(SpoolError) -> Flusher.Step? {
        guard expiresIdleSpans, spans.openSpanCount > 0 else { return nil }
        let monotonic = Clock.monotonicNanoseconds()
        if let last = lastExpiryCheck, monotonic - last < Self.expiryCheckNanoseconds { return nil }
        lastExpiryCheck = monotonic
        let mapping = OTLPSpanMapper.expire(from: spans, options: settings.mapping, now: now)
        guard !mapping.batch.spans.isEmpty else { return nil }
        switch send(.traces, mapping.batch) {
        case .accepted(let rejected, let message):
            count(.traces, mapping.batch.spans.count, rejected: rejected, message: message)
        case .refused(let reason), .tooLarge(let reason):
            count(.traces, mapping.batch.spans.count, rejected: Int64(mapping.batch.spans.count), message: reason)
        case .backOff(let reason, let retryAfter):
            return try failed(reason, retryAfter: retryAfter, now: now)
        }
        spans = mapping.state
        succeeded()
        try commit()
        return .progressed(delivered: 0)
    }

    // MARK: - Position and bounds

    /// Brings the cursor in line with the queue file (see ``SpoolState/resynchronize``): another
    /// file starts at 0 silently; an offset outside the file, not at a line start, or after a
    /// line that is not the one mapped means the queue was truncated or rewritten, and mapping
    /// starts again at 0 (some events may reach the receiver twice; none is skipped). Returns
    /// whether something was wrong (recorded as the last error).
    private mutating func resynchronize(with reader: QueueReader, now: Int64) throws(SpoolError) -> Bool {
        var problems: [String] = []
        var cursor = spans.cursor ?? .init(offset: 0, inode: reader.inode)
        try Self.reading(spool) { () throws(Errno) in
            let fresh = OTLPSpanState.Cursor(offset: 0, inode: reader.inode)
            if cursor.inode != reader.inode {
                cursor = fresh
            } else if cursor.offset < 0 || cursor.offset > reader.size {
                problems.append("offset \(cursor.offset) lies outside queue.jsonl (\(reader.size) bytes)")
                cursor = fresh
            } else if !(try reader.isLineStart(cursor.offset)) {
                problems.append(
                    "offset \(cursor.offset) is not at the start of a line (queue.jsonl was truncated or rewritten)")
                cursor = fresh
            } else if let mark = cursor.mark, cursor.offset > 0, !(try mark.isFound(in: reader, before: cursor.offset))
            {
                problems.append(
                    "the line before offset \(cursor.offset) is not the one mapped (queue.jsonl was truncated or rewritten)"
                )
                cursor = fresh
            }
            if let through = cursor.tracesDeliveredThrough {
                let valid = through > cursor.offset && through <= reader.size ? try reader.isLineStart(through) : false
                guard !valid else { return }
                problems.append("traces_delivered_through \(through) is not a line end of queue.jsonl after the offset")
                cursor.tracesDeliveredThrough = nil
            }
        }
        spans.cursor = cursor
        let furthest = now + max(delivery.backoff.capMilliseconds, 3_600_000)
        if let next = state.nextAttemptAt, next > furthest {
            problems.append("next_attempt_at \(next) is further away than any backoff")
            state.nextAttemptAt = nil
        }
        if let since = state.failingSince, since > now { state.failingSince = now }
        guard !problems.isEmpty else { return false }
        state.lastError =
            "OTLP sink state: " + problems.joined(separator: "; ")
            + "; mapping again from the start of the queue (the receiver may get some events twice)"
        return true
    }

    /// Drops the oldest events past the queue's size bound (for this sink).
    private mutating func dropBeyondBounds(_ reader: QueueReader) throws(SpoolError) -> Bool {
        guard let cursor = spans.cursor, reader.size - cursor.offset > delivery.maxQueueBytes else { return false }
        let (cut, count) = try Self.reading(spool) { () throws(Errno) in
            let cut = try reader.lineBoundary(atOrAfter: reader.size - delivery.maxQueueBytes)
            return (cut, try reader.countLines(from: cursor.offset, to: cut))
        }
        state.dropped += count
        spans.cursor = .init(offset: cut, inode: reader.inode)
        try commit()
        return true
    }

    /// The cursor past the events at the head of `chunk` older than the queue's age bound (they
    /// are dropped for this sink and counted), or nil when the first is not too old.
    private mutating func dropTooOld(_ chunk: QueueChunk, inode: UInt64, now: Int64) -> OTLPSpanState.Cursor? {
        var settled: OTLPSpanState.Cursor?
        for range in chunk.lines {
            guard let event = try? JSONScanner.scan(Array(chunk.bytes[range])),
                let timestamp = event.text(forKey: "timestamp").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }),
                now - timestamp > delivery.maxAgeMilliseconds
            else { break }
            state.dropped += 1
            settled = .init(
                offset: chunk.start + Int64(range.upperBound) + 1, inode: inode, mark: Self.mark(chunk, range))
        }
        return settled
    }

    /// Moves the cursor into the file a compaction made, and saves it.
    package mutating func moveAfterCompaction(_ change: QueueChange) throws(SpoolError) {
        guard var cursor = spans.cursor, cursor.inode == change.oldInode else { return }
        cursor.inode = change.newInode
        cursor.offset = change.moved(cursor.offset)
        if let through = cursor.tracesDeliveredThrough {
            let moved = through - change.removed
            cursor.tracesDeliveredThrough = moved > cursor.offset ? moved : nil
        }
        if var mark = cursor.mark, mark.start >= change.removed, cursor.offset > 0 {
            mark.start -= change.removed
            cursor.mark = mark
        } else {
            cursor.mark = nil
        }
        spans.cursor = cursor
        try commit()
    }

    // MARK: - Outcomes

    private mutating func succeeded() { state.recordSuccess() }

    private mutating func backOff(_ error: String, retryAfter: Int64?, now: Int64) -> Int64 {
        state.recordFailure(error, retryAfter: retryAfter, now: now, backoff: delivery.backoff)
    }

    private mutating func failed(_ error: String, retryAfter: Int64?, now: Int64) throws(SpoolError) -> Flusher.Step {
        let until = backOff(error, retryAfter: retryAfter, now: now)
        try saveState()
        return .backingOff(until: until)
    }

    /// The spool failed (read, write, save): back off like for a receiver that is down.
    private mutating func spoolFailed(_ error: SpoolError, now: Int64) -> Flusher.Step {
        let until = backOff("\(error)", retryAfter: nil, now: now)
        do {
            try saveState()
        } catch {
            // Saving is likely what failed: `stateUnsaved` makes the next step try again first.
        }
        return .backingOff(until: until)
    }

    /// Records a failure of the spool that is not the sink's own (a compaction), with backoff.
    package mutating func recordSpoolFailure(_ error: SpoolError, now: Int64 = Clock.unixMilliseconds()) {
        _ = spoolFailed(error, now: now)
    }

    /// Records that the background flusher gives up on this sink (see ``FlusherLifetime``).
    package mutating func recordGivingUp(now: Int64 = Clock.unixMilliseconds()) {
        state.gaveUpAt = now
        do {
            try saveState()
        } catch {
            // Then hooks may start a flusher early: it makes one attempt and gives up again.
        }
    }

    // MARK: - Saving

    /// Saves the open spans with the cursor (one atomic, durable rename), then the bookkeeping
    /// with a copy of the cursor (unless `bookkeepingNow` is false and it was written less than a
    /// second ago: then when the sink is next idle, or a second later).
    private mutating func commit(bookkeepingNow: Bool = true) throws(SpoolError) {
        do {
            try spans.save(to: spool.otlpStatePath)
            spansUnsaved = false
        } catch {
            spansUnsaved = true
            throw SpoolError(operation: "save", path: spool.otlpStatePath, cause: .refused("cannot save \(error)"))
        }
        if let cursor = spans.cursor {
            state.offset = cursor.offset
            state.inode = cursor.inode
        }
        state.openSpans = spans.openSpanCount
        if bookkeepingNow || Clock.monotonicNanoseconds() - lastStateSave >= 1_000_000_000 {
            try saveState()
        } else {
            stateBehind = true
        }
    }

    private mutating func saveState() throws(SpoolError) {
        do {
            try state.save(spool)
            stateUnsaved = false
            stateBehind = false
            lastStateSave = Clock.monotonicNanoseconds()
        } catch {
            stateUnsaved = true
            throw error
        }
    }

    private static func mark(_ chunk: QueueChunk, _ range: Range<Int>) -> SpoolState.Mark {
        SpoolState.Mark(start: chunk.start + Int64(range.lowerBound), line: chunk.bytes[range])
    }

    private static func reading<T>(_ spool: Spool, _ body: () throws(Errno) -> T) throws(SpoolError) -> T {
        do {
            return try body()
        } catch {
            throw SpoolError(operation: "read", path: spool.queuePath, errno: error)
        }
    }
}

extension SpoolState.Mark {
    /// Whether the marked line is still where it was, whole, before `offset` of `reader`'s file.
    package func isFound(in reader: QueueReader, before offset: Int64) throws(Errno) -> Bool {
        guard start >= 0, start + Int64(length) < offset else { return false }
        let bytes = try reader.bytes(at: start, count: length)
        return bytes.count == length && Self.digest(bytes[...]) == digest
    }
}

extension OTLPBatch {
    /// The batch's items of `signal` in two halves (each with every resource: the encoders skip
    /// resources without items).
    func halves(of signal: OTLPSignal) -> (OTLPBatch, OTLPBatch) {
        if signal == .traces {
            let middle = spans.count / 2
            return (
                OTLPBatch(resources: resources, spans: Array(spans[..<middle])),
                OTLPBatch(resources: resources, spans: Array(spans[middle...]))
            )
        }
        let middle = logs.count / 2
        return (
            OTLPBatch(resources: resources, logs: Array(logs[..<middle])),
            OTLPBatch(resources: resources, logs: Array(logs[middle...]))
        )
    }
}
