/// Why a file or folder that must be private to this user was not used: the system's error, or a
/// check that failed (a symbolic link, another kind of file, another owner, open to others).
package enum FileCheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The system call failed.
    case system(Errno)
    /// It is a symbolic link, which is never followed.
    case symbolicLink
    /// It is not a regular file (a folder, FIFO, device or socket).
    case notRegularFile
    /// It is not a folder.
    case notDirectory
    /// It belongs to another user (this uid).
    case foreignOwner(UInt32)
    /// Group or others may write to it (this mode).
    case writableByOthers(mode: UInt16)

    /// "it is a symbolic link", "No such file or directory", ...
    package var description: String {
        switch self {
        case .system(let error): "\(error)"
        case .symbolicLink: "it is a symbolic link (not followed)"
        case .notRegularFile: "it is not a regular file"
        case .notDirectory: "it is not a folder"
        case .foreignOwner(let uid): "it belongs to uid \(uid), not to uid \(geteuid())"
        case .writableByOthers(let mode): "group or others can write to it (mode 0\(String(mode, radix: 8)))"
        }
    }

    /// Whether the path does not exist.
    package var isMissing: Bool { self == .system(.noSuchFileOrDirectory) }
}

/// This process's effective user, read once.
let effectiveUser = geteuid()

extension Errno {
    /// Too many levels of symbolic links; also what `O_NOFOLLOW` reports for a symbolic link.
    package static let symbolicLinkLoop = Errno(rawValue: ELOOP)
}

extension FileDescriptor {
    /// Opens `path` as a file private to this user: a symbolic link in its place is never
    /// followed (`O_NOFOLLOW`), and the file must be a regular file (a FIFO or device planted there
    /// is refused without blocking on it) owned by the effective user. With `O_CREAT` a missing
    /// file is created with `permissions`.
    package static func openPrivate(
        _ path: String, _ flags: Int32, permissions: UInt16 = 0o600
    ) throws(FileCheckError) -> FileDescriptor {
        let fd: FileDescriptor
        do {
            fd = try open(path, flags | O_NOFOLLOW | O_NONBLOCK, permissions: permissions)
        } catch {
            // O_NOFOLLOW reports a symbolic link as ELOOP (which can also mean a loop further up).
            if error == .symbolicLinkLoop, FileSystem.isSymbolicLink(path) { throw .symbolicLink }
            throw .system(error)
        }
        let info: stat
        do {
            info = try fd.status()
        } catch {
            fd.close()
            throw .system(error)
        }
        if info.st_mode & S_IFMT != S_IFREG {
            fd.close()
            throw .notRegularFile
        }
        if info.st_uid != effectiveUser {
            fd.close()
            throw .foreignOwner(UInt32(info.st_uid))
        }
        // O_NONBLOCK stays: it was there so that opening a FIFO cannot hang, and reads and writes
        // of a regular file ignore it (clearing it would cost the hook two system calls a file).
        return fd
    }

    /// The device and inode of the open file.
    package func identity() throws(Errno) -> FileIdentity {
        FileIdentity(try status())
    }
}

/// Which file a path or descriptor is (device and inode): equal identities are the same file.
package struct FileIdentity: Sendable, Equatable, Hashable {
    /// The device.
    package var device: UInt64
    /// The inode.
    package var inode: UInt64

    /// The identity in a `stat` result.
    package init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

extension FileSystem {
    /// `lstat(2)` of `path` (a symbolic link itself, not its target), or nil when it does not exist.
    package static func linkStatus(_ path: String) throws(Errno) -> stat? {
        var info = stat()
        if lstat(path, &info) == 0 { return info }
        let error = Errno.current
        if error == .noSuchFileOrDirectory { return nil }
        throw error
    }

    /// Whether `path` is a symbolic link.
    package static func isSymbolicLink(_ path: String) -> Bool {
        guard let info = try? linkStatus(path) else { return false }
        return info.st_mode & S_IFMT == S_IFLNK
    }

    /// Reads a whole private file (see ``FileDescriptor/openPrivate(_:_:permissions:)``), or nil
    /// when it does not exist.
    package static func privateContents(of path: String, limit: Int = .max) throws(FileCheckError) -> [UInt8]? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.openPrivate(path, O_RDONLY)
        } catch {
            if error.isMissing { return nil }
            throw error
        }
        defer { fd.close() }
        do {
            // The size read once: no 64 KiB read buffer for a file of a few bytes.
            let size = Int(clamping: try fd.status().st_size)
            return try fd.read(fromAbsoluteOffset: 0, count: min(limit, size))
        } catch {
            throw .system(error)
        }
    }

    /// Creates a new file named `prefix` followed by 16 random hexadecimal digits, exclusively
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`): nothing planted at a name known in advance can be written
    /// through. Returns the descriptor (open for writing) and the path.
    package static func createUniqueFile(
        prefix: String, permissions: UInt16 = 0o600
    ) throws(Errno) -> (FileDescriptor, String) {
        var lastError = Errno.fileExists
        for _ in 0..<16 {
            let path = prefix + hexadecimal(SystemRandom.next(UInt64.self))
            do {
                return (
                    try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, permissions: permissions),
                    path
                )
            } catch {
                lastError = error
                if error != .fileExists { break }
            }
        }
        throw lastError
    }

    /// Makes sure `path` is a folder private to this user. When it is missing and `create` is true
    /// it is created (with any missing parents) with mode 0700; an existing one must be a real
    /// folder (not a symbolic link) owned by the effective user that group and others cannot
    /// write to. Returns whether the folder exists afterwards.
    @discardableResult
    package static func checkPrivateDirectory(_ path: String, create: Bool) throws(FileCheckError) -> Bool {
        var info: stat?
        do {
            info = try linkStatus(path)
            if info == nil, create {
                try createDirectories(path, permissions: 0o700)
                info = try linkStatus(path)
            }
        } catch {
            throw .system(error)
        }
        guard let info else { return false }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: break
        case S_IFLNK: throw .symbolicLink
        default: throw .notDirectory
        }
        if info.st_uid != effectiveUser { throw .foreignOwner(UInt32(info.st_uid)) }
        let mode = UInt16(info.st_mode & 0o7777)
        if mode & 0o022 != 0 { throw .writableByOthers(mode: mode) }
        return true
    }

    private static func hexadecimal(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
