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

    /// Takes the lock without waiting; nil when another process holds it. Prepares the spool
    /// first (see ``Spool/prepare()``): a refused spool gets no lock file.
    package static func acquire(_ spool: Spool) throws(SpoolError) -> FlusherLock? {
        try spool.prepare()
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.openPrivate(spool.lockPath, O_RDWR | O_CREAT)
        } catch {
            throw SpoolError(operation: "open", path: spool.lockPath, check: error)
        }
        var lock = Self.wholeFile(type: F_WRLCK)
        if fcntl(fd.rawValue, F_SETLK, &lock) == -1 {
            let error = Errno.current
            fd.close()
            if error == .wouldBlock || error == .permissionDenied { return nil }
            throw SpoolError(operation: "lock", path: spool.lockPath, errno: error)
        }
        return FlusherLock(fd: fd)
    }

    /// Which file the lock is held on, to notice the lock file being removed or replaced.
    package func identity() -> FileIdentity? {
        try? fd?.identity()
    }

    /// The process holding the lock, or nil when no flusher runs.
    package static func holder(_ spool: Spool) -> pid_t? {
        guard let fd = try? FileDescriptor.openPrivate(spool.lockPath, O_RDWR) else { return nil }
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

    private static func wholeFile(type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }
}
