import HookKitSystem

/// The failure bookkeeping each sink keeps in its state (the hub's `state.json`, the OTLP sink's
/// `otlp-sink.json`): consecutive failures, since when, the backoff's next attempt, the last error.
package protocol DeliveryHealth {
    /// Consecutive failed attempts (0 after a success).
    var failures: Int { get set }
    /// When the current run of failures began (Unix ms).
    var failingSince: Int64? { get set }
    /// When a background flusher gave up on this sink (Unix ms).
    var gaveUpAt: Int64? { get set }
    /// No attempt before this time (Unix ms).
    var nextAttemptAt: Int64? { get set }
    /// The last error, for `status`.
    var lastError: String? { get set }
}

extension DeliveryHealth {
    /// A delivery went through: the failures, backoff and error are over.
    package mutating func recordSuccess() {
        failures = 0
        failingSince = nil
        gaveUpAt = nil
        nextAttemptAt = nil
        lastError = nil
    }

    /// Records a failure and the backoff after it (with jitter, honouring the receiver's
    /// `Retry-After`); returns when the next attempt is due.
    package mutating func recordFailure(_ error: String, retryAfter: Int64?, now: Int64, backoff: Backoff) -> Int64 {
        failures = min(failures, 1 << 20) + 1
        if failingSince == nil { failingSince = now }
        let delay = backoff.delay(
            afterFailures: failures, unit: Double(SystemRandom.next(UInt32.self)) / 4_294_967_296,
            retryAfterSeconds: retryAfter)
        nextAttemptAt = now + delay
        lastError = error
        return now + delay
    }
}

extension SpoolState: DeliveryHealth {}
extension OTLPSinkState: DeliveryHealth {}
