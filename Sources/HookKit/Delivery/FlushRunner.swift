import HookKitSystem

/// The two ways the queue is drained: by the background flusher the hooks start, and by
/// `send-event flush` in the foreground.
package enum FlushRunner {
    /// A flusher for `configuration`'s spool and hub, or why there cannot be one (an unusable hub
    /// URL or secret: see ``Configuration/problems``).
    package static func makeFlusher(_ configuration: Configuration) throws(FlushFailure) -> Flusher {
        let spool = configuration.spool
        guard let endpoint = configuration.hubEndpoint else {
            let reason = Configuration.hubProblem(configuration.hub) ?? "unusable"
            throw FlushFailure(message: "hub URL '\(Configuration.shown(configuration.hub))' is not usable: \(reason)")
        }
        var signer: StandardWebhooks.Signer?
        if let secret = configuration.secret {
            do {
                signer = try StandardWebhooks.Signer(secrets: [secret])
            } catch {
                throw FlushFailure(message: "CLAUDE_OBSERVABILITY_SECRET is not usable: \(error)")
            }
        }
        let client = HTTPClient(endpoint: endpoint, connector: endpoint.isTLS ? TLSTunnel(configuration) : nil)
        return Flusher(spool: spool, transport: client, signer: signer, settings: configuration.delivery)
    }

    /// The background flusher: takes the lock (or leaves at once if another flusher has it),
    /// delivers until the queue has stayed empty for the linger time, sleeping through backoff
    /// without touching the network (but keeping the queue within its bounds), then leaves; it
    /// also leaves when ``FlusherLifetime`` says so. The loop is ``DeliveryLoop``, which an
    /// ``EventEmitter``'s delivery thread runs too. A refused spool (see ``Spool/prepare()``) is
    /// left untouched: `status` says why.
    package static func runBackground(configuration: Configuration) {
        let spool = configuration.spool
        let settings = configuration.delivery
        let fresh: Flusher
        do {
            fresh = try makeFlusher(configuration)
        } catch {
            if spool.problem() == nil { SpoolState.record(error.message, in: spool) }
            return
        }
        while true {
            let lock: FlusherLock
            do {
                guard let taken = try FlusherLock.acquire(spool) else { return }  // another flusher runs
                lock = taken
            } catch {
                if case .file = error.cause, spool.problem() == nil {
                    SpoolState.record("cannot take the flusher lock \(spool.lockPath): \(error)", in: spool)
                }
                return
            }
            var flusher = fresh
            flusher.reload()
            let lifetime = FlusherLifetime(spool: spool, lock: lock, state: flusher.state, settings: settings)
            var leaving: FlusherLifetime.Reason?
            _ = DeliveryLoop.run(
                &flusher, lingerMilliseconds: settings.lingerMilliseconds, sleepsThroughBackoff: true,
                shouldLeave: { state in
                    leaving = lifetime.reasonToLeave(state, now: Clock.unixMilliseconds())
                    return leaving != nil
                }
            ) { milliseconds in
                Clock.sleep(milliseconds: milliseconds)
                return true
            }
            if let leaving {
                if case .gaveUp = leaving { flusher.recordGivingUp() }
                lock.release()
                return  // and no second look: a removed spool must not be created again
            }
            lock.release()
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
        configuration: Configuration, holder: FlusherLock.Holder = .flusherProcess,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(FlushFailure) -> Int {
        let spool = configuration.spool
        var flusher = try makeFlusher(configuration)
        let lock = try takeOverLock(spool, as: holder)
        defer { lock.release() }
        flusher.reload()
        let total = SpoolStatus(spool: spool, hub: configuration.hub).queued
        var delivered = 0
        var first = true
        var idleBefore = false
        while true {
            let step = flusher.step(ignoreBackoff: first)
            first = false
            switch step {
            case .progressed(let count):
                delivered += count
                idleBefore = false
                progress(delivered, total)
            case .idle:
                flusher.compact()
                let left = SpoolStatus(spool: spool, hub: configuration.hub).queued
                if left == 0 { return delivered }
                // Appended since the step looked: deliver those too, unless nothing moved since
                // the last time the queue looked empty (a record still being written).
                if !idleBefore {
                    idleBefore = true
                    continue
                }
                throw FlushFailure(message: "\(left) events still queued (a write may be in progress)")
            case .backingOff(let until):
                let left = SpoolStatus(spool: spool, hub: configuration.hub).queued
                let reason = flusher.state.lastError ?? "delivery failed"
                let wait = max(0, (until - Clock.unixMilliseconds()) / 1000)
                throw FlushFailure(message: "\(reason); \(left) events still queued, next attempt in \(wait) s")
            }
        }
    }

    /// `send-event flush --retry-dead`: moves every dead-lettered event back to the queue (records
    /// that hold no event, such as torn lines, stay). Returns how many were moved.
    package static func retryDead(configuration: Configuration) throws(FlushFailure) -> Int {
        let spool = configuration.spool
        let lock = try takeOverLock(spool)
        defer { lock.release() }
        do {
            let (events, others) = try DeadLetters.read(spool)
            guard !events.isEmpty else { return 0 }
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
            return events.count
        } catch {
            throw FlushFailure(message: "\(error)")
        }
    }

    /// Takes the flusher lock, asking its holder to step aside first and waiting up to five
    /// seconds for it (see ``FlusherLock/takeOver(_:as:timeoutMilliseconds:)``). Fails at once for
    /// a spool that cannot be used (see ``Spool/prepare()``).
    static func takeOverLock(
        _ spool: Spool, as holder: FlusherLock.Holder = .flusherProcess
    ) throws(FlushFailure) -> FlusherLock {
        do {
            try spool.prepare()
        } catch {
            throw FlushFailure(message: "\(error)")
        }
        guard let lock = FlusherLock.takeOver(spool, as: holder) else {
            throw FlushFailure(message: "another flusher holds \(spool.lockPath) and did not stop")
        }
        return lock
    }

    /// Whether the queue holds bytes past the saved offset.
    package static func hasPendingEvents(_ spool: Spool) -> Bool {
        guard let info = try? FileSystem.linkStatus(spool.queuePath) else { return false }
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

extension TLSTunnel {
    /// The tunnel that `configuration` asks for: its helper (`CLAUDE_OBSERVABILITY_TLS_HELPER`)
    /// and CA file (`CLAUDE_OBSERVABILITY_CA_FILE`).
    package init(_ configuration: Configuration) {
        self.init(helperPath: Self.helperPath(configured: configuration.tlsHelper), caFile: configuration.caFile)
    }
}
