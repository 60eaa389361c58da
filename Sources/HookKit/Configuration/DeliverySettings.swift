/// How the flusher delivers: batch sizes, queue bounds, retry policy and linger time. Part of
/// ``Configuration``, which reads it from the environment with everything else.
package struct DeliverySettings: Sendable, Equatable {
    /// Most events in one batch request.
    package var maxBatchEvents = 500
    /// Most bytes in one batch request (a larger single event still goes, alone).
    package var maxBatchBytes = 1 << 20
    /// The queue's size bound: past it the oldest events are dropped (`CLAUDE_OBSERVABILITY_MAX_QUEUE_BYTES`).
    package var maxQueueBytes: Int64 = 100 << 20
    /// The queue's age bound in ms: older events are dropped (`CLAUDE_OBSERVABILITY_MAX_AGE_SECONDS`, 7 days).
    package var maxAgeMilliseconds: Int64 = 7 * 24 * 3600 * 1000
    /// The retry policy (`CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS`, `CLAUDE_OBSERVABILITY_BACKOFF_CAP_MS`).
    package var backoff = Backoff.standard
    /// How long a background flusher waits for more events once the queue is empty
    /// (`CLAUDE_OBSERVABILITY_LINGER_MS`, default 1000, at most 60000).
    package var lingerMilliseconds = 1000
    /// How long a background flusher keeps retrying a delivery that fails without a break before
    /// it leaves (`CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS`, default 600000: 10 minutes); the next
    /// hook after the next attempt's time, or `send-event flush`, starts delivery again.
    package var giveUpMilliseconds: Int64 = 600_000

    /// The defaults.
    package init() {}
}
