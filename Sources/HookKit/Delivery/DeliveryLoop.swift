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
        /// `shouldLeave` said to leave (see ``FlusherLifetime``).
        case left
    }

    /// Delivers until the queue has stayed empty for `lingerMilliseconds`. While the hub backs
    /// off it sleeps (holding the lock, so hooks start no other flusher; waking at least once a
    /// second, so that the queue's bounds and `shouldLeave` are checked) when
    /// `sleepsThroughBackoff`, else it returns. `shouldLeave` is asked before every step.
    /// `pause(ms)` waits about `ms` milliseconds and returns whether to go on; it may return
    /// early. It is also called with 0 after every step that made progress, so that a holder that
    /// must let go can say so between batches. The ``Flusher`` itself records every failure
    /// (network or spool) as the spool's last error, with backoff, so nothing here can spin.
    package static func run(
        _ flusher: inout Flusher, lingerMilliseconds: Int, sleepsThroughBackoff: Bool,
        shouldLeave: (SpoolState) -> Bool = { _ in false }, pause: (Int) -> Bool
    ) -> End {
        var idleSince: UInt64?
        while true {
            if shouldLeave(flusher.state) { return .left }
            switch flusher.step() {
            case .progressed:
                idleSince = nil
                if !pause(0) { return .stopped }
            case .backingOff(let until):
                idleSince = nil
                guard sleepsThroughBackoff else { return .backingOff(until: until) }
                if !pause(Int(min(max(until - Clock.unixMilliseconds(), 1), 1000))) { return .stopped }
            case .idle:
                let now = Clock.monotonicNanoseconds()
                if idleSince == nil {
                    idleSince = now
                    flusher.compact()
                }
                if now - (idleSince ?? now) >= UInt64(max(0, lingerMilliseconds)) * 1_000_000 { return .drained }
                if !pause(2) { return .stopped }
            }
        }
    }
}
