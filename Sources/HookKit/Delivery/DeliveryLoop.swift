import HookKitSystem

/// The delivery loop shared by the two background deliverers: the `send-event flush
/// --background` process that hooks start, and an ``EventEmitter``'s delivery thread.
///
/// The caller holds the ``FlusherLock``. The loop steps the ``Flusher`` (batching, signing,
/// backoff bookkeeping), compacts the queue when it first finds it empty, and ends once the
/// queue has stayed empty for the linger time. Failures are recorded as the spool's last error,
/// where `send-event status` shows them.
package enum DeliveryLoop {
    /// Why the loop ended.
    package enum End: Equatable, Sendable {
        /// The queue stayed empty for the linger time.
        case drained
        /// The hub is backing off until this time (Unix ms); only when the caller does not sleep
        /// through backoff.
        case backingOff(until: Int64)
        /// `pause` said to stop.
        case stopped
        /// The spool could not be read or written: the reason (also recorded as its last error).
        case failed(String)
    }

    /// Delivers until the queue has stayed empty for `lingerMilliseconds`. While the hub backs
    /// off it sleeps (holding the lock, so hooks start no other flusher) when
    /// `sleepsThroughBackoff`, else it returns. `pause(ms)` waits about `ms` milliseconds and
    /// returns whether to go on; it may return early. It is also called with 0 after every step that
    /// made progress, so that a holder that must let go can say so between batches.
    package static func run(
        _ flusher: inout Flusher, lingerMilliseconds: Int, sleepsThroughBackoff: Bool, pause: (Int) -> Bool
    ) -> End {
        let spool = flusher.spool
        var idleSince: UInt64?
        while true {
            let step: Flusher.Step
            do {
                step = try flusher.step()
            } catch {
                SpoolState.record("\(error)", in: spool)
                return .failed(error.description)
            }
            switch step {
            case .progressed:
                idleSince = nil
                if !pause(0) { return .stopped }
            case .backingOff(let until):
                idleSince = nil
                guard sleepsThroughBackoff else { return .backingOff(until: until) }
                if !pause(Int(min(max(until - Clock.unixMilliseconds(), 1), 60_000))) { return .stopped }
            case .idle:
                let now = Clock.monotonicNanoseconds()
                if idleSince == nil {
                    idleSince = now
                    var state = flusher.state
                    do {
                        if try QueueCompaction.compact(spool, state: &state) { flusher.reload() }
                    } catch {
                        SpoolState.record("compaction failed: \(error)", in: spool)
                        flusher.reload()
                    }
                }
                if now - (idleSince ?? now) >= UInt64(max(0, lingerMilliseconds)) * 1_000_000 { return .drained }
                if !pause(2) { return .stopped }
            }
        }
    }
}
