import HookKitSystem

/// The lock that makes one flusher per spool: a POSIX record lock on `flusher.lock`.
///
/// A record lock (not `flock`) because anyone can ask who holds it (`F_GETLK` names the
/// process), which lets a hook check for a running flusher without taking anything, and lets
/// `send-event flush` ask a background flusher to step aside. The kernel drops the lock when its
/// holder dies, however it dies.
package final class FlusherLock {
    private var fd: FileDescriptor?

    private init(fd: FileDescriptor) { self.fd = fd }

    deinit { release() }

    /// Takes the lock without waiting; nil when another process holds it.
    package static func acquire(_ spool: Spool) throws(Errno) -> FlusherLock? {
        let fd = try openLockFile(spool)
        var lock = Self.wholeFile(type: F_WRLCK)
        if fcntl(fd.rawValue, F_SETLK, &lock) == -1 {
            let error = Errno.current
            fd.close()
            if error == .wouldBlock || error == .permissionDenied { return nil }
            throw error
        }
        return FlusherLock(fd: fd)
    }

    /// The process holding the lock, or nil when no flusher runs.
    package static func holder(_ spool: Spool) -> pid_t? {
        guard let fd = try? FileDescriptor.open(spool.lockPath, O_RDWR) else { return nil }
        defer { fd.close() }
        var lock = wholeFile(type: F_WRLCK)
        guard fcntl(fd.rawValue, F_GETLK, &lock) == 0, lock.l_type != F_UNLCK else { return nil }
        return lock.l_pid
    }

    /// Releases the lock (also done when the object goes away).
    package func release() {
        guard let fd else { return }
        var lock = Self.wholeFile(type: F_UNLCK)
        _ = fcntl(fd.rawValue, F_SETLK, &lock)
        fd.close()
        self.fd = nil
    }

    private static func openLockFile(_ spool: Spool) throws(Errno) -> FileDescriptor {
        do {
            return try FileDescriptor.open(spool.lockPath, O_RDWR | O_CREAT, permissions: 0o600)
        } catch  where error == .noSuchFileOrDirectory {
            try FileSystem.createDirectories(spool.directory)
            return try FileDescriptor.open(spool.lockPath, O_RDWR | O_CREAT, permissions: 0o600)
        }
    }

    private static func wholeFile(type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }
}
