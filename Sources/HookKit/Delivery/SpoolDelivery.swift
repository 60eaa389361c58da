import HookKitSystem

/// The sinks of one spool side by side: the hub (``Flusher``) and the OTLP receiver
/// (``OTLPSinkFlusher``), each reading the same `queue.jsonl` from its own position, with its own
/// backoff, dead letters and last error.
///
/// A round (``step(now:ignoreBackoff:)``) steps every sink once: a sink that is backing off
/// answers at once without touching the network (keeping the queue within its bounds), so one
/// sink being down never holds the other back. Compaction (``compact(now:)``) cuts only the part
/// of the queue that every sink has handled, and moves every sink's position into the new file.
/// The caller holds the ``FlusherLock``.
package struct SpoolDelivery {
    /// A destination of the spool's events.
    package enum Sink: String, Sendable, Hashable, CaseIterable {
        /// The hub (`CLAUDE_OBSERVABILITY_HUB`).
        case hub
        /// The OTLP receiver (`CLAUDE_OBSERVABILITY_OTLP_ENDPOINT`).
        case otlp
    }

    /// The spool.
    package let spool: Spool
    /// Batching, bounds, backoff and linger.
    package let settings: DeliverySettings
    /// The hub sink, when on.
    package var hub: Flusher?
    /// The OTLP sink, when on.
    package var otlp: OTLPSinkFlusher?
    /// Sinks a background flusher gave up on in this session (see ``FlusherLifetime``): no longer
    /// stepped, though compaction still keeps what they need.
    package private(set) var retired: Set<Sink> = []
    /// Whether, in the last round, a sink had nothing to do while another was backing off.
    package private(set) var someSinkIdle = false
    private var failuresAtStart: [Sink: Int] = [:]
    private var droppedSeen = 0

    /// Delivery to `hub` and `otlp` (at least one) from `spool`.
    package init(spool: Spool, settings: DeliverySettings, hub: Flusher?, otlp: OTLPSinkFlusher?) {
        self.spool = spool
        self.settings = settings
        self.hub = hub
        self.otlp = otlp
        // Alone, the hub sink compacts the queue itself during an outage; beside another sink
        // only this type may, knowing both positions.
        if otlp != nil { self.hub?.compactsOnItsOwn = false }
        beginSession()
    }

    /// The sinks that are on, hub first.
    package var sinks: [Sink] { (hub != nil ? [Sink.hub] : []) + (otlp != nil ? [Sink.otlp] : []) }

    /// Reads every sink's saved state again (at the start of a session under the lock).
    package mutating func reload() {
        hub?.reload()
        otlp?.reload()
        beginSession()
    }

    private mutating func beginSession() {
        retired = []
        someSinkIdle = false
        failuresAtStart = [:]
        for sink in sinks { failuresAtStart[sink] = failures(sink) }
        droppedSeen = dropped
    }

    // MARK: - Steps

    /// One round: a step of every sink not retired. Progress if any sink made some; else a
    /// backoff until the earliest next attempt if any sink is backing off; else idle.
    package mutating func step(now: Int64 = Clock.unixMilliseconds(), ignoreBackoff: Bool = false) -> Flusher.Step {
        var delivered = 0
        var progressed = false
        var earliest: Int64?
        var idle = false
        for sink in sinks where !retired.contains(sink) {
            switch step(sink, now: now, ignoreBackoff: ignoreBackoff) {
            case .progressed(let count):
                progressed = true
                delivered += count
            case .backingOff(let until): earliest = min(earliest ?? until, until)
            case .idle: idle = true
            }
        }
        someSinkIdle = idle && earliest != nil
        if otlp != nil, dropped != droppedSeen {
            // Events were dropped past the queue's bound during an outage: give their space back
            // (the hub sink alone does this itself).
            droppedSeen = dropped
            compact(now: now)
        }
        if progressed { return .progressed(delivered: delivered) }
        if let earliest { return .backingOff(until: earliest) }
        return .idle
    }

    /// Writes what each sink keeps in memory for a while (the OTLP sink's counters): at the end
    /// of a session.
    package mutating func saveBookkeeping() {
        otlp?.saveBookkeeping()
    }

    /// One step of one sink.
    package mutating func step(_ sink: Sink, now: Int64 = Clock.unixMilliseconds(), ignoreBackoff: Bool = false)
        -> Flusher.Step
    {
        switch sink {
        case .hub: hub?.step(now: now, ignoreBackoff: ignoreBackoff) ?? .idle
        case .otlp: otlp?.step(now: now, ignoreBackoff: ignoreBackoff) ?? .idle
        }
    }

    // MARK: - Compaction

    /// A queue whose handled part is this large is rewritten even while events wait (see
    /// ``QueueCompaction``): never more than the queue's own bound.
    private var rewriteThreshold: Int64 { min(QueueCompaction.rewriteThreshold, settings.maxQueueBytes) }

    /// Gives back the space of the part of the queue every sink has handled; a failure is
    /// recorded by every sink (backoff, last error). Returns whether the file changed.
    @discardableResult
    package mutating func compact(now: Int64 = Clock.unixMilliseconds()) -> Bool {
        var positions: [QueuePosition] = []
        if let hub { positions.append(QueuePosition(inode: hub.state.inode, offset: hub.state.offset)) }
        if let otlp {
            guard let position = otlp.position else { return false }  // it has not looked at this queue yet
            positions.append(position)
        }
        let tornLines = hub != nil ? spool.deadLetterPath : spool.otlpDeadLetterPath
        do throws(SpoolError) {
            return try QueueCompaction.compact(
                spool, positions: positions, rewriteThreshold: rewriteThreshold, tornLinesTo: tornLines
            ) { (change) throws(SpoolError) in
                var failure: SpoolError?
                do throws(SpoolError) { try hub?.moveAfterCompaction(change) } catch { failure = error }
                do throws(SpoolError) { try otlp?.moveAfterCompaction(change) } catch { failure = failure ?? error }
                if let failure { throw failure }
            }
        } catch {
            hub?.recordSpoolFailure(error, now: now)
            otlp?.recordSpoolFailure(error, now: now)
            return false
        }
    }

    // MARK: - Giving up

    /// Stops stepping the sinks that have failed without a break for `giveUpMilliseconds`, with
    /// at least one of those failures in this session, recording it in their state (hooks then
    /// start no flusher for them before their next attempt). Returns how long the longest has
    /// failed once every sink is retired, else nil.
    package mutating func retireFailingSinks(giveUpMilliseconds: Int64, now: Int64) -> Int64? {
        var longest: Int64 = 0
        for sink in sinks {
            if !retired.contains(sink), failures(sink) > failuresAtStart[sink, default: 0],
                let since = failingSince(sink), now - since >= giveUpMilliseconds
            {
                switch sink {
                case .hub: hub?.recordGivingUp(now: now)
                case .otlp: otlp?.recordGivingUp(now: now)
                }
                retired.insert(sink)
            }
            if let since = failingSince(sink) { longest = max(longest, now - since) }
        }
        return retired.count == sinks.count ? longest : nil
    }

    // MARK: - What each sink says

    /// Consecutive failures of `sink`.
    package func failures(_ sink: Sink) -> Int {
        switch sink {
        case .hub: hub?.state.failures ?? 0
        case .otlp: otlp?.state.failures ?? 0
        }
    }

    /// When `sink`'s current run of failures began.
    package func failingSince(_ sink: Sink) -> Int64? {
        switch sink {
        case .hub: hub?.state.failingSince
        case .otlp: otlp?.state.failingSince
        }
    }

    /// `sink`'s last error.
    package func lastError(_ sink: Sink) -> String? {
        switch sink {
        case .hub: hub?.state.lastError
        case .otlp: otlp?.state.lastError
        }
    }

    /// Events dropped by all sinks to keep the queue within its bounds.
    private var dropped: Int { (hub?.state.dropped ?? 0) + (otlp?.state.dropped ?? 0) }

    /// Events in the queue that `sink` has not handled yet, counted from where it will resume.
    package func pendingEvents(_ sink: Sink, now: Int64 = Clock.unixMilliseconds()) -> Int {
        let reader: QueueReader
        do {
            guard let opened = try QueueReader(spool) else { return 0 }
            reader = opened
        } catch {
            return 0  // unreadable: the sinks' own steps record why
        }
        var offset: Int64 = 0
        switch sink {
        case .hub:
            guard var state = hub?.state else { return 0 }
            do {
                _ = try state.resynchronize(with: reader, now: now, backoff: settings.backoff)
                offset = state.offset
            } catch {
                offset = 0
            }
        case .otlp:
            guard let otlp else { return 0 }
            offset = OTLPSinkFlusher.resumeOffset(of: otlp.spans.cursor, in: reader)
        }
        do {
            return try reader.countLines(from: offset, to: reader.size)
        } catch {
            return 0
        }
    }

    // MARK: - Without the lock

    /// Whether the queue holds events that a sink of this delivery has not handled, by the saved
    /// states (for a hook, or a flusher that just let go of the lock).
    package func hasPendingEvents() -> Bool {
        Self.hasPendingEvents(spool, hub: hub != nil, otlp: otlp != nil)
    }

    /// Whether the queue holds events that the hub sink (when `hub`) or the OTLP sink (when
    /// `otlp`) has not handled, by their saved states. Unless `includingWaiting`, a sink that a
    /// flusher gave up on and whose next attempt is not due is left out: no flusher is needed
    /// for it before then.
    package static func hasPendingEvents(
        _ spool: Spool, hub: Bool, otlp: Bool, includingWaiting: Bool = true, now: Int64 = Clock.unixMilliseconds()
    ) -> Bool {
        guard let info = try? FileSystem.linkStatus(spool.queuePath), info.st_size > 0 else { return false }
        let inode = UInt64(info.st_ino)
        let size = Int64(info.st_size)
        if hub {
            let state = SpoolState.load(spool)
            let waiting = state.gaveUpAt != nil && (state.nextAttemptAt ?? 0) > now
            if includingWaiting || !waiting, state.inode != inode || size > state.offset { return true }
        }
        if otlp {
            let state = OTLPSinkState.load(spool)
            if includingWaiting || !state.isWaitingAfterGivingUp(now: now), state.inode != inode || size > state.offset
            {
                return true
            }
        }
        return false
    }
}

extension OTLPSinkFlusher {
    /// Where the OTLP sink resumes in `reader`'s file from `cursor`: its offset when it is about
    /// this file (same inode, inside it, at a line start, after the line it names), else 0.
    package static func resumeOffset(of cursor: OTLPSpanState.Cursor?, in reader: QueueReader) -> Int64 {
        guard let cursor, cursor.inode == reader.inode, cursor.offset >= 0, cursor.offset <= reader.size else {
            return 0
        }
        do {
            guard try reader.isLineStart(cursor.offset) else { return 0 }
            if let mark = cursor.mark, cursor.offset > 0, !(try mark.isFound(in: reader, before: cursor.offset)) {
                return 0
            }
            return cursor.offset
        } catch {
            return 0
        }
    }
}
