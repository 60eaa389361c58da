import HookKitSystem

/// The file side of `send-event install`: reads a project's `.claude/settings.json`, lets
/// ``SettingsMerge`` add or remove HookKit's hook entries, and writes the result back.
///
/// - Invalid JSON (or JSON of another shape) is refused with ``InstallerError`` and the file is
///   left as it was. A missing, empty or all-whitespace file counts as `{}`.
/// - Nothing is written when nothing changes, so a second install leaves the file's bytes alone.
/// - Before an install changes an existing file, its bytes are copied to
///   `.claude/settings.json.hookkit-backup`; an existing backup is never overwritten, so it keeps
///   the settings as they were before HookKit first touched them. (An uninstall takes out only
///   what an install added, and makes no backup.)
/// - The new text replaces the file atomically (temporary file, then `rename`), keeps its
///   permissions (0644 for a new file), is indented by two spaces like Claude Code's own writes,
///   and keeps every key in its order. A symbolic link is written through, not replaced, when its
///   target lies inside the project's `.claude` folder; any other link is refused, and so is a
///   read-only file (see ``writableTarget(_:projectDirectory:)``). Concurrent runs on one project
///   take turns (``ProjectLock``).
package enum Installer {
    /// What one run did.
    package struct Report: Sendable, Equatable {
        /// The settings file.
        package var settingsPath: String
        /// Events that got our entry in this run.
        package var added: [String] = []
        /// Events that already had it.
        package var alreadyPresent: [String] = []
        /// Events our entries were removed from, one name per entry.
        package var removed: [String] = []
        /// Whether the settings file was written.
        package var wroteSettings = false
        /// Whether the settings file did not exist before.
        package var createdSettings = false
        /// The backup of the original settings, when there is one (made now or by an earlier run).
        package var backupPath: String?
        /// Whether this run made the backup.
        package var createdBackup = false
    }

    /// The suffix of the backup kept next to `settings.json`.
    package static let backupSuffix = ".hookkit-backup"

    /// `<project>/.claude/settings.json`.
    package static func settingsPath(projectDirectory: String) -> String {
        var project = projectDirectory
        while project.count > 1 && project.hasSuffix("/") { project.removeLast() }
        return project + "/.claude/settings.json"
    }

    /// The settings `send-event install` writes into a project that has none: the text of
    /// `settings.example.json`.
    package static var exampleSettings: String {
        // The merge of an empty object into a fixed list cannot meet a wrong shape.
        let settings = (try? SettingsMerge.install(into: .object([]))) ?? .object([])
        return String(decoding: render(settings), as: UTF8.self)
    }

    /// Adds HookKit's hook entries to `<projectDirectory>/.claude/settings.json`.
    package static func install(
        projectDirectory: String, command: String = HookEvents.command, events: [HookEventSpec] = HookEvents.installed
    ) throws(InstallerError) -> Report {
        try update(projectDirectory: projectDirectory, backup: true) { settings, report throws(InstallerError) in
            do throws(SettingsMergeError) {
                let outcome = try SettingsMerge.installReportingChanges(
                    into: settings, command: command, events: events)
                report.added = outcome.added
                report.alreadyPresent = outcome.alreadyPresent
                if outcome.added.isEmpty { return nil }  // not `? nil :`: that nil would be JSON null
                return outcome.settings
            } catch {
                throw .unexpectedShape(path: report.settingsPath, error)
            }
        }
    }

    /// Removes HookKit's hook entries from `<projectDirectory>/.claude/settings.json` (and only
    /// them); a project without the file has nothing to remove.
    package static func uninstall(
        projectDirectory: String, command: String = HookEvents.command
    ) throws(InstallerError) -> Report {
        try update(projectDirectory: projectDirectory, backup: false) { settings, report in
            let removal = SettingsMerge.uninstallReportingChanges(from: settings, command: command)
            report.removed = removal.removed
            if removal.removed.isEmpty { return nil }
            return removal.settings
        }
    }

    /// Reads, transforms (nil: no change) and writes back the settings, making the backup first
    /// when `backup` says so and there is none yet.
    static func update(
        projectDirectory: String, backup makeBackup: Bool,
        _ transform: (JSONValue, inout Report) throws(InstallerError) -> JSONValue?
    ) throws(InstallerError) -> Report {
        guard !containsControlCharacters(projectDirectory) else { throw .controlCharacters(projectDirectory) }
        guard let project = try? FileSystem.status(projectDirectory), (project.st_mode & S_IFMT) == S_IFDIR else {
            throw .projectNotFound(projectDirectory)
        }
        let lock = try ProjectLock.acquire(projectDirectory)
        defer { withExtendedLifetime(lock) {} }
        let path = settingsPath(projectDirectory: projectDirectory)
        var report = Report(settingsPath: path)
        let backup = path + backupSuffix
        let (target, owner) = try writableTarget(path, projectDirectory: projectDirectory)
        let original: [UInt8]?
        let mode: UInt16
        do {
            original = try FileSystem.contents(of: target)
            mode = try FileSystem.status(target).map { UInt16($0.st_mode & 0o7777) } ?? 0o644
        } catch {
            throw .fileSystem(path: target, action: "read", error)
        }
        let settings: JSONValue
        if let original, original.contains(where: { !isWhitespace($0) }) {
            do {
                settings = try JSONValue.parse(original)
            } catch {
                throw .invalidJSON(path: path, error)
            }
        } else {
            settings = .object([])
        }
        if (try? FileSystem.status(backup)) != nil { report.backupPath = backup }
        guard let updated = try transform(settings, &report) else { return report }

        if makeBackup, let original, report.backupPath == nil {
            do {
                try writeNew(backup, original, permissions: mode)
            } catch {
                throw .fileSystem(path: backup, action: "write the backup", error)
            }
            report.backupPath = backup
            report.createdBackup = true
        }
        do {
            if original == nil {
                try FileSystem.createDirectories(directory(of: path), permissions: 0o755)
            }
            try FileSystem.replaceFile(target, with: render(updated), permissions: mode, owner: owner)
            chmod(target, mode_t(mode))  // the mode asked for, whatever the umask took off
        } catch {
            throw .fileSystem(path: target, action: "write", error)
        }
        report.wroteSettings = true
        report.createdSettings = original == nil
        return report
    }

    /// The settings text: two-space indentation, keys in order, a final newline.
    static func render(_ settings: JSONValue) -> [UInt8] {
        Array((settings.serialized(pretty: true) + "\n").utf8)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    /// Creates `path` with `bytes`; fails when it exists.
    private static func writeNew(_ path: String, _ bytes: [UInt8], permissions: UInt16) throws(Errno) {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, permissions: permissions)
        defer { fd.close() }
        try fd.writeAll(bytes)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

/// Why `send-event install` changed nothing.
package enum InstallerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The project folder does not exist (or is not a folder).
    case projectNotFound(String)
    /// The settings file is not valid JSON.
    case invalidJSON(path: String, JSONSyntaxError)
    /// The settings file is JSON of a shape HookKit will not guess at.
    case unexpectedShape(path: String, SettingsMergeError)
    /// A file could not be read or written.
    case fileSystem(path: String, action: String, Errno)
    /// The project path contains control characters.
    case controlCharacters(String)
    /// `settings.json` is a symbolic link to a file outside the project's `.claude` folder.
    case linkOutsideProject(path: String, target: String)
    /// The settings file is read-only.
    case readOnly(String)
    /// The settings path is not a regular file.
    case notRegularFile(String)
    /// Another install into the same project did not finish in time.
    case busy(String)

    /// One line saying what is wrong and that nothing was changed.
    package var description: String {
        switch self {
        case .projectNotFound(let path): "\(path) is not a folder; nothing changed"
        case .invalidJSON(let path, let error):
            "\(path) is not valid JSON (\(error)); fix it, then run this again; nothing changed"
        case .unexpectedShape(let path, let error): "\(path): \(error); nothing changed"
        case .fileSystem(let path, let action, let error): "cannot \(action) \(path): \(error); nothing changed"
        case .controlCharacters(let path):
            "the project path \(path.debugDescription) contains control characters; nothing changed"
        case .linkOutsideProject(let path, let target):
            "\(path) is a symbolic link to \(target), outside the project's .claude folder; "
                + "refusing to write through it; nothing changed"
        case .readOnly(let path):
            "\(path) is read-only; make it writable (chmod u+w) to install, or add the hooks by hand; nothing changed"
        case .notRegularFile(let path): "\(path) is not a regular file; nothing changed"
        case .busy(let path): "another install into \(path) did not finish within 30 s; nothing changed"
        }
    }
}
