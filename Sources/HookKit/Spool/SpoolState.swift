import HookKitSystem

/// The flusher's progress and backoff, kept in the spool's `state.json` so that every process
/// (the next flusher, `status`, a hook) sees the same picture.
///
/// Only the flusher-lock holder writes it, always by replacing the whole file, so a reader never
/// sees half a state. A lost update (a crash before the write) only means events are sent again,
/// which the hub's dedup by `event_uuid` absorbs.
package struct SpoolState: Sendable, Equatable {
    /// Bytes of `queue.jsonl` already handled (delivered, dead-lettered or dropped).
    package var offset: Int64 = 0
    /// The inode of the queue file `offset` refers to; a different file means start from 0.
    package var inode: UInt64 = 0
    /// Consecutive failed attempts (0 after a success).
    package var failures = 0
    /// No delivery attempt before this time (Unix ms), when the hub is known to be down.
    package var nextAttemptAt: Int64?
    /// The last delivery error, for `status`.
    package var lastError: String?
    /// Requests sent to the hub since the spool was created.
    package var attempts = 0
    /// Events delivered since the spool was created.
    package var delivered = 0
    /// Events dropped to keep the queue within its size and age bounds.
    package var dropped = 0
    /// The hub answered 404 or 405 to the batch endpoint: send one event per request.
    package var batchUnsupported = false
    /// The batch being attempted, so that a retry sends the same bytes with the same `webhook-id`.
    package var inflight: Inflight?
    /// The last line handled before ``offset``, to recognise the file the offset is about.
    package var mark: Mark?
    /// When the current run of failures began (Unix ms); nil after a success.
    package var failingSince: Int64?
    /// When a background flusher gave up after failing for too long (Unix ms): hooks start no new
    /// one before ``nextAttemptAt``. Nil once a delivery succeeds.
    package var gaveUpAt: Int64?

    /// A batch sent but not yet acknowledged.
    package struct Inflight: Sendable, Equatable {
        /// Its `webhook-id`.
        package var id: String
        /// Its byte range in the queue file.
        package var start: Int64
        /// The end of that range.
        package var end: Int64
        /// The hub gave an answer to this batch that was not the documented one: if it does again,
        /// the events go one per request.
        package var isolate = false
    }

    /// The mark of the last line handled (see ``QueueLineMark``).
    package typealias Mark = QueueLineMark

    /// A fresh state.
    package init() {}

    /// Reads the state of `spool`; a missing or unreadable file gives a fresh state.
    package static func load(_ spool: Spool) -> SpoolState {
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.privateContents(of: spool.statePath, limit: 1 << 20)
        } catch {
            return SpoolState(unreadable: "\(error)")
        }
        guard let bytes else { return SpoolState() }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            return SpoolState(unreadable: "not JSON: \(error)")
        }
        // Counters that cannot be negative are read as at least 0; positions are checked against
        // the queue file by `resynchronize` before they are used.
        func count(_ key: String) -> Int { Int(max(0, min(json[key]?.integerValue ?? 0, 1 << 52))) }
        var state = SpoolState()
        state.offset = json["offset"]?.integerValue ?? 0
        state.inode = UInt64(clamping: json["inode"]?.integerValue ?? 0)
        state.failures = min(count("failures"), 1 << 20)
        state.nextAttemptAt = json["next_attempt_at"]?.integerValue
        state.lastError = json["last_error"]?.stringValue
        state.attempts = count("attempts")
        state.delivered = count("delivered")
        state.dropped = count("dropped")
        state.batchUnsupported = json["batch_unsupported"] == .bool(true)
        if let inflight = json["inflight"], let id = inflight["id"]?.stringValue,
            let start = inflight["start"]?.integerValue, let end = inflight["end"]?.integerValue
        {
            state.inflight = Inflight(id: id, start: start, end: end, isolate: inflight["isolate"] == .bool(true))
        }
        if let mark = json["mark"], let start = mark["start"]?.integerValue,
            let length = mark["length"]?.integerValue, let digest = mark["digest"]?.stringValue,
            (1...64).contains(length)
        {
            state.mark = Mark(start: start, length: Int(length), digest: digest)
        }
        state.failingSince = json["failing_since"]?.integerValue
        state.gaveUpAt = json["gave_up_at"]?.integerValue
        return state
    }

    /// Records `error` as the spool's last error, for `status`, when the work that failed has no
    /// flusher state of its own to save it with. If even that cannot be written, the spool's disk
    /// is the problem, and `status` reports what it cannot read.
    package static func record(_ error: String, in spool: Spool) {
        var state = load(spool)
        state.lastError = error
        do {
            try state.save(spool)
        } catch {
            return  // nowhere left to record it
        }
    }

    /// Replaces the state file atomically.
    package func save(_ spool: Spool) throws(Errno) {
        func number(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }
        var members: [JSONValue.Member] = [
            .init("offset", number(offset)), .init("inode", number(inode)), .init("failures", number(failures)),
            .init("next_attempt_at", nextAttemptAt.map(number) ?? .null),
            .init("last_error", lastError.map(JSONValue.string) ?? .null),
            .init("attempts", number(attempts)), .init("delivered", number(delivered)),
            .init("dropped", number(dropped)), .init("batch_unsupported", .bool(batchUnsupported)),
        ]
        if let inflight {
            var fields: [JSONValue.Member] = [
                .init("id", .string(inflight.id)), .init("start", number(inflight.start)),
                .init("end", number(inflight.end)),
            ]
            if inflight.isolate { fields.append(.init("isolate", .bool(true))) }
            members.append(.init("inflight", .object(fields)))
        }
        if let mark {
            members.append(
                .init(
                    "mark",
                    .object([
                        .init("start", number(mark.start)), .init("length", number(mark.length)),
                        .init("digest", .string(mark.digest)),
                    ])))
        }
        if let failingSince { members.append(.init("failing_since", number(failingSince))) }
        if let gaveUpAt { members.append(.init("gave_up_at", number(gaveUpAt))) }
        try FileSystem.replaceFile(spool.statePath, with: Array(JSONValue.object(members).serialized().utf8))
    }
}
