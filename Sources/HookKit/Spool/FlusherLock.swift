import HookKitSystem

/// The lock that makes one flusher per spool: a POSIX record lock on `flusher.lock`.
///
/// A record lock (not `flock`) because anyone can ask who holds it (`F_GETLK` names the
/// process), which lets a hook check for a running flusher without taking anything, and lets
/// `send-event flush` ask a background flusher to step aside. The kernel drops the lock when its
/// holder dies, however it dies.
///
/// Record locks belong to the process, not to the descriptor: a second `F_SETLK` from the same
/// process succeeds, and closing *any* descriptor of the file releases the lock. That matters in
/// a program that embeds HookKit, where an ``EventEmitter``'s delivery thread and `flush()` (or
/// two emitters) share the process. So every lock this process holds is entered in a
/// process-wide table, and neither ``acquire(_:as:onStepAside:)`` nor ``holder(_:)`` opens the
/// file while this process holds it.
///
/// The file is empty; its bytes serve as separate locks. A flusher process locks the whole file,
/// and a takeover stops it with `SIGTERM`. A thread of a program that embeds HookKit locks only
/// byte 0 and is never signalled (that would end the program): a takeover from another process
/// locks byte 2 while it waits, which the thread notices (``isTakeoverRequested``) and steps
/// aside. Byte 1 tells the two holders apart (only a whole-file lock covers it).
package final class FlusherLock {
    /// Who holds the lock, which decides how a takeover asks it to step aside.
    package enum Holder: Sendable {
        /// A `send-event flush` process: locks the whole file; stopped with `SIGTERM`.
        case flusherProcess
        /// A thread of a program that embeds HookKit: locks byte 0 only; asked in-process.
        case embedded
    }

    private var fd: FileDescriptor?
    private let key: LockFileKey

    private init(fd: FileDescriptor, key: LockFileKey) {
        self.fd = fd
        self.key = key
    }

    deinit { release() }

    /// Takes the lock without waiting; nil when another process, or another holder in this
    /// process, has it. `onStepAside` is called (on the thread of whoever asks) when a takeover
    /// in this process wants the lock.
    package static func acquire(
        _ spool: Spool, as holder: Holder = .flusherProcess, onStepAside: (@Sendable () -> Void)? = nil
    ) throws(SpoolError) -> FlusherLock? {
        try spool.prepare()  // a refused spool gets no lock file
        return try heldLocks.withLock { (table) throws(SpoolError) -> FlusherLock? in
            let existingKey: LockFileKey?
            do throws(Errno) {
                existingKey = try LockFileKey(path: spool.lockPath)
            } catch {
                throw SpoolError(operation: "inspect", path: spool.lockPath, errno: error)
            }
            if let existing = existingKey {
                if table.entries[existing] != nil { return nil }
                if table.takeovers[existing, default: 0] > 0 { return nil }
            }
            let fd = try openLockFile(spool)
            let key: LockFileKey
            do throws(Errno) {
                key = LockFileKey(try fd.status())
            } catch {
                fd.close()  // not a file this process holds a lock on (checked above)
                throw SpoolError(operation: "inspect", path: spool.lockPath, errno: error)
            }
            if table.entries[key] != nil {
                // The file was replaced by one this process holds, between the check and the
                // open: closing this descriptor would release that lock, so its holder closes it.
                table.entries[key]?.strayDescriptors.append(fd)
                return nil
            }
            if holder == .embedded {
                // Leave it to a takeover waiting in another process (a flusher process's
                // whole-file lock conflicts with the request by itself).
                var request = Self.range(type: F_WRLCK, start: Byte.request, length: 1)
                if fcntl(fd.rawValue, F_GETLK, &request) == 0 && request.l_type != F_UNLCK {
                    fd.close()
                    return nil
                }
            }
            var lock = holder == .embedded ? Self.range(type: F_WRLCK, start: 0, length: 1) : Self.wholeFile(F_WRLCK)
            if fcntl(fd.rawValue, F_SETLK, &lock) == -1 {
                let error = Errno.current
                fd.close()
                if error == .wouldBlock || error == .permissionDenied { return nil }
                throw SpoolError(operation: "lock", path: spool.lockPath, errno: error)
            }
            table.entries[key] = HeldLock(onStepAside: onStepAside)
            return FlusherLock(fd: fd, key: key)
        }
    }

    /// The process holding the lock (this one's id when it holds it itself), or nil when no
    /// flusher runs.
    package static func holder(_ spool: Spool) -> pid_t? {
        query(spool, start: 0, length: Byte.request)
    }

    /// Takes the lock, asking whoever holds it to step aside first and waiting up to
    /// `timeoutMilliseconds` for it: a flusher process is sent `SIGTERM` (it is safe to stop at
    /// any moment), a holder in this process is asked through its `onStepAside`, and a program
    /// embedding HookKit elsewhere sees the request on byte 2. While a takeover waits, no other
    /// holder in this process can take the lock.
    package static func takeOver(
        _ spool: Spool, as holder: Holder = .flusherProcess, timeoutMilliseconds: Int = 5000
    ) -> FlusherLock? {
        let reservation = try? LockFileKey(path: spool.lockPath)
        if let reservation { heldLocks.withLock { $0.takeovers[reservation, default: 0] += 1 } }
        // The descriptor that carries the request on byte 2 and, once it is ours, the lock.
        var request: (fd: FileDescriptor, key: LockFileKey)?
        defer {
            heldLocks.withLock { table in
                if let request {
                    var unlock = range(type: F_UNLCK, start: Byte.request, length: 1)
                    _ = fcntl(request.fd.rawValue, F_SETLK, &unlock)
                    // Closing it would release a lock another holder in this process took since.
                    if table.entries[request.key] != nil {
                        table.entries[request.key]?.strayDescriptors.append(request.fd)
                    } else {
                        request.fd.close()
                    }
                }
                if let reservation {
                    table.takeovers[reservation, default: 1] -= 1
                    if table.takeovers[reservation] == 0 { table.takeovers[reservation] = nil }
                }
            }
        }
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        var asked = false
        while true {
            let attempt = heldLocks.withLock { table -> Attempt in
                if let key = try? LockFileKey(path: spool.lockPath), let entry = table.entries[key] {
                    return .heldHere(entry.onStepAside)
                }
                if request == nil {
                    guard let fd = try? openLockFile(spool) else { return .busy }
                    guard let info = try? fd.status() else {
                        fd.close()  // this process holds no lock on it (checked above)
                        return .busy
                    }
                    request = (fd, LockFileKey(info))
                }
                guard let (fd, key) = request else { return .busy }
                var wanted = holder == .embedded ? range(type: F_WRLCK, start: 0, length: 1) : wholeFile(F_WRLCK)
                if fcntl(fd.rawValue, F_SETLK, &wanted) == 0 {
                    var unlock = range(type: F_UNLCK, start: Byte.request, length: 1)
                    if holder == .embedded { _ = fcntl(fd.rawValue, F_SETLK, &unlock) }
                    table.entries[key] = HeldLock(onStepAside: nil)
                    request = nil
                    return .taken(FlusherLock(fd: fd, key: key))
                }
                // (Re)place the request: another descriptor's close in this process drops it.
                var mark = range(type: F_WRLCK, start: Byte.request, length: 1)
                _ = fcntl(fd.rawValue, F_SETLK, &mark)
                return .busy
            }
            switch attempt {
            case .taken(let lock): return lock
            case .heldHere(let onStepAside):
                if !asked {
                    asked = true
                    onStepAside?()
                }
            case .busy:
                if !asked {
                    asked = true
                    // Only a whole-file lock (a flusher process) covers byte 1.
                    if let pid = query(spool, start: Byte.flusherProcess, length: 1), pid != getpid() {
                        kill(pid, SIGTERM)
                    }
                }
            }
            if Clock.monotonicNanoseconds() >= deadline { return nil }
            Clock.sleep(milliseconds: 10)
        }
    }

    private enum Attempt {
        case taken(FlusherLock)
        case heldHere((@Sendable () -> Void)?)
        case busy
    }

    /// Whether a process waits to take this lock over (see ``takeOver(_:as:timeoutMilliseconds:)``):
    /// an embedded holder then lets go. Reads the lock with this lock's own descriptor.
    package var isTakeoverRequested: Bool {
        heldLocks.withLock { _ in
            guard let fd else { return false }
            var lock = Self.range(type: F_WRLCK, start: Byte.request, length: 1)
            return fcntl(fd.rawValue, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK
        }
    }

    /// Which file the lock is held on, to notice the lock file being removed or replaced.
    package func identity() -> FileIdentity? {
        try? fd?.identity()
    }

    /// Releases the lock (also done when the object goes away).
    package func release() {
        heldLocks.withLock { table in
            guard let fd else { return }
            var lock = Self.wholeFile(F_UNLCK)
            _ = fcntl(fd.rawValue, F_SETLK, &lock)
            fd.close()
            for stray in table.entries[key]?.strayDescriptors ?? [] { stray.close() }
            table.entries[key] = nil
            self.fd = nil
        }
    }

    /// The process with a lock that conflicts with a write lock on `length` bytes from `start`.
    private static func query(_ spool: Spool, start: Int, length: Int) -> pid_t? {
        heldLocks.withLock { table in
            guard let key = try? LockFileKey(path: spool.lockPath) else { return nil }
            if table.entries[key] != nil { return getpid() }
            guard let fd = try? FileDescriptor.openPrivate(spool.lockPath, O_RDWR) else { return nil }
            defer { fd.close() }  // this process holds no lock on it (checked above)
            var lock = range(type: F_WRLCK, start: start, length: length)
            guard fcntl(fd.rawValue, F_GETLK, &lock) == 0, lock.l_type != F_UNLCK else { return nil }
            return lock.l_pid
        }
    }

    /// Opens (creating) the lock file as a private file of the user's: no symbolic link followed,
    /// a regular file, owned by the user (see `FileDescriptor.openPrivate`).
    private static func openLockFile(_ spool: Spool) throws(SpoolError) -> FileDescriptor {
        do {
            return try FileDescriptor.openPrivate(spool.lockPath, O_RDWR | O_CREAT)
        } catch {
            throw SpoolError(operation: "open", path: spool.lockPath, check: error)
        }
    }

    /// The bytes of the lock file used as separate locks.
    private enum Byte {
        /// Covered by a flusher process's whole-file lock only.
        static let flusherProcess = 1
        /// Locked by a takeover while it waits.
        static let request = 2
    }

    private static func wholeFile(_ type: Int32) -> flock { range(type: type, start: 0, length: 0) }

    private static func range(type: Int32, start: Int, length: Int) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(start)
        lock.l_len = off_t(length)
        return lock
    }
}

/// A lock file by device and inode, so that two paths to one file are one entry.
private struct LockFileKey: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The key of the file at `path`, or nil when there is none.
    init?(path: String) throws(Errno) {
        guard let info = try FileSystem.status(path) else { return nil }
        self.init(info)
    }
}

/// A lock this process holds.
private struct HeldLock {
    var onStepAside: (@Sendable () -> Void)?
    /// Descriptors of the file opened by mistake while it was held, closed on release.
    var strayDescriptors: [FileDescriptor] = []
}

/// The flusher locks this process holds, and the takeovers waiting for one.
private struct HeldLockTable {
    var entries: [LockFileKey: HeldLock] = [:]
    var takeovers: [LockFileKey: Int] = [:]
}

private let heldLocks = Locked(HeldLockTable())
