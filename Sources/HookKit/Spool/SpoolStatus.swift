import HookKitSystem

/// What is waiting in a spool and how delivery goes, for `send-event status`.
package struct SpoolStatus: Sendable, Equatable {
    /// The hub the spool delivers to.
    package var hub: String
    /// The spool folder.
    package var spool: String
    /// Events waiting in the queue.
    package var queued: Int
    /// Events in the dead-letter file.
    package var dead: Int
    /// Age in seconds of the oldest waiting event, if any.
    package var oldestAgeSeconds: Int64?
    /// The last delivery error, if the last attempt failed.
    package var lastError: String?
    /// When the next attempt is due (Unix ms), while the hub is backing off.
    package var nextAttemptAt: Int64?
    /// Events dropped to keep the queue within its bounds.
    package var dropped: Int
    /// Events delivered since the spool was created.
    package var delivered: Int
    /// The running flusher's process id, if one runs.
    package var flusherPID: Int32?
    /// When the last background flusher gave up after failing for too long (Unix ms), if it did.
    package var gaveUpAt: Int64?
    /// Why the spool cannot be used (its folder is not private, it belongs to another hub, there
    /// is no folder at all), if so: hooks then record nothing and no flusher runs.
    package var problem: String?
    /// The OTLP sink's status, when the sink is on (see `docs/otlp.md`).
    package var otlp: OTLPSinkStatus?

    /// Reads the status of `spool`.
    package init(spool: Spool, hub: String, now: Int64 = Clock.unixMilliseconds()) {
        self.hub = hub
        self.spool = spool.directory
        let state = SpoolState.load(spool)
        queued = 0
        oldestAgeSeconds = nil
        problem = spool.problem()
        if let reader = try? QueueReader(spool) {
            // Counted from where the flusher will resume (see `SpoolState.resynchronize`).
            var resumed = state
            let resynchronized = (try? resumed.resynchronize(with: reader, now: now, backoff: .standard)) != nil
            let offset = resynchronized ? resumed.offset : 0
            queued = (try? reader.countLines(from: offset, to: reader.size)) ?? 0
            if let chunk = try? reader.lines(from: offset, maxLines: 1, maxBytes: 64 * 1024),
                let first = chunk.lines.first,
                let event = try? JSONScanner.scan(Array(chunk.bytes[first])),
                let timestamp = event.text(forKey: "timestamp").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) })
            {
                oldestAgeSeconds = max(0, (now - timestamp) / 1000)
            }
        }
        dead = 0
        if let bytes = try? FileSystem.privateContents(of: spool.deadLetterPath) {
            dead = bytes.split(separator: UInt8(ascii: "\n")).count
        }
        gaveUpAt = state.gaveUpAt
        lastError = state.lastError
        nextAttemptAt = state.nextAttemptAt.flatMap { $0 > now ? $0 : nil }
        dropped = state.dropped
        delivered = state.delivered
        flusherPID = FlusherLock.holder(spool)
    }

    /// The status as one JSON object with the keys `hub`, `queued`, `dead`, `oldest_age_s`,
    /// `last_error`, `next_attempt_at` (and `spool`, `dropped`, `delivered`, `flusher_pid`,
    /// `gave_up_at`, `problem`), all about the hub sink, and `otlp`: the OTLP sink's object, or
    /// null when that sink is off.
    package func json() -> String {
        func number(_ value: (some BinaryInteger)?) -> JSONValue { value.map { .number(String($0)) } ?? .null }
        return JSONValue.object([
            .init("hub", .string(hub)),
            .init("spool", .string(spool)),
            .init("queued", number(queued)),
            .init("dead", number(dead)),
            .init("oldest_age_s", number(oldestAgeSeconds)),
            .init("last_error", lastError.map(JSONValue.string) ?? .null),
            .init("next_attempt_at", number(nextAttemptAt)),
            .init("dropped", number(dropped)),
            .init("delivered", number(delivered)),
            .init("flusher_pid", number(flusherPID)),
            .init("gave_up_at", number(gaveUpAt)),
            .init("problem", problem.map(JSONValue.string) ?? .null),
            .init("otlp", otlp?.json ?? .null),
        ]).serialized()
    }

    /// The status for people, one fact per line.
    package func text() -> String {
        var lines = [
            "hub:          \(hub)",
            "spool:        \(spool)",
            "queued:       \(queued)" + (oldestAgeSeconds.map { " (oldest \($0) s old)" } ?? ""),
            "dead letters: \(dead)" + (dead > 0 ? " (send-event flush --retry-dead to retry)" : ""),
            "delivered:    \(delivered)",
            "dropped:      \(dropped)",
            "flusher:      " + (flusherPID.map { "running (pid \($0))" } ?? "not running" + gaveUpNote),
        ]
        if let problem { lines.insert("problem:      \(problem)", at: 2) }
        if let lastError { lines.append("last error:   \(lastError)") }
        if let nextAttemptAt {
            lines.append("next attempt: in \(max(0, (nextAttemptAt - Clock.unixMilliseconds()) / 1000)) s")
        }
        if let otlp { lines += otlp.lines }
        return lines.joined(separator: "\n")
    }

    /// Why no flusher runs when the last one gave up: when delivery starts again.
    private var gaveUpNote: String {
        guard gaveUpAt != nil else { return "" }
        let restart =
            nextAttemptAt.map { "the next hook after \(max(0, ($0 - Clock.unixMilliseconds()) / 1000)) s" }
            ?? "the next hook"
        return " (the last one gave up after failing for too long; \(restart), or send-event flush, "
            + "starts delivery again)"
    }
}

extension SpoolStatus {
    /// The status of `configuration`'s spool, a section per sink: the hub's (with `hub` `none` and
    /// nothing queued when that sink is off) and the OTLP sink's when it is on.
    package init(configuration: Configuration, now: Int64 = Clock.unixMilliseconds()) {
        let spool = configuration.spool
        self.init(spool: spool, hub: configuration.hub, now: now)
        if !configuration.hubIsOn {
            // No hub sink: nothing waits for it (what state.json holds is from before).
            queued = 0
            oldestAgeSeconds = nil
            lastError = nil
            nextAttemptAt = nil
            gaveUpAt = nil
        }
        if let settings = configuration.otlp {
            otlp = OTLPSinkStatus(
                spool: spool, endpoint: settings.endpoint.description, wireProtocol: settings.wireProtocol.rawValue,
                now: now)
        }
    }
}
