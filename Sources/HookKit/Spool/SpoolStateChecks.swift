import HookKitSystem

extension SpoolState {
    /// A fresh state for a `state.json` that could not be read: delivery starts over from the
    /// beginning of the queue (the hub drops what it already has), and `status` says why.
    init(unreadable reason: String) {
        self.init()
        lastError = "state.json unreadable (\(reason)); resending the queue from its start (the hub drops duplicates)"
    }

    /// Brings the state in line with the queue file it describes, before anything is read at its
    /// offset. A different file (a new queue) starts at 0 silently. Nonsense (an offset outside
    /// the file or not at the start of a line, as after the file was truncated or rewritten in
    /// place; a retried batch outside the file; a next attempt further away than any backoff can
    /// put it) is replaced by a safe value, the start of the queue for positions: events may be
    /// sent again, which the hub's deduplication absorbs, but none is skipped. Returns what was
    /// wrong, one phrase each (empty when nothing was).
    package mutating func resynchronize(
        with reader: QueueReader, now: Int64, backoff: Backoff
    ) throws(Errno) -> [String] {
        var problems: [String] = []
        if reader.inode != inode {
            inode = reader.inode
            offset = 0
            inflight = nil
            mark = nil
        } else if offset < 0 || offset > reader.size {
            problems.append("offset \(offset) lies outside queue.jsonl (\(reader.size) bytes)")
            offset = 0
        } else if !(try reader.isLineStart(offset)) {
            problems.append("offset \(offset) is not at the start of a line (queue.jsonl was truncated or rewritten)")
            offset = 0
        } else if let mark, offset > 0, !(try Self.matches(mark, reader, before: offset)) {
            problems.append(
                "the line before offset \(offset) is not the one handled (queue.jsonl was truncated or rewritten)")
            offset = 0
        }
        if offset == 0 { mark = nil }
        if let batch = inflight, !(0 <= batch.start && batch.start <= batch.end && batch.end <= reader.size) {
            problems.append("the batch being retried (\(batch.start)..<\(batch.end)) lies outside queue.jsonl")
            inflight = nil
        }
        if let batch = inflight, batch.start != offset {
            inflight = nil  // a batch of an older position: harmless, just not a retry any more
        }
        // The furthest a failure can push the next attempt: the backoff cap, or the hour a
        // Retry-After is honoured for.
        let furthest = now + max(backoff.capMilliseconds, 3_600_000)
        if let next = nextAttemptAt, next > furthest {
            problems.append("next_attempt_at \(next) is further away than any backoff")
            nextAttemptAt = nil
        }
        if let since = failingSince, since > now {
            failingSince = now
        }
        if !problems.isEmpty {
            lastError =
                "state.json: " + problems.joined(separator: "; ")
                + "; resending from the start of the queue (the hub drops duplicates)"
        }
        return problems
    }

    /// Whether the marked line is still where it was, whole, before `offset`.
    private static func matches(_ mark: Mark, _ reader: QueueReader, before offset: Int64) throws(Errno) -> Bool {
        guard mark.start >= 0, mark.start + Int64(mark.length) < offset else { return false }
        let bytes = try reader.bytes(at: mark.start, count: mark.length)
        return bytes.count == mark.length && Mark.digest(bytes[...]) == mark.digest
    }
}
