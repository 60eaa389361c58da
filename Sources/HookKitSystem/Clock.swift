/// Wall-clock and monotonic time, read straight from `clock_gettime(2)`.
package enum Clock {
    /// Milliseconds since the Unix epoch (the event's `timestamp`).
    package static func unixMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Seconds since the Unix epoch.
    package static func unixSeconds() -> Int64 { unixMilliseconds() / 1000 }

    /// Nanoseconds on a monotonic clock, for measuring durations and deadlines.
    package static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Sleeps for `milliseconds` (resumes the sleep after signals).
    package static func sleep(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
