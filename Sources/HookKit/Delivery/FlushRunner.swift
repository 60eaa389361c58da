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

    /// The spool's sinks side by side for `configuration`: the hub (unless `CLAUDE_OBSERVABILITY_HUB`
    /// is `none`) and the OTLP receiver (when `CLAUDE_OBSERVABILITY_OTLP_ENDPOINT` is set), or why
    /// there is nowhere to deliver. A hub whose URL or secret is unusable stops delivery when it
    /// is the only sink; beside an OTLP sink it becomes a sink that fails with that reason (so it
    /// backs off, keeps its events and the queue's bounds, and `status` says why) while the OTLP
    /// sink delivers.
    package static func makeDelivery(_ configuration: Configuration) throws(FlushFailure) -> SpoolDelivery {
        let spool = configuration.spool
        var otlp: OTLPSinkFlusher?
        if let settings = configuration.otlp {
            let client = HTTPClient(
                endpoint: settings.endpoint, connector: settings.endpoint.isTLS ? TLSTunnel(configuration) : nil)
            otlp = OTLPSinkFlusher(
                spool: spool, settings: settings, transport: client, delivery: configuration.delivery)
        }
        var hub: Flusher?
        if configuration.hubIsOn {
            do {
                hub = try makeFlusher(configuration)
            } catch {
                guard otlp != nil else { throw error }
                hub = Flusher(
                    spool: spool, transport: UnusableHub(reason: error.message), signer: nil,
                    settings: configuration.delivery)
            }
        }
        guard hub != nil || otlp != nil else {
            throw FlushFailure(
                message: configuration.problems.last
                    ?? "nowhere to deliver: CLAUDE_OBSERVABILITY_HUB=none and no CLAUDE_OBSERVABILITY_OTLP_ENDPOINT")
        }
        return SpoolDelivery(spool: spool, settings: configuration.delivery, hub: hub, otlp: otlp)
    }

    /// The background flusher: takes the lock (or leaves at once if another flusher has it),
    /// delivers to every sink until they have stayed idle for the linger time, sleeping through
    /// backoff without touching the network (but keeping the queue within its bounds), then
    /// leaves; it also leaves when ``FlusherLifetime`` says so. The loop is ``DeliveryLoop``,
    /// which an ``EventEmitter``'s delivery thread runs too. A refused spool (see
    /// ``Spool/prepare()``) is left untouched: `status` says why.
    package static func runBackground(configuration: Configuration) {
        let spool = configuration.spool
        let settings = configuration.delivery
        var delivery: SpoolDelivery
        do {
            delivery = try makeDelivery(configuration)
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
            delivery.reload()  // under the lock: what the last holder saved
            let lifetime = FlusherLifetime(spool: spool, lock: lock, settings: settings)
            // A takeover (`send-event flush`) sends SIGTERM and asks on the lock: stop between
            // steps, so that nothing a receiver accepted goes out again (see TerminationRequest).
            let stepAside = { TerminationRequest.isRequested || lock.isTakeoverRequested }
            let end = DeliveryLoop.run(
                &delivery, lingerMilliseconds: settings.lingerMilliseconds, sleepsThroughBackoff: true,
                lifetime: lifetime
            ) { milliseconds in
                if stepAside() { return false }
                Clock.sleep(milliseconds: milliseconds)
                return !stepAside()
            }
            lock.release()
            // Leaving or stepping aside: no second look (a removed spool must not be created
            // again; a sink given up on waits for its next attempt; a takeover wants the lock).
            switch end {
            case .left, .stopped: return
            case .drained, .backingOff, .waiting: break
            }
            // A hook that appended just before the release saw the lock held and started no
            // flusher: look once more, and carry on if anything is waiting for a sink that is due.
            if !SpoolDelivery.hasPendingEvents(
                spool, hub: delivery.hub != nil, otlp: delivery.otlp != nil, includingWaiting: false)
            {
                return
            }
        }
    }

    /// What `send-event flush` did for one sink.
    package struct SinkReport: Sendable, Equatable {
        /// The sink.
        package var sink: SpoolDelivery.Sink
        /// Where it delivers: the hub URL or the OTLP endpoint.
        package var target: String
        /// Events delivered.
        package var delivered = 0
        /// For the OTLP sink: spans and log records the receiver accepted meanwhile.
        package var spans: Int?
        /// See ``spans``.
        package var logs: Int?
        /// Why it could not finish (nil: nothing is left for it).
        package var failure: String?
    }

    /// `send-event flush`: asks a background flusher to step aside, then delivers everything now
    /// to every sink, ignoring each one's backoff once. Reports progress as (handled, total) over
    /// all sinks. Succeeds when nothing is left for any sink; otherwise says why, one line per
    /// sink that could not finish (prefixed by the sink when there are two).
    /// `holder` is who takes the flusher lock: `.embedded` for ``EventEmitter/flush()``. Events
    /// appended during the drain are delivered too. Returns the events delivered to the hub (to
    /// the OTLP receiver when the hub is off).
    package static func drain(
        configuration: Configuration, holder: FlusherLock.Holder = .flusherProcess,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(FlushFailure) -> Int {
        let reports = try drainSinks(configuration: configuration, holder: holder, progress: progress)
        let failures = reports.compactMap { report in
            report.failure.map { reports.count > 1 ? "\(label(report.sink, report.target)): \($0)" : $0 }
        }
        if !failures.isEmpty { throw FlushFailure(message: failures.joined(separator: "\n")) }
        return reports.first?.delivered ?? 0
    }

    /// `send-event flush`, sink by sink: see ``drain(configuration:holder:progress:)``. Throws only
    /// when nothing could be tried (configuration, spool, lock).
    package static func drainSinks(
        configuration: Configuration, holder: FlusherLock.Holder = .flusherProcess,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(FlushFailure) -> [SinkReport] {
        let spool = configuration.spool
        var delivery = try makeDelivery(configuration)
        let lock = try takeOverLock(spool, as: holder)
        defer { lock.release() }
        delivery.reload()
        let sinks = delivery.sinks
        var reports = sinks.map { SinkReport(sink: $0, target: target($0, configuration)) }
        let spansBefore = delivery.otlp?.state.spans ?? 0
        let logsBefore = delivery.otlp?.state.logs ?? 0
        let total = sinks.reduce(0) { $0 + delivery.pendingEvents($1) }
        var handled = 0
        var running = Set(sinks)
        var firstAttempt = Set(sinks)
        var idleBefore = Set<SpoolDelivery.Sink>()
        while !running.isEmpty {
            for (index, sink) in sinks.enumerated() where running.contains(sink) {
                let step = delivery.step(sink, ignoreBackoff: firstAttempt.remove(sink) != nil)
                switch step {
                case .progressed(let count):
                    reports[index].delivered += count
                    handled += count
                    idleBefore.remove(sink)
                    progress(handled, total)
                case .idle:
                    delivery.compact()
                    let left = delivery.pendingEvents(sink)
                    if left == 0 {
                        running.remove(sink)
                    } else if !idleBefore.insert(sink).inserted {
                        // Still there though nothing moved since the queue last looked empty: a
                        // record still being written. (The first time: appended since the step
                        // looked, deliver those too.)
                        reports[index].failure = "\(left) events still queued (a write may be in progress)"
                        running.remove(sink)
                    }
                case .backingOff(let until):
                    let left = delivery.pendingEvents(sink)
                    let reason = delivery.lastError(sink) ?? "delivery failed"
                    let wait = max(0, (until - Clock.unixMilliseconds()) / 1000)
                    reports[index].failure = "\(reason); \(left) events still queued, next attempt in \(wait) s"
                    running.remove(sink)
                }
            }
        }
        if let otlp = delivery.otlp, let index = sinks.firstIndex(of: .otlp) {
            reports[index].spans = otlp.state.spans - spansBefore
            reports[index].logs = otlp.state.logs - logsBefore
        }
        return reports
    }

    /// What `send-event flush --retry-dead` did for one sink's dead letters.
    package struct RetryReport: Sendable, Equatable {
        /// The sink.
        package var sink: SpoolDelivery.Sink
        /// Where it delivers.
        package var target: String
        /// Dead-lettered events tried again.
        package var tried = 0
        /// Of those, delivered now.
        package var delivered = 0
        /// Of those, refused again (dead-lettered again with the new reason).
        package var refused = 0
        /// Why the others are still dead-lettered (the sink failed), if it did.
        package var failure: String?
    }

    /// `send-event flush --retry-dead`: sends every sink's dead-lettered events again, to that
    /// sink only (the other sink, which may have delivered them, does not see them again):
    /// through a scratch spool inside the spool folder, with the sink's own batching and answers.
    /// Delivered events leave the dead-letter file; refused ones stay with the new reason;
    /// records that hold no event (torn lines) stay as they are; when the sink fails, the events
    /// it did not deliver stay as they were.
    package static func retryDead(configuration: Configuration) throws(FlushFailure) -> [RetryReport] {
        let spool = configuration.spool
        let sinks = try makeDelivery(configuration).sinks
        let lock = try takeOverLock(spool)
        defer { lock.release() }
        var reports: [RetryReport] = []
        for sink in sinks {
            do {
                reports.append(try retryDead(sink, configuration: configuration))
            } catch {
                throw FlushFailure(message: "\(error)")
            }
        }
        return reports
    }

    private static func retryDead(
        _ sink: SpoolDelivery.Sink, configuration: Configuration
    ) throws(SpoolError) -> RetryReport {
        let spool = configuration.spool
        var report = RetryReport(sink: sink, target: target(sink, configuration))
        let deadPath = sink == .hub ? spool.deadLetterPath : spool.otlpDeadLetterPath
        var retried: [[UInt8]] = []
        var originals: [[UInt8]: [UInt8]] = [:]
        var kept: [[UInt8]] = []
        for record in try DeadLetters.records(in: deadPath) {
            guard let event = record.event else {
                kept.append(record.line)
                continue
            }
            if originals[event] == nil {  // the same event dead-lettered twice goes once
                originals[event] = record.line
                retried.append(event)
            }
        }
        guard !retried.isEmpty else { return report }
        report.tried = retried.count

        // A scratch spool holding only these events, delivered by a sink of the same settings.
        let hex = String(SystemRandom.next(UInt64.self), radix: 16)
        var scratchConfiguration = configuration
        scratchConfiguration.spoolDirectory = spool.directory + "/retry-\(sink.rawValue)-\(hex)"
        let scratch = scratchConfiguration.spool
        defer { removeScratch(scratch) }
        let writer = try QueueWriter(spool: scratch)
        do {
            for event in retried { try writer.append(event) }
        } catch {
            writer.close()
            throw error
        }
        writer.close()
        var delivery: SpoolDelivery
        do {
            delivery = try makeDelivery(scratchConfiguration)
        } catch {
            throw SpoolError(operation: "retry", path: deadPath, cause: .refused(error.message))
        }
        delivery.otlp?.expiresIdleSpans = false  // spans left open belong to the live state
        var first = true
        steps: while true {
            switch delivery.step(sink, ignoreBackoff: first) {
            case .progressed: first = false
            case .idle: break steps
            case .backingOff:
                report.failure = delivery.lastError(sink) ?? "delivery failed"
                break steps
            }
        }

        // What is left: events the sink did not get to, as they were; events refused again, with
        // the new reason; the records that hold no event.
        var left: [[UInt8]] = []
        if let reader = try QueueReader(scratch) {
            let position =
                sink == .hub
                ? (delivery.hub.map { QueuePosition(inode: $0.state.inode, offset: $0.state.offset) })
                : delivery.otlp?.position
            let offset = position.flatMap { $0.inode == reader.inode ? $0.offset : nil } ?? 0
            do {
                let chunk = try reader.lines(from: offset, maxLines: .max, maxBytes: Int(max(0, reader.size - offset)))
                left = chunk.lines.map { Array(chunk.bytes[$0]) }
            } catch {
                throw SpoolError(operation: "read", path: scratch.queuePath, errno: error)
            }
        }
        let scratchDead = sink == .hub ? scratch.deadLetterPath : scratch.otlpDeadLetterPath
        let refusedAgain = try DeadLetters.records(in: scratchDead).map(\.line)
        report.refused = refusedAgain.count
        report.delivered = max(0, retried.count - left.count - refusedAgain.count)
        let rest = kept + refusedAgain + left.map { originals[$0] ?? $0 }
        do {
            try FileSystem.replaceFile(deadPath, with: rest.flatMap { $0 + [UInt8(ascii: "\n")] })
        } catch {
            throw SpoolError(operation: "rewrite", path: deadPath, errno: error)
        }
        return report
    }

    /// Removes a scratch spool's files and folder (what a crash left inside stays, harmlessly,
    /// in the private spool folder).
    private static func removeScratch(_ scratch: Spool) {
        for path in [
            scratch.queuePath, scratch.statePath, scratch.deadLetterPath, scratch.lockPath, scratch.hubRecordPath,
            scratch.otlpStatePath, scratch.otlpSinkPath, scratch.otlpDeadLetterPath,
        ] {
            FileSystem.remove(path)
        }
        rmdir(scratch.directory)
    }

    /// Where `sink` delivers, for messages.
    static func target(_ sink: SpoolDelivery.Sink, _ configuration: Configuration) -> String {
        switch sink {
        case .hub: configuration.hub
        case .otlp: configuration.otlp.map { "\($0.endpoint)" } ?? "OTLP"
        }
    }

    /// "hub URL" or "OTLP URL", to tell the sinks apart in messages.
    static func label(_ sink: SpoolDelivery.Sink, _ target: String) -> String {
        sink == .hub ? "hub \(target)" : "OTLP \(target)"
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

    /// Whether the queue holds bytes past the hub sink's saved offset.
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

/// The transport of a hub sink whose URL or secret is unusable, beside an OTLP sink: every
/// request fails with the configuration's reason, so the hub sink backs off and says why.
struct UnusableHub: HTTPTransport {
    var reason: String

    func post(_ path: String, body: [UInt8], headers: HTTPHeaders) throws(HTTPClientError) -> HTTPResponse {
        throw HTTPClientError(.connect, "not attempted: \(reason)")
    }
}

extension TLSTunnel {
    /// The tunnel that `configuration` asks for: its helper (`CLAUDE_OBSERVABILITY_TLS_HELPER`)
    /// and CA file (`CLAUDE_OBSERVABILITY_CA_FILE`).
    package init(_ configuration: Configuration) {
        self.init(helperPath: Self.helperPath(configured: configuration.tlsHelper), caFile: configuration.caFile)
    }
}
