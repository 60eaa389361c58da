import HookKitSystem

/// Exponential backoff with jitter, for retrying a hub that is down or overloaded.
///
/// The n-th consecutive failure waits between half and all of `base × 2^(n-1)`, capped at `cap`
/// ("equal jitter": never retrying at once, yet spreading many clients apart). A `Retry-After`
/// from the hub wins when it asks for longer.
package struct Backoff: Sendable, Equatable {
    /// The first delay before jitter, in milliseconds (about 1 s).
    package var baseMilliseconds: Int64
    /// The largest delay, in milliseconds (5 minutes).
    package var capMilliseconds: Int64

    /// The defaults: start about 1 s, double, cap 5 min.
    package static let standard = Backoff(baseMilliseconds: 1000, capMilliseconds: 300_000)

    /// Creates a policy.
    package init(baseMilliseconds: Int64, capMilliseconds: Int64) {
        self.baseMilliseconds = max(1, baseMilliseconds)
        self.capMilliseconds = max(self.baseMilliseconds, capMilliseconds)
    }

    /// The wait after `failures` consecutive failures (1 for the first), given a uniform random
    /// `unit` in 0..<1 and the hub's `Retry-After` in seconds, if any.
    package func delay(afterFailures failures: Int, unit: Double, retryAfterSeconds: Int64? = nil) -> Int64 {
        let exponent = min(max(failures, 1) - 1, 40)
        let ceiling = min(capMilliseconds, baseMilliseconds << Int64(exponent))
        let jittered = ceiling / 2 + Int64(Double(ceiling - ceiling / 2) * min(max(unit, 0), 1))
        guard let retryAfterSeconds, retryAfterSeconds > 0 else { return jittered }
        // Honour the hub, within reason: an hour at most.
        return max(jittered, min(retryAfterSeconds, 3600) * 1000)
    }
}
