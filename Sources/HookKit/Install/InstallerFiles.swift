import HookKitSystem

/// The file handling of ``Installer`` that keeps it from being turned against the user: paths
/// with control characters, a `settings.json` that links outside the project's `.claude`
/// folder, a read-only one, or another install running at the same time.
extension Installer {
    /// Whether `path` holds a control character (a newline, say), which a shell's `$(...)` or a
    /// line-based tool would cut or split: such a path is refused rather than guessed at.
    static func containsControlCharacters(_ path: String) -> Bool {
        path.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// An exclusive lock on the project folder for the time of one install or uninstall, so that
    /// concurrent runs happen one after the other (the second then finds the entries in place).
    final class ProjectLock {
        private let fd: FileDescriptor

        private init(fd: FileDescriptor) { self.fd = fd }

        deinit {
            _ = flock(fd.rawValue, LOCK_UN)
            fd.close()
        }

        /// Waits up to 30 seconds for the lock.
        static func acquire(_ projectDirectory: String) throws(InstallerError) -> ProjectLock {
            let fd: FileDescriptor
            do {
                fd = try FileDescriptor.open(projectDirectory, O_RDONLY | O_DIRECTORY)
            } catch {
                throw .fileSystem(path: projectDirectory, action: "lock", error)
            }
            for _ in 0..<3000 {
                if flock(fd.rawValue, LOCK_EX | LOCK_NB) == 0 { return ProjectLock(fd: fd) }
                let error = Errno.current
                guard error == .wouldBlock || error == .interrupted else {
                    fd.close()
                    throw .fileSystem(path: projectDirectory, action: "lock", error)
                }
                Clock.sleep(milliseconds: 10)
            }
            fd.close()
            throw .busy(projectDirectory)
        }
    }

    /// The file to write for `path` (`<project>/.claude/settings.json`) and the owner to keep:
    /// the file itself, or the target of a symbolic link that stays inside the project's
    /// `.claude` folder (a link elsewhere is refused: writing through it would change a file
    /// outside the project, as root even its owner). A read-only file, or one that is not a
    /// regular file, is refused too.
    static func writableTarget(
        _ path: String, projectDirectory: String
    ) throws(InstallerError) -> (path: String, owner: (uid_t, gid_t)?) {
        var target = path
        if let link = try linkStatus(path), link.st_mode & S_IFMT == S_IFLNK {
            let claude = realPath(directory(of: path)) ?? directory(of: path)
            guard let resolved = realPath(path) else { throw .linkOutsideProject(path: path, target: "a missing file") }
            guard resolved.hasPrefix(claude + "/") else { throw .linkOutsideProject(path: path, target: resolved) }
            target = resolved
        }
        guard let info = try linkStatus(target) else { return (target, nil) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(target) }
        // The owner's write bit says read-only even to root, who may write anything.
        guard info.st_mode & S_IWUSR != 0, access(target, W_OK) == 0 else { throw .readOnly(target) }
        return (target, (info.st_uid, info.st_gid))
    }

    private static func linkStatus(_ path: String) throws(InstallerError) -> stat? {
        do {
            return try FileSystem.linkStatus(path)
        } catch {
            throw .fileSystem(path: path, action: "read", error)
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
