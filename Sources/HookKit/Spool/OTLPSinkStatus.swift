import HookKitSystem

/// The OTLP sink's part of `send-event status`: where it delivers, what waits for it, what it
/// delivered, how its receiver answered.
package struct OTLPSinkStatus: Sendable, Equatable {
    /// The receiver's base URL.
    package var endpoint: String
    /// `http/protobuf` or `http/json`.
    package var wireProtocol: String
    /// Events in the queue the sink has not handled yet.
    package var queued = 0
    /// Age in seconds of the oldest of them, if any.
    package var oldestAgeSeconds: Int64?
    /// Records in `otlp-dead.jsonl`.
    package var dead = 0
    /// Events delivered.
    package var delivered = 0
    /// Spans the receiver accepted.
    package var spans = 0
    /// Log records the receiver accepted.
    package var logs = 0
    /// Spans the receiver refused (`partial_success`, too large, or a refused batch).
    package var rejectedSpans = 0
    /// Log records the receiver refused.
    package var rejectedLogs = 0
    /// The receiver's last word on refused items.
    package var lastRejection: String?
    /// Spans started and not yet sent (they wait for their end event or the timeout).
    package var openSpans = 0
    /// Events dropped for this sink to keep the queue within its bounds.
    package var dropped = 0
    /// The last delivery error, if the last attempt failed.
    package var lastError: String?
    /// When the next attempt is due (Unix ms), while backing off.
    package var nextAttemptAt: Int64?
    /// When a background flusher gave up on this sink after failing for too long (Unix ms).
    package var gaveUpAt: Int64?

    /// Reads the OTLP sink's status from `spool`.
    package init(spool: Spool, endpoint: String, wireProtocol: String, now: Int64 = Clock.unixMilliseconds()) {
        self.endpoint = endpoint
        self.wireProtocol = wireProtocol
        let state = OTLPSinkState.load(spool)
        if let reader = try? QueueReader(spool) {
            // From where the sink resumes: its offset when it is about this file, else the start.
            var offset: Int64 = 0
            if state.inode == reader.inode, state.offset >= 0, state.offset <= reader.size,
                (try? reader.isLineStart(state.offset)) == true
            {
                offset = state.offset
            }
            queued = (try? reader.countLines(from: offset, to: reader.size)) ?? 0
            if let chunk = try? reader.lines(from: offset, maxLines: 1, maxBytes: 64 * 1024),
                let first = chunk.lines.first,
                let event = try? JSONScanner.scan(Array(chunk.bytes[first])),
                let timestamp = event.text(forKey: "timestamp").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) })
            {
                oldestAgeSeconds = max(0, (now - timestamp) / 1000)
            }
        }
        if let bytes = try? FileSystem.privateContents(of: spool.otlpDeadLetterPath) {
            dead = bytes.split(separator: UInt8(ascii: "\n")).count
        }
        delivered = state.delivered
        spans = state.spans
        logs = state.logs
        rejectedSpans = state.rejectedSpans
        rejectedLogs = state.rejectedLogs
        lastRejection = state.lastRejection
        openSpans = state.openSpans
        dropped = state.dropped
        lastError = state.lastError
        nextAttemptAt = state.nextAttemptAt.flatMap { $0 > now ? $0 : nil }
        gaveUpAt = state.gaveUpAt
    }

    /// The status as a JSON object (the `otlp` member of `status --json`).
    package var json: JSONValue {
        func number(_ value: (some BinaryInteger)?) -> JSONValue { value.map { .number(String($0)) } ?? .null }
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            .init("endpoint", .string(endpoint)),
            .init("protocol", .string(wireProtocol)),
            .init("queued", number(queued)),
            .init("oldest_age_s", number(oldestAgeSeconds)),
            .init("dead", number(dead)),
            .init("delivered", number(delivered)),
            .init("spans", number(spans)),
            .init("logs", number(logs)),
            .init("rejected_spans", number(rejectedSpans)),
            .init("rejected_logs", number(rejectedLogs)),
            .init("last_rejection", string(lastRejection)),
            .init("open_spans", number(openSpans)),
            .init("dropped", number(dropped)),
            .init("last_error", string(lastError)),
            .init("next_attempt_at", number(nextAttemptAt)),
            .init("gave_up_at", number(gaveUpAt)),
        ])
    }

    /// The status for people: a heading line and indented facts.
    package var lines: [String] {
        var lines = [
            "otlp:         \(endpoint) (\(wireProtocol))",
            "  queued:       \(queued)" + (oldestAgeSeconds.map { " (oldest \($0) s old)" } ?? ""),
            "  dead letters: \(dead)" + (dead > 0 ? " (otlp-dead.jsonl; send-event flush --retry-dead to retry)" : ""),
            "  delivered:    \(delivered) events: \(spans) spans, \(logs) log records",
            "  open spans:   \(openSpans)",
            "  dropped:      \(dropped)",
        ]
        if rejectedSpans > 0 || rejectedLogs > 0 || lastRejection != nil {
            lines.append(
                "  rejected:     \(rejectedSpans) spans, \(rejectedLogs) log records"
                    + (lastRejection.map { " (last: \($0))" } ?? ""))
        }
        if let lastError { lines.append("  last error:   \(lastError)") }
        if let nextAttemptAt {
            lines.append("  next attempt: in \(max(0, (nextAttemptAt - Clock.unixMilliseconds()) / 1000)) s")
        }
        if gaveUpAt != nil {
            lines.append(
                "  (the last flusher gave up on it after failing for too long; the next hook after the next attempt's time, or send-event flush, starts it again)"
            )
        }
        return lines
    }
}
