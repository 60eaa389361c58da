import HookKitSystem

/// A spool operation that failed, with the path and the system's reason.
package struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// What was being done ("open", "append to", ...).
    package var operation: String
    /// The file or folder concerned.
    package var path: String
    /// The system error.
    package var errno: Errno

    /// "cannot append to /path: No space left on device".
    package var description: String { "cannot \(operation) \(path): \(errno)" }
}

/// The crash-safe JSONL queue of events waiting for delivery, in one folder.
///
/// Files: `queue.jsonl` (one event per line; hooks append, the flusher reads from a saved
/// offset), `dead.jsonl` (events the hub refused for good, each with the reason), `state.json`
/// (the flusher's offset and backoff) and `flusher.lock`. The folder is created readable by the
/// user only.
///
/// Appends are safe among any number of concurrent processes: each record is one `write(2)` to an
/// `O_APPEND` descriptor, so lines never interleave; writers hold a shared `flock` while the
/// flusher takes it exclusively to compact the file; a record starts on a fresh line even if a
/// writer was killed halfway through its own line, so a torn line can never spoil the next one.
package struct Spool: Sendable {
    /// The spool folder.
    package let directory: String

    /// Opens (lazily: nothing touches the disk until the first append) the spool in `directory`.
    package init(directory: String) {
        self.directory = directory
    }

    /// The queue file.
    package var queuePath: String { directory + "/queue.jsonl" }
    /// The dead-letter file.
    package var deadLetterPath: String { directory + "/dead.jsonl" }
    /// The flusher's state file.
    package var statePath: String { directory + "/state.json" }
    /// The flusher's lock file.
    package var lockPath: String { directory + "/flusher.lock" }

    /// Appends one event line (without its newline) to the queue; opens and closes the file.
    package func append(_ line: [UInt8]) throws(SpoolError) {
        let writer = try QueueWriter(spool: self)
        defer { writer.close() }
        try writer.append(line)
    }
}

/// An open queue file that survives the flusher replacing it: every append checks, under the
/// shared lock, that the descriptor is still the file at `queue.jsonl`, and reopens if not.
package final class QueueWriter {
    private let spool: Spool
    private var fd: FileDescriptor

    /// Opens the spool's queue for appending, creating the folder and file when needed.
    package init(spool: Spool) throws(SpoolError) {
        self.spool = spool
        fd = try Self.openQueue(spool)
    }

    /// Closes the file.
    package func close() { fd.close() }

    /// Appends one record: `line` plus a newline, in one `write(2)`.
    package func append(_ line: [UInt8]) throws(SpoolError) {
        var attempts = 0
        while true {
            lockShared()
            if isCurrentFile() { break }
            // The flusher compacted the queue into a new file: follow it.
            flock(fd.rawValue, LOCK_UN)
            fd.close()
            fd = try Self.openQueue(spool)
            attempts += 1
            if attempts > 100 { throw SpoolError(operation: "follow", path: spool.queuePath, errno: .timedOut) }
        }
        defer { flock(fd.rawValue, LOCK_UN) }
        var record: [UInt8] = []
        record.reserveCapacity(line.count + 2)
        if !endsWithNewline() { record.append(UInt8(ascii: "\n")) }
        record.append(contentsOf: line)
        record.append(UInt8(ascii: "\n"))
        do {
            try fd.writeAll(record)
        } catch {
            throw SpoolError(operation: "append to", path: spool.queuePath, errno: error)
        }
    }

    /// Takes the shared lock, waiting at most about two seconds: the flusher holds it exclusively
    /// only for moments, and a hook must not hang behind a stopped flusher. Past that the record
    /// is appended unlocked, which is safe unless a compaction is running at that very moment.
    private func lockShared() {
        for _ in 0..<2000 {
            if flock(fd.rawValue, LOCK_SH | LOCK_NB) == 0 { return }
            guard Errno.current == .wouldBlock else { return }
            Clock.sleep(milliseconds: 1)
        }
    }

    private func isCurrentFile() -> Bool {
        guard let mine = try? fd.status(), let current = try? FileSystem.status(spool.queuePath) else { return false }
        return mine.st_ino == current.st_ino && mine.st_dev == current.st_dev
    }

    /// Whether the file is empty or ends with a newline: false only after a writer died mid-line.
    private func endsWithNewline() -> Bool {
        guard let size = try? fd.status().st_size, size > 0 else { return true }
        var last: UInt8 = 0
        let count = withUnsafeMutableBytes(of: &last) { try? fd.read(fromAbsoluteOffset: Int64(size) - 1, into: $0) }
        return count != 1 || last == UInt8(ascii: "\n")
    }

    private static func openQueue(_ spool: Spool) throws(SpoolError) -> FileDescriptor {
        let flags = O_RDWR | O_APPEND | O_CREAT  // read too: the last byte is checked
        do {
            return try FileDescriptor.open(spool.queuePath, flags, permissions: 0o600)
        } catch  where error == .noSuchFileOrDirectory {
            do {
                try FileSystem.createDirectories(spool.directory)
            } catch {
                throw SpoolError(operation: "create", path: spool.directory, errno: error)
            }
        } catch {
            throw SpoolError(operation: "open", path: spool.queuePath, errno: error)
        }
        do {
            return try FileDescriptor.open(spool.queuePath, flags, permissions: 0o600)
        } catch {
            throw SpoolError(operation: "open", path: spool.queuePath, errno: error)
        }
    }
}
