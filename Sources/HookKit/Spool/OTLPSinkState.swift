import HookKitSystem

extension Spool {
    /// The OTLP sink's mapping state: its open spans and its position in the queue (see
    /// ``OTLPSpanState``), replaced atomically and durably after every delivered batch.
    package var otlpStatePath: String { directory + "/otlp-state.json" }
    /// The OTLP sink's bookkeeping: counters, backoff, last error (see ``OTLPSinkState``).
    package var otlpSinkPath: String { directory + "/" + OTLPSinkState.fileName }
    /// The OTLP sink's dead letters: events the OTLP receiver refused for good, and lines that are
    /// not events, each with the reason (the format of ``DeadLetters``).
    package var otlpDeadLetterPath: String { directory + "/otlp-dead.jsonl" }
}

/// The OTLP sink's bookkeeping, in the spool's `otlp-sink.json`: what it delivered, how its
/// receiver answered, its backoff, and a copy of its position and open-span count.
///
/// The position's authority is the cursor in `otlp-state.json`, saved with the open spans in
/// one atomic rename (see ``OTLPSpanState``); this small file repeats it, written just after, so
/// that hooks (is anything waiting?) and `send-event status` never read the large one. A copy
/// left behind by a crash is only behind the truth, never ahead: something may look pending that
/// is not, nothing is skipped. Written by the flusher-lock holder only, always whole (as
/// `state.json`); a missing or unreadable file gives a fresh one.
package struct OTLPSinkState: Sendable, Equatable {
    /// The file's name in the spool folder.
    package static let fileName = "otlp-sink.json"

    /// Copy of the cursor's offset in `queue.jsonl`.
    package var offset: Int64 = 0
    /// Copy of the cursor's inode (0: no position yet).
    package var inode: UInt64 = 0
    /// Spans open in `otlp-state.json` when it was last saved.
    package var openSpans = 0
    /// Consecutive failed attempts (0 after a success).
    package var failures = 0
    /// No attempt before this time (Unix ms).
    package var nextAttemptAt: Int64?
    /// The last delivery error.
    package var lastError: String?
    /// When the current run of failures began (Unix ms).
    package var failingSince: Int64?
    /// When a background flusher gave up on this sink after failing for too long (Unix ms).
    package var gaveUpAt: Int64?
    /// Requests sent to the receiver.
    package var attempts = 0
    /// Events delivered (each as a log record, and in the spans it opened or closed).
    package var delivered = 0
    /// Spans the receiver accepted.
    package var spans = 0
    /// Log records the receiver accepted.
    package var logs = 0
    /// Spans the receiver refused in a `partial_success` or as too large.
    package var rejectedSpans = 0
    /// Log records the receiver refused in a `partial_success` or as too large.
    package var rejectedLogs = 0
    /// The receiver's last word on refused items (`partial_success` message, or the reason).
    package var lastRejection: String?
    /// Events dropped to keep the queue within its bounds (not delivered to this sink).
    package var dropped = 0

    /// A fresh state.
    package init() {}

    /// Reads the sink's state from `spool`; a missing file gives a fresh state, an unreadable one
    /// a fresh state saying why in ``lastError``.
    package static func load(_ spool: Spool) -> OTLPSinkState {
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.privateContents(of: spool.otlpSinkPath, limit: 1 << 20)
        } catch {
            return OTLPSinkState(unreadable: "\(error)")
        }
        guard let bytes else { return OTLPSinkState() }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            return OTLPSinkState(unreadable: "not JSON: \(error)")
        }
        // Counts are read as at least 0; positions and times are checked before they are used.
        func count(_ key: String) -> Int { Int(max(0, min(json[key]?.integerValue ?? 0, 1 << 52))) }
        var state = OTLPSinkState()
        state.offset = json["offset"]?.integerValue ?? 0
        state.inode = UInt64(clamping: json["inode"]?.integerValue ?? 0)
        state.openSpans = count("open_spans")
        state.failures = min(count("failures"), 1 << 20)
        state.nextAttemptAt = json["next_attempt_at"]?.integerValue
        state.lastError = json["last_error"]?.stringValue
        state.failingSince = json["failing_since"]?.integerValue
        state.gaveUpAt = json["gave_up_at"]?.integerValue
        state.attempts = count("attempts")
        state.delivered = count("delivered")
        state.spans = count("spans")
        state.logs = count("logs")
        state.rejectedSpans = count("rejected_spans")
        state.rejectedLogs = count("rejected_logs")
        state.lastRejection = json["last_rejection"]?.stringValue
        state.dropped = count("dropped")
        return state
    }

    private init(unreadable reason: String) {
        self.init()
        lastError = "\(OTLPSinkState.fileName) unreadable (\(reason)); its counters start again"
    }

    /// Replaces the file atomically.
    package func save(_ spool: Spool) throws(SpoolError) {
        func number(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }
        func optional(_ value: Int64?) -> JSONValue { value.map(number) ?? .null }
        let members: [JSONValue.Member] = [
            .init("offset", number(offset)), .init("inode", number(inode)), .init("open_spans", number(openSpans)),
            .init("failures", number(failures)), .init("next_attempt_at", optional(nextAttemptAt)),
            .init("last_error", lastError.map(JSONValue.string) ?? .null),
            .init("failing_since", optional(failingSince)), .init("gave_up_at", optional(gaveUpAt)),
            .init("attempts", number(attempts)), .init("delivered", number(delivered)),
            .init("spans", number(spans)), .init("logs", number(logs)),
            .init("rejected_spans", number(rejectedSpans)), .init("rejected_logs", number(rejectedLogs)),
            .init("last_rejection", lastRejection.map(JSONValue.string) ?? .null),
            .init("dropped", number(dropped)),
        ]
        do {
            try FileSystem.replaceFile(spool.otlpSinkPath, with: Array(JSONValue.object(members).serialized().utf8))
        } catch {
            throw SpoolError(operation: "save", path: spool.otlpSinkPath, errno: error)
        }
    }

    /// Whether a background flusher gave up on this sink and its next attempt is not due yet:
    /// hooks start no flusher for it before then (see ``FlusherLifetime``).
    package func isWaitingAfterGivingUp(now: Int64) -> Bool {
        gaveUpAt != nil && (nextAttemptAt ?? 0) > now
    }
}
