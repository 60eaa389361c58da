import HookKitSystem

/// A spool operation that failed, with the path and the reason: the system's error, a failed
/// check of a file or folder, or a refusal to use the spool at all.
package struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// What was being done ("open", "append to", ...).
    package var operation: String
    /// The file or folder concerned.
    package var path: String
    /// Why it failed.
    package var cause: Cause

    /// Why a spool operation failed.
    package enum Cause: Sendable, Equatable {
        /// A system call failed, or a file or folder is not private to this user.
        case file(FileCheckError)
        /// The spool is not to be used at all; the text says why and what to do.
        case refused(String)
    }

    /// A failed system call.
    package init(operation: String, path: String, errno: Errno) {
        self.init(operation: operation, path: path, cause: .file(.system(errno)))
    }

    /// A failed system call or check.
    package init(operation: String, path: String, check: FileCheckError) {
        self.init(operation: operation, path: path, cause: .file(check))
    }

    /// Any cause.
    package init(operation: String, path: String, cause: Cause) {
        self.operation = operation
        self.path = path
        self.cause = cause
    }

    /// "cannot append to /path: No space left on device", or the refusal's own text.
    package var description: String {
        switch cause {
        case .file(let error): "cannot \(operation) \(path): \(error)"
        case .refused(let reason): reason
        }
    }
}

/// The crash-safe JSONL queue of events waiting for delivery, in one folder.
///
/// Files: `queue.jsonl` (one event per line; hooks append, the flusher reads from a saved
/// offset), `dead.jsonl` (events the hub refused for good, each with the reason), `state.json`
/// (the flusher's offset and backoff), `flusher.lock` and `hub.url` (the hub the spool delivers
/// to). The folder is created 0700; an existing one is used only when it is this user's and
/// nobody else can write to it, and every file in it is opened without following symbolic links
/// and only when it is a regular file of this user's (see ``prepare()``).
///
/// Appends are safe among any number of concurrent processes: each record is one `write(2)` to an
/// `O_APPEND` descriptor, so lines never interleave; writers hold a shared `flock` while the
/// flusher takes it exclusively to compact the file; a record starts on a fresh line even if a
/// writer was killed halfway through its own line, so a torn line can never spoil the next one.
package struct Spool: Sendable {
    /// The spool folder.
    package let directory: String
    /// The hub this process delivers to: when set, the spool is used only if it is recorded for
    /// this hub, or for none yet (then it is recorded). One spool, one hub.
    package var hub: String?

    /// Opens (lazily: nothing touches the disk until the first append) the spool in `directory`.
    package init(directory: String, hub: String? = nil) {
        self.directory = directory
        self.hub = hub
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
        var separate = false
        while true {
            lockShared()
            if isCurrentFile() {
                if endsWithNewline() { break }
                // The last line looks torn: make sure, then start on a fresh line if it is.
                guard lockExclusive() else {
                    separate = true
                    break
                }
                if isCurrentFile() {
                    separate = !endsWithNewline()
                    break
                }
            }
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
        if separate { record.append(UInt8(ascii: "\n")) }
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
        guard let mine = try? fd.status(), let current = try? FileSystem.linkStatus(spool.queuePath) else {
            return false
        }
        return mine.st_ino == current.st_ino && mine.st_dev == current.st_dev
    }

    /// Whether the file is empty or ends with a newline: false only after a writer died mid-line.
    private func endsWithNewline() -> Bool {
        guard let size = try? fd.status().st_size, size > 0 else { return true }
        var last: UInt8 = 0
        let count = withUnsafeMutableBytes(of: &last) { try? fd.read(fromAbsoluteOffset: Int64(size) - 1, into: $0) }
        return count != 1 || last == UInt8(ascii: "\n")
    }

    /// Converts the shared lock into an exclusive one, waiting at most about two seconds, so that
    /// no other writer is in the middle of a record: a large write grows the file page by page,
    /// and a byte of a record still being copied in must not be taken for a torn line (writing a
    /// separator after it would leave an empty line). The conversion is not atomic, so the caller
    /// looks at the file again. False when the lock could not be had: the caller then separates,
    /// as an empty line costs nothing and a line merged into a torn one costs an event.
    private func lockExclusive() -> Bool {
        for _ in 0..<2000 {
            if flock(fd.rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            guard Errno.current == .wouldBlock else { return false }
            Clock.sleep(milliseconds: 1)
        }
        return false
    }

    private static func openQueue(_ spool: Spool) throws(SpoolError) -> FileDescriptor {
        try spool.prepare()
        do {
            // Read too: the last byte is checked.
            return try FileDescriptor.openPrivate(spool.queuePath, O_RDWR | O_APPEND | O_CREAT)
        } catch {
            throw SpoolError(operation: "open", path: spool.queuePath, check: error)
        }
    }
}

extension Configuration {
    /// The spool of this configuration: its folder, used only for its hub (see ``Spool/prepare()``).
    package var spool: Spool { Spool(directory: spoolDirectory, hub: hub) }
}
