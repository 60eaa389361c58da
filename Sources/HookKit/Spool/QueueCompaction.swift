import HookKitSystem

/// Where a reader of the queue stands: the file (its inode) and the bytes already handled.
package struct QueuePosition: Sendable, Equatable {
    /// The queue file's inode.
    package var inode: UInt64
    /// Bytes of it handled.
    package var offset: Int64

    /// A position.
    package init(inode: UInt64, offset: Int64) {
        self.inode = inode
        self.offset = offset
    }
}

/// How compaction changed the queue, for each reader to move its position.
package struct QueueChange: Sendable, Equatable {
    /// The file that was compacted.
    package var oldInode: UInt64
    /// The file that replaced it.
    package var newInode: UInt64
    /// Bytes cut from the front: old offset `o` is new offset `max(0, o - removed)` (a torn last
    /// line is dropped too, so positions before it become 0).
    package var removed: Int64

    /// `offset` of the old file in the new one.
    package func moved(_ offset: Int64) -> Int64 { max(0, offset - removed) }
}

/// Gives the queue file's space back once its events are handled.
///
/// Runs under an exclusive `flock` on the queue, which waits for no one (it is tried, not
/// waited for) and excludes hooks only for the moment it takes; hooks hold the lock shared while
/// they append, so under it no write is in progress. Every reader of the queue (the hub sink, the
/// OTLP sink) gives its position: only the part handled by all of them is cut. The unhandled
/// part is copied to a new file renamed over the queue (hooks notice and follow), then each
/// reader moves its position (``QueueChange``). A crash in between leaves the readers with the
/// old inode, which means "start of the new file": exact for the reader that was furthest
/// behind, a resend of the lines it had already handled for one that was ahead, never a skip.
package enum QueueCompaction {
    /// Files whose handled part is larger than this are rewritten even if events are waiting.
    package static let rewriteThreshold: Int64 = 8 << 20

    /// Empties a fully handled queue, dead-letters a torn last line that no writer will finish,
    /// and rewrites a queue whose handled part is large. Returns whether anything changed.
    @discardableResult
    package static func compact(
        _ spool: Spool, state: inout SpoolState, rewriteThreshold: Int64 = rewriteThreshold
    ) throws(SpoolError) -> Bool {
        try compact(
            spool, positions: [QueuePosition(inode: state.inode, offset: state.offset)],
            rewriteThreshold: rewriteThreshold, tornLinesTo: spool.deadLetterPath
        ) { (change) throws(SpoolError) in
            state.moveAfterCompaction(change)
            do throws(Errno) {
                try state.save(spool)
            } catch {
                throw SpoolError(operation: "save", path: spool.statePath, errno: error)
            }
        }
    }

    /// Compacts the queue for readers at `positions` (each checked against the file: a position
    /// on another inode, outside the file or not at a line start means that reader must
    /// resynchronise first, and nothing is cut). `moved` is called once the new file is in place,
    /// for every reader to move and save its position. A torn last line goes to the dead letters
    /// at `tornLinesTo`. Returns whether the file changed.
    @discardableResult
    package static func compact(
        _ spool: Spool, positions: [QueuePosition], rewriteThreshold: Int64 = rewriteThreshold,
        tornLinesTo deadLetterPath: String, moved: (QueueChange) throws(SpoolError) -> Void
    ) throws(SpoolError) -> Bool {
        guard let handled = positions.map(\.offset).min() else { return false }
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
        let inode = UInt64(info.st_ino)
        guard size > 0 else { return false }
        for position in positions {
            guard position.inode == inode, position.offset >= 0, position.offset <= size else { return false }
            // An offset that is not at a line start is not about this file's contents any more
            // (it was truncated or rewritten in place): the reader resynchronises, nothing is cut.
            if position.offset > 0 {
                let before = try attempt("read", path) { () throws(Errno) in
                    try fd.read(fromAbsoluteOffset: position.offset - 1, count: 1)
                }
                if before != [UInt8(ascii: "\n")] { return false }
            }
        }
        var keep = handled..<size
        if handled < size {
            let tail = try attempt("read", path) { () throws(Errno) in
                try fd.read(fromAbsoluteOffset: handled, count: Int(min(size - handled, 1 << 20)))
            }
            if size - handled <= 1 << 20, !tail.contains(UInt8(ascii: "\n")) {
                // A writer died mid-line and nobody is writing now: that line is all there is.
                try DeadLetters.add(
                    corruptLine: tail[...], reason: "torn last line of the queue", toFile: deadLetterPath)
                keep = size..<size
            } else if !(handled >= rewriteThreshold && handled * 2 >= size) {
                return false
            }
        }
        let newInode = try attempt("rewrite", path) { [keep] () throws(Errno) in
            try rewrite(spool, from: fd, keeping: keep)
        }
        let change = QueueChange(oldInode: inode, newInode: newInode, removed: keep.lowerBound)
        try moved(change)
        return true
    }

    /// Copies `range` of the queue to a new file and renames it over the queue; returns the new
    /// file's inode. Hooks notice the new file under their shared lock and reopen it.
    private static func rewrite(
        _ spool: Spool, from fd: FileDescriptor, keeping range: Range<Int64>
    ) throws(Errno) -> UInt64 {
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
        let inode = UInt64(try out.status().st_ino)
        guard rename(temporary, spool.queuePath) == 0 else { throw Errno.current }
        renamed = true
        return inode
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
}

extension SpoolState {
    /// Moves the hub sink's position (and the batch it retries, and the mark of its last line)
    /// into the file compaction made.
    package mutating func moveAfterCompaction(_ change: QueueChange) {
        guard inode == change.oldInode else { return }
        inode = change.newInode
        offset = change.moved(offset)
        if var batch = inflight, batch.start >= change.removed {
            batch.start -= change.removed
            batch.end -= change.removed
            inflight = batch
        } else {
            inflight = nil
        }
        if var last = mark, last.start >= change.removed, offset > 0 {
            last.start -= change.removed
            mark = last
        } else {
            mark = nil
        }
    }
}
