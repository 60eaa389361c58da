import HookKitSystem

/// Gives the queue file's space back once its events are handled.
///
/// Runs under an exclusive `flock` on the queue, which waits for no one (it is tried, not
/// waited for) and excludes hooks only for the moment it takes; hooks hold the lock shared while
/// they append, so under it no write is in progress. The saved offset is always updated before
/// the file changes, so a crash in between means resending (deduplicated), never skipping.
package enum QueueCompaction {
    /// Files whose handled part is larger than this are rewritten even if events are waiting.
    package static let rewriteThreshold: Int64 = 8 << 20

    /// Empties a fully handled queue, dead-letters a torn last line that no writer will finish,
    /// and rewrites a queue whose handled part is large. Returns whether anything changed.
    @discardableResult
    package static func compact(
        _ spool: Spool, state: inout SpoolState, rewriteThreshold: Int64 = rewriteThreshold
    ) throws(SpoolError) -> Bool {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.openPrivate(spool.queuePath, O_RDWR)
        } catch {
            if error.isMissing { return false }
            throw SpoolError(operation: "open", path: spool.queuePath, check: error)
        }
        defer { fd.close() }
        guard flock(fd.rawValue, LOCK_EX | LOCK_NB) == 0 else { return false }
        defer { flock(fd.rawValue, LOCK_UN) }
        let path = spool.queuePath
        let info = try attempt("inspect", path) { () throws(Errno) in try fd.status() }
        let size = Int64(info.st_size)
        guard UInt64(info.st_ino) == state.inode, size > 0, state.offset >= 0, state.offset <= size else {
            return false
        }
        // An offset that is not at a line start is not about this file's contents any more (it
        // was truncated or rewritten in place): the flusher resynchronises, nothing is cut here.
        if state.offset > 0 {
            let before = try attempt("read", path) { [offset = state.offset] () throws(Errno) in
                try fd.read(fromAbsoluteOffset: offset - 1, count: 1)
            }
            if before != [UInt8(ascii: "\n")] { return false }
        }
        if state.offset < size {
            let tail = try attempt("read", path) { [offset = state.offset] () throws(Errno) in
                try fd.read(fromAbsoluteOffset: offset, count: Int(min(size - offset, 1 << 20)))
            }
            if size - state.offset <= 1 << 20, !tail.contains(UInt8(ascii: "\n")) {
                // A writer died mid-line and nobody is writing now: that line is all there is.
                try DeadLetters.add(corruptLine: tail[...], reason: "torn last line of the queue", to: spool)
            } else if state.offset >= rewriteThreshold && state.offset * 2 >= size {
                try rewrite(spool, from: fd, keeping: state.offset..<size, state: &state)
                return true
            } else {
                return false
            }
        }
        state.offset = 0
        state.inflight = nil
        state.mark = nil
        try attempt("save", spool.statePath) { [state] () throws(Errno) in try state.save(spool) }
        try attempt("truncate", path) { () throws(Errno) in try fd.truncate(to: 0) }
        return true
    }

    /// Runs `body`, turning its system error into a ``SpoolError`` that names the operation.
    private static func attempt<T>(
        _ operation: String, _ path: String, _ body: () throws(Errno) -> T
    ) throws(SpoolError) -> T {
        do {
            return try body()
        } catch {
            throw SpoolError(operation: operation, path: path, errno: error)
        }
    }

    /// Copies the unhandled tail to a new file and renames it over the queue. Hooks notice the
    /// new file under their shared lock and reopen it.
    private static func rewrite(
        _ spool: Spool, from fd: FileDescriptor, keeping range: Range<Int64>, state: inout SpoolState
    ) throws(SpoolError) {
        try attempt("rewrite", spool.queuePath) { () throws(Errno) in
            try rewriteFile(spool, from: fd, keeping: range, state: &state)
        }
    }

    private static func rewriteFile(
        _ spool: Spool, from fd: FileDescriptor, keeping range: Range<Int64>, state: inout SpoolState
    ) throws(Errno) {
        let (out, temporary) = try FileSystem.createUniqueFile(prefix: spool.queuePath + ".compact.")
        defer { out.close() }
        var renamed = false
        defer { if !renamed { FileSystem.remove(temporary) } }
        var position = range.lowerBound
        while position < range.upperBound {
            let chunk = try fd.read(fromAbsoluteOffset: position, count: Int(min(1 << 20, range.upperBound - position)))
            if chunk.isEmpty { break }
            try out.writeAll(chunk)
            position += Int64(chunk.count)
        }
        guard rename(temporary, spool.queuePath) == 0 else { throw Errno.current }
        renamed = true
        state.inode = UInt64(try out.status().st_ino)
        state.offset = 0
        state.inflight = nil
        state.mark = nil
        try state.save(spool)
    }
}
