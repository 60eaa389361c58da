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
        pthread_cond_init(condition, nil)
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

    /// Wakes every waiter.
    package func broadcast() { pthread_cond_broadcast(condition) }
}
