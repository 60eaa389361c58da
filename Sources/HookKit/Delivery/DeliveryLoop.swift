import HookKitSystem

/// The delivery loop shared by the two background deliverers: the `send-event flush
/// --background` process that hooks start, and an ``EventEmitter``'s delivery thread.
///
/// The caller holds the ``FlusherLock``. The loop steps the spool's sinks side by side
/// (``SpoolDelivery``: the hub's ``Flusher`` and the ``OTLPSinkFlusher``, each with its batching,
/// backoff bookkeeping and last error), compacts the queue when it first finds nothing to do,
/// and ends once the sinks have stayed idle for the linger time. Failures are recorded as each
/// sink's last error, where `send-event status` shows them.
package enum DeliveryLoop {
    /// Why the loop ended.
    package enum End: Equatable, Sendable {
        /// Every sink stayed idle for the linger time.
        case drained
        /// Every sink with work is backing off, the earliest until this time (Unix ms); only when
        /// the caller does not sleep through backoff.
        case backingOff(until: Int64)
        /// Some sinks are backing off (the earliest until this time) and the others stayed idle
        /// for the linger time: an appended event is worth a new session before then. Only when
        /// the caller does not sleep through backoff.
        case waiting(until: Int64)
        /// `pause` said to stop.
        case stopped
        /// The ``FlusherLifetime`` said to leave.
        case left(FlusherLifetime.Reason)
    }

    /// How often a loop that sleeps through one sink's backoff looks for new events for the
    /// others (milliseconds): their delivery is late by at most this much.
    package static let pollWhileOthersBackOffMilliseconds = 50

    /// Delivers until every sink has stayed idle for `lingerMilliseconds`. While sinks back off
    /// it sleeps (holding the lock, so hooks start no other flusher; waking at least once a
    /// second, so that the queue's bounds and the lifetime are checked, and every 50 ms while
    /// another sink could deliver new events) when `sleepsThroughBackoff`, else it returns.
    /// `lifetime`, when given, is asked before every round (see ``FlusherLifetime``).
    /// `pause(ms)` waits about `ms` milliseconds and returns whether to go on; it may return
    /// early. It is also called with 0 after every round that made progress, so that a holder that
    /// must let go can say so between batches. The sinks record every failure (network or spool)
    /// as their last error, with backoff, so nothing here can spin.
    package static func run(
        _ delivery: inout SpoolDelivery, lingerMilliseconds: Int, sleepsThroughBackoff: Bool,
        lifetime: FlusherLifetime? = nil, pause: (Int) -> Bool
    ) -> End {
        defer { delivery.saveBookkeeping() }
        var idleSince: UInt64?
        while true {
            if let lifetime, let reason = lifetime.reasonToLeave(&delivery, now: Clock.unixMilliseconds()) {
                return .left(reason)
            }
            var waitingUntil: Int64?
            switch delivery.step() {
            case .progressed:
                idleSince = nil
                if !pause(0) { return .stopped }
                continue
            case .backingOff(let until):
                if sleepsThroughBackoff {
                    idleSince = nil
                    let most = delivery.someSinkIdle ? pollWhileOthersBackOffMilliseconds : 1000
                    if !pause(Int(min(max(until - Clock.unixMilliseconds(), 1), Int64(most)))) { return .stopped }
                    continue
                }
                guard delivery.someSinkIdle else { return .backingOff(until: until) }
                waitingUntil = until  // and linger for the idle sinks, as below
            case .idle:
                break
            }
            let now = Clock.monotonicNanoseconds()
            if idleSince == nil {
                idleSince = now
                delivery.compact()
            }
            if now - (idleSince ?? now) >= UInt64(max(0, lingerMilliseconds)) * 1_000_000 {
                return waitingUntil.map { .waiting(until: $0) } ?? .drained
            }
            if !pause(2) { return .stopped }
        }
    }
}
