/// A mutex with a condition variable (`pthread_mutex_t` + `pthread_cond_t`).
///
/// Used where `Synchronization.Mutex` is not enough (waiting for a condition) or not available
/// (macOS before 15).
package final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// A new, unlocked lock.
    package init() {
        pthread_mutex_init(mutex, nil)
        #if canImport(Darwin)
        pthread_cond_init(condition, nil)
        #else
        // Timed waits measure on the monotonic clock, which setting the time does not move.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Acquires the lock.
    package func lock() { pthread_mutex_lock(mutex) }

    /// Releases the lock.
    package func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the lock held.
    @inline(__always)
    package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Waits for a ``broadcast()``; call with the lock held (it is held again on return).
    /// Wake-ups can be spurious: re-check the condition in a loop.
    package func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a ``broadcast()`` or until `nanoseconds` have passed; call with the lock held
    /// (it is held again on return). Returns false when the time ran out. Wake-ups can be
    /// spurious: re-check the condition and the deadline in a loop.
    @discardableResult
    package func wait(nanoseconds: UInt64) -> Bool {
        let capped = min(nanoseconds, 3_600_000_000_000)  // an hour: no overflow, callers loop
        #if canImport(Darwin)
        var relative = timespec(tv_sec: Int(capped / 1_000_000_000), tv_nsec: Int(capped % 1_000_000_000))
        return pthread_cond_timedwait_relative_np(condition, mutex, &relative) != ETIMEDOUT
        #else
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = UInt64(deadline.tv_nsec) + capped % 1_000_000_000
        deadline.tv_sec += Int(capped / 1_000_000_000 + total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
        #endif
    }

    /// Wakes every waiter.
    package func broadcast() { pthread_cond_broadcast(condition) }
}
