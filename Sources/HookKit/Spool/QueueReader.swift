import HookKitSystem

/// A run of complete lines read from the queue file.
package struct QueueChunk: Sendable {
    /// Where the run starts in the file.
    package var start: Int64
    /// The bytes read.
    package var bytes: [UInt8]
    /// Each complete line's range in `bytes`, without its newline; empty lines are skipped.
    package var lines: [Range<Int>]
    /// Where the last complete line ends (after its newline) in the file.
    package var end: Int64
}

/// Reads the queue file: its identity and size, and complete lines from an offset.
///
/// Only lines ending in a newline are returned: a line without one may be a hook's write in
/// progress (a reader can see part of a concurrent `write(2)`), so it is left for later.
package final class QueueReader {
    private let fd: FileDescriptor
    /// The queue file's inode.
    package let inode: UInt64
    /// Its size when opened.
    package let size: Int64

    /// Opens the queue of `spool` (only a regular file of this user's, never through a symbolic
    /// link); nil when there is none.
    package init?(_ spool: Spool) throws(SpoolError) {
        do {
            fd = try FileDescriptor.openPrivate(spool.queuePath, O_RDONLY)
        } catch {
            if error.isMissing { return nil }
            throw SpoolError(operation: "open", path: spool.queuePath, check: error)
        }
        do {
            let info = try fd.status()
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
        } catch {
            fd.close()
            throw SpoolError(operation: "read", path: spool.queuePath, errno: error)
        }
    }

    deinit { fd.close() }

    /// Complete lines from `offset`: at most `maxLines`, and at most `maxBytes` unless the first
    /// line alone is longer (then just that line). Stops at `limit` when given.
    package func lines(from offset: Int64, maxLines: Int, maxBytes: Int, limit: Int64? = nil) throws(Errno)
        -> QueueChunk
    {
        let end = min(limit ?? size, size)
        var bytes: [UInt8] = []
        var wanted = Int(min(Int64(maxBytes), end - offset))
        while wanted > 0 {
            bytes = try read(at: offset, count: wanted)
            // Grow until the first line is complete (a single event larger than maxBytes).
            if bytes.contains(UInt8(ascii: "\n")) || offset + Int64(bytes.count) >= end { break }
            wanted = Int(min(Int64(wanted) * 2, end - offset))
        }
        var lines: [Range<Int>] = []
        var lineStart = 0
        var consumed = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            if index > lineStart { lines.append(lineStart..<index) }
            lineStart = index + 1
            consumed = lineStart
            if lines.count == maxLines { break }
        }
        return QueueChunk(start: offset, bytes: bytes, lines: lines, end: offset + Int64(consumed))
    }

    /// Counts the events (non-empty complete lines) between `start`, a line start, and `end`.
    package func countLines(from start: Int64, to end: Int64) throws(Errno) -> Int {
        var count = 0
        var position = start
        var previous = UInt8(ascii: "\n")  // `start` begins a line
        while position < end {
            let chunk = try read(at: position, count: Int(min(1 << 20, end - position)))
            if chunk.isEmpty { break }
            for byte in chunk {
                if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\n") { count += 1 }
                previous = byte
            }
            position += Int64(chunk.count)
        }
        return count
    }

    /// Up to `count` bytes at `offset`.
    package func bytes(at offset: Int64, count: Int) throws(Errno) -> [UInt8] {
        try read(at: offset, count: count)
    }

    /// Whether `offset` is where a line starts: the start of the file, or just after a newline.
    package func isLineStart(_ offset: Int64) throws(Errno) -> Bool {
        guard offset > 0 else { return offset == 0 }
        guard offset <= size else { return false }
        return try read(at: offset - 1, count: 1) == [UInt8(ascii: "\n")]
    }

    /// The offset just after the first newline at or after `position` (or the size if none).
    package func lineBoundary(atOrAfter position: Int64) throws(Errno) -> Int64 {
        var cursor = position
        if cursor > 0 { cursor -= 1 }  // the line may start exactly at `position`
        while cursor < size {
            let chunk = try read(at: cursor, count: Int(min(64 * 1024, size - cursor)))
            if chunk.isEmpty { break }
            if let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) { return cursor + Int64(newline) + 1 }
            cursor += Int64(chunk.count)
        }
        return size
    }

    private func read(at offset: Int64, count: Int) throws(Errno) -> [UInt8] {
        try fd.read(fromAbsoluteOffset: offset, count: count)
    }
}
