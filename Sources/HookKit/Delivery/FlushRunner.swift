import HookKitSystem

/// The two ways the queue is drained: by the background flusher the hooks start, and by
/// `send-event flush` in the foreground.
package enum FlushRunner {
    /// A flusher for `configuration`'s spool and hub, or why there cannot be one.
    package static func makeFlusher(
        _ configuration: Configuration, settings: DeliverySettings
    ) -> Result<Flusher, FlushFailure> {
        let spool = Spool(directory: configuration.spoolDirectory)
        guard let endpoint = HTTPEndpoint(url: configuration.hub) else {
            return .failure(
                FlushFailure(
                    message: "unsupported hub URL '\(configuration.hub)' (expected http[s]://host[:port][/path])"))
        }
        var signer: StandardWebhooks.Signer?
        if let secret = configuration.secret {
            do {
                signer = try StandardWebhooks.Signer(secrets: [secret])
            } catch {
                return .failure(FlushFailure(message: "CLAUDE_OBSERVABILITY_SECRET is not usable: \(error)"))
            }
        }
        return .success(
            Flusher(spool: spool, transport: HTTPClient(endpoint: endpoint), signer: signer, settings: settings))
    }

    /// The background flusher: takes the lock (or leaves at once if another flusher has it),
    /// delivers until the queue has stayed empty for the linger time, sleeping through backoff
    /// without touching the network, then leaves. The loop is ``DeliveryLoop``, which an
    /// ``EventEmitter``'s delivery thread runs too.
    package static func runBackground(configuration: Configuration, settings: DeliverySettings) {
        let spool = Spool(directory: configuration.spoolDirectory)
        let fresh: Flusher
        switch makeFlusher(configuration, settings: settings) {
        case .success(let made): fresh = made
        case .failure(let failure):
            SpoolState.record(failure.message, in: spool)
            return
        }
        while true {
            let lock: FlusherLock
            do {
                guard let taken = try FlusherLock.acquire(spool) else { return }  // another flusher runs
                lock = taken
            } catch {
                SpoolState.record("cannot take the flusher lock \(spool.lockPath): \(error)", in: spool)
                return
            }
            var flusher = fresh
            flusher.reload()
            let end = DeliveryLoop.run(
                &flusher, lingerMilliseconds: settings.lingerMilliseconds, sleepsThroughBackoff: true
            ) { milliseconds in
                Clock.sleep(milliseconds: milliseconds)
                return true
            }
            lock.release()
            // The spool cannot be read or written (recorded): retrying at once would only spin.
            if case .failed = end { return }
            // A hook that appended just before the release saw the lock held and started no
            // flusher: look once more, and carry on if anything is waiting.
            if !hasPendingEvents(spool) { return }
        }
    }

    /// `send-event flush`: asks a background flusher to step aside, then delivers everything now,
    /// ignoring the backoff once. Reports progress as (handled, total). Succeeds when the queue is
    /// empty afterwards; otherwise says why.
    /// `holder` is who takes the flusher lock: `.embedded` for ``EventEmitter/flush()``. Events
    /// appended during the drain are delivered too.
    package static func drain(
        configuration: Configuration, settings: DeliverySettings, holder: FlusherLock.Holder = .flusherProcess,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> Result<Int, FlushFailure> {
        let spool = Spool(directory: configuration.spoolDirectory)
        var flusher: Flusher
        switch makeFlusher(configuration, settings: settings) {
        case .success(let made): flusher = made
        case .failure(let failure): return .failure(failure)
        }
        guard let lock = takeOverLock(spool, as: holder) else {
            return .failure(FlushFailure(message: "another flusher holds \(spool.lockPath) and did not stop"))
        }
        defer { lock.release() }
        flusher.reload()
        let total = SpoolStatus(spool: spool, hub: configuration.hub).queued
        var delivered = 0
        var first = true
        var idleBefore = false
        while true {
            let step: Flusher.Step
            do {
                step = try flusher.step(ignoreBackoff: first)
            } catch {
                return .failure(FlushFailure(message: "\(error)"))
            }
            first = false
            switch step {
            case .progressed(let count):
                delivered += count
                idleBefore = false
                progress(delivered, total)
            case .idle:
                var state = flusher.state
                _ = try? QueueCompaction.compact(spool, state: &state)
                let left = SpoolStatus(spool: spool, hub: configuration.hub).queued
                if left == 0 { return .success(delivered) }
                // Appended since the step looked: deliver those too, unless nothing moved since
                // the last time the queue looked empty (a record still being written).
                if !idleBefore {
                    idleBefore = true
                    continue
                }
                return .failure(FlushFailure(message: "\(left) events still queued (a write may be in progress)"))
            case .backingOff(let until):
                let left = SpoolStatus(spool: spool, hub: configuration.hub).queued
                let reason = flusher.state.lastError ?? "delivery failed"
                let wait = max(0, (until - Clock.unixMilliseconds()) / 1000)
                return .failure(
                    FlushFailure(message: "\(reason); \(left) events still queued, next attempt in \(wait) s"))
            }
        }
    }

    /// `send-event flush --retry-dead`: moves every dead-lettered event back to the queue (records
    /// that hold no event, such as torn lines, stay). Returns how many were moved.
    package static func retryDead(configuration: Configuration) -> Result<Int, FlushFailure> {
        let spool = Spool(directory: configuration.spoolDirectory)
        guard let lock = takeOverLock(spool) else {
            return .failure(FlushFailure(message: "another flusher holds \(spool.lockPath) and did not stop"))
        }
        defer { lock.release() }
        do {
            let (events, others) = try DeadLetters.read(spool)
            guard !events.isEmpty else { return .success(0) }
            let writer = try QueueWriter(spool: spool)
            defer { writer.close() }
            for event in events { try writer.append(event) }
            // Only now drop them from the dead letters: a crash in between duplicates, never loses.
            let rest = others.flatMap { $0 + [UInt8(ascii: "\n")] }
            do {
                try FileSystem.replaceFile(spool.deadLetterPath, with: rest)
            } catch {
                throw SpoolError(operation: "rewrite", path: spool.deadLetterPath, errno: error)
            }
            return .success(events.count)
        } catch {
            return .failure(FlushFailure(message: "\(error)"))
        }
    }

    /// Takes the flusher lock, asking its holder to step aside first and waiting up to five
    /// seconds for it (see ``FlusherLock/takeOver(_:as:timeoutMilliseconds:)``).
    static func takeOverLock(_ spool: Spool, as holder: FlusherLock.Holder = .flusherProcess) -> FlusherLock? {
        FlusherLock.takeOver(spool, as: holder)
    }

    /// Whether the queue holds bytes past the saved offset.
    package static func hasPendingEvents(_ spool: Spool) -> Bool {
        guard let info = try? FileSystem.status(spool.queuePath) else { return false }
        let state = SpoolState.load(spool)
        return UInt64(info.st_ino) != state.inode ? info.st_size > 0 : Int64(info.st_size) > state.offset
    }
}

/// Why a flush could not finish.
package struct FlushFailure: Error, Sendable, CustomStringConvertible {
    /// One line for the user.
    package var message: String
    /// The message.
    package var description: String { message }
}
