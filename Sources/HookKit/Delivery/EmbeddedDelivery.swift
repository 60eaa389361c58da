import HookKitSystem

/// Delivery inside a program that embeds HookKit: an ``EventEmitter``'s background thread and
/// its `flush()`.
///
/// The thread runs the same ``DeliveryLoop`` as the `send-event flush --background` process,
/// under the same ``FlusherLock`` (taken as ``FlusherLock/Holder/embedded``, so that no other
/// process ever signals this one), with the same sinks (the hub and the OTLP receiver side by
/// side), batching, signing and backoff. It differs where a thread in someone else's program
/// must:
///
/// - It sleeps on a condition variable, so that a send wakes it at once and the emitter's
///   deinit stops it at once, and it holds the lock only while it delivers or lingers: during a
///   backoff it lets go (hooks then start a flusher process, which waits the backoff out) and
///   looks again when the backoff ends, or at the next send when another sink could take it.
/// - When another process holds the lock, that flusher delivers this program's events too;
///   the thread looks again a linger time later.
/// - The thread and `flush()` take turns through one in-process mutex (`session`): a flush asks
///   the thread to stop after its current step and then runs in the calling thread. Record locks
///   belong to the process, so they must never overlap in it (see ``FlusherLock``).
/// - A failure is recorded as the spool's last error (shown by `send-event status`) and retried
///   with the configured backoff; nothing is printed.
package final class EmbeddedDelivery: Sendable {
    private let core: Core

    /// Prepares delivery of `configuration`'s spool to `delivery`'s sinks, and starts the thread
    /// when `inBackground`. Throws when the thread cannot be started.
    package init(configuration: Configuration, delivery: SpoolDelivery, inBackground: Bool) throws(Errno) {
        core = Core(configuration: configuration, delivery: delivery)
        if inBackground {
            let core = core
            core.control.withLock { core.wake = true }  // events left by an earlier run, if any
            try DetachedThread.start(stackSize: 4 << 20) { core.run() }
        }
    }

    /// Stops the thread after its current step, without waiting for it.
    deinit {
        core.stop()
    }

    /// Tells the thread an event was appended.
    package func noteAppend() {
        core.noteAppend()
    }

    /// Delivers everything queued now, in the calling thread; see ``FlushRunner/drain``.
    package func flush() -> Result<Int, FlushFailure> {
        core.flush()
    }
}

/// The state the thread shares with the emitter. Lives as long as either.
private final class Core: @unchecked Sendable {
    let configuration: Configuration
    let spool: Spool
    /// The thread's sinks, copied for every session (only the thread uses it).
    let template: SpoolDelivery

    /// Held for a delivery session of the thread, or for a flush.
    let session = ConditionLock()
    /// Guards the fields below; the thread waits on it.
    let control = ConditionLock()
    /// An event was appended (or a session should look again).
    var wake = false
    /// The emitter went away.
    var stopping = false
    /// Flushes waiting or running: the thread stays out of their way.
    var flushes = 0
    /// A takeover in this process asked the thread to let go of the lock.
    var stepAside = false
    /// The thread sleeps where an append should wake it.
    var listening = false
    /// No session before this time (monotonic ns): backoff, or another holder of the lock.
    var retryAt: UInt64?
    /// An append starts a session before ``retryAt`` (only some sinks are backing off).
    var retryWakesOnAppend = false
    /// Consecutive failed sessions.
    var failures = 0

    init(configuration: Configuration, delivery: SpoolDelivery) {
        self.configuration = configuration
        spool = delivery.spool
        template = delivery
    }

    var settings: DeliverySettings { template.settings }

    func noteAppend() {
        control.withLock {
            guard !wake else { return }
            wake = true
            if listening { control.broadcast() }
        }
    }

    func stop() {
        control.withLock {
            stopping = true
            control.broadcast()
        }
    }

    func requestStepAside() {
        control.withLock {
            stepAside = true
            control.broadcast()
        }
    }

    func flush() -> Result<Int, FlushFailure> {
        control.withLock {
            flushes += 1
            control.broadcast()
        }
        let result = session.withLock {
            Result { () throws(FlushFailure) in try FlushRunner.drain(configuration: configuration, holder: .embedded) }
        }
        control.withLock {
            flushes -= 1
            if case .success = result { retryAt = nil }
            wake = true  // look again: events may have come since, or the flush failed
            control.broadcast()
        }
        return result
    }

    // MARK: - The thread

    private enum Outcome {
        /// Nothing is waiting.
        case idle
        /// Look again now.
        case again
        /// Look again after this many milliseconds (or at the next append, when `orOnAppend`).
        case retry(afterMilliseconds: Int64, orOnAppend: Bool = false)
        /// The session failed (already recorded for `status`).
        case failed
    }

    func run() {
        while awaitWork() {
            let outcome = session.withLock { deliver() }
            control.withLock {
                let now = Clock.monotonicNanoseconds()
                retryWakesOnAppend = false
                switch outcome {
                case .idle:
                    failures = 0
                case .again:
                    failures = 0
                    wake = true
                case .retry(let milliseconds, let orOnAppend):
                    failures = 0
                    retryAt = now + UInt64(min(max(milliseconds, 1), 60_000)) * 1_000_000
                    retryWakesOnAppend = orOnAppend
                case .failed:
                    failures += 1
                    let delay = settings.backoff.delay(
                        afterFailures: failures, unit: Double(SystemRandom.next(UInt32.self)) / 4_294_967_296)
                    retryAt = now + UInt64(max(delay, 1)) * 1_000_000
                }
            }
        }
    }

    /// Waits until a session is due; false once the emitter is gone.
    private func awaitWork() -> Bool {
        control.lock()
        defer { control.unlock() }
        while true {
            if stopping { return false }
            var wait: UInt64?
            if flushes == 0 {
                let now = Clock.monotonicNanoseconds()
                if let due = retryAt {
                    if now >= due || (retryWakesOnAppend && wake) {
                        retryAt = nil
                        break
                    }
                    wait = due - now
                } else if wake {
                    break
                }
            }
            listening = (retryAt == nil || retryWakesOnAppend) && flushes == 0
            if let wait { control.wait(nanoseconds: wait) } else { control.wait() }
            listening = false
        }
        wake = false
        stepAside = false
        return true
    }

    /// One session: take the lock, deliver until the queue stays empty, let go.
    private func deliver() -> Outcome {
        guard template.hasPendingEvents() else { return .idle }
        let lock: FlusherLock
        do {
            let taken = try FlusherLock.acquire(spool, as: .embedded) { [weak self] in self?.requestStepAside() }
            guard let taken else {
                // Another flusher delivers (our events too); look again after it may have left.
                return .retry(afterMilliseconds: busyRetryMilliseconds)
            }
            lock = taken
        } catch {
            SpoolState.record("cannot take the flusher lock \(spool.lockPath): \(error)", in: spool)
            return .failed
        }
        var delivery = template
        delivery.reload()
        let end = DeliveryLoop.run(
            &delivery, lingerMilliseconds: settings.lingerMilliseconds, sleepsThroughBackoff: false
        ) { milliseconds in
            !lock.isTakeoverRequested && pause(milliseconds)
        }
        lock.release()
        switch end {
        case .drained: return template.hasPendingEvents() ? .again : .idle
        case .backingOff(let until): return .retry(afterMilliseconds: until - Clock.unixMilliseconds())
        case .waiting(let until): return .retry(afterMilliseconds: until - Clock.unixMilliseconds(), orOnAppend: true)
        // Let whoever asked have the lock (a flush in this process wakes the thread when done).
        case .stopped, .left(_): return .retry(afterMilliseconds: busyRetryMilliseconds)
        }
    }

    /// How long to wait before looking again when someone else delivers.
    private var busyRetryMilliseconds: Int64 { Int64(max(50, min(settings.lingerMilliseconds, 1000))) }

    /// The loop's pause: up to `milliseconds`, ended early by an append; false when the thread
    /// must let go of the lock (a flush, a takeover, the emitter's end).
    private func pause(_ milliseconds: Int) -> Bool {
        control.lock()
        defer { control.unlock() }
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(milliseconds, 0)) * 1_000_000
        while true {
            if stopping || flushes > 0 || stepAside { return false }
            if wake {
                wake = false
                return true
            }
            let now = Clock.monotonicNanoseconds()
            if now >= deadline { return true }
            listening = true
            control.wait(nanoseconds: deadline - now)
            listening = false
        }
    }
}
