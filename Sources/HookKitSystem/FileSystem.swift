/// Path-level file system calls, thin and typed like ``FileDescriptor``.
package enum FileSystem {
    /// Creates `path` and any missing parents with `permissions` (an existing folder is fine).
    package static func createDirectories(_ path: String, permissions: UInt16 = 0o700) throws(Errno) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode_t(permissions)) == -1 {
                let error = Errno.current
                guard error == .fileExists else { throw error }
            }
        }
    }

    /// `stat(2)` of `path`, or nil when it does not exist.
    package static func status(_ path: String) throws(Errno) -> stat? {
        var info = stat()
        if stat(path, &info) == 0 { return info }
        let error = Errno.current
        if error == .noSuchFileOrDirectory { return nil }
        throw error
    }

    /// Atomically replaces `path` with `bytes` (write to a temporary file, then rename). The
    /// temporary file has an unpredictable name and is created exclusively, so nothing planted
    /// beside `path` is written through; a symbolic link at `path` is replaced, not followed.
    /// With `owner`, the new file gets that owner and group (when this process may give them).
    package static func replaceFile(
        _ path: String, with bytes: [UInt8], permissions: UInt16 = 0o600, owner: (uid_t, gid_t)? = nil
    ) throws(Errno) {
        let (fd, temporary) = try createUniqueFile(prefix: path + ".tmp.", permissions: permissions)
        do {
            if let owner, owner.0 != geteuid() || owner.1 != getegid() { _ = fchown(fd.rawValue, owner.0, owner.1) }
            try fd.writeAll(bytes)
            fd.close()
        } catch {
            fd.close()
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = Errno.current
            unlink(temporary)
            throw error
        }
    }

    /// Reads a whole file, or nil when it does not exist.
    package static func contents(of path: String, limit: Int = .max) throws(Errno) -> [UInt8]? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, O_RDONLY)
        } catch {
            if error == .noSuchFileOrDirectory { return nil }
            throw error
        }
        defer { fd.close() }
        return try fd.readAll(limit: limit)
    }

    /// Removes a file; a missing file is fine.
    package static func remove(_ path: String) {
        unlink(path)
    }
}
