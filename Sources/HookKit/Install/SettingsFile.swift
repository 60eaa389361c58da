import HookKitSystem

/// One small file the installer reads and rewrites besides `settings.json`
/// (`settings.local.json`, `.gitignore`, the install record), with its bytes before the change so
/// that a later failure can put it back.
struct SettingsFile {
    /// The path as named (a symbolic link is written through, like ``Installer`` does).
    let path: String
    /// The file written: `path` with symbolic links resolved when it exists.
    let target: String
    /// The bytes before any change; `nil` when the file did not exist.
    let original: [UInt8]?
    /// Its permission bits; `defaultMode` for a new file.
    let mode: UInt16

    /// Reads `path`.
    init(_ path: String, defaultMode: UInt16) throws(InstallOperationError) {
        self.path = path
        target = Self.resolved(path)
        do {
            original = try FileSystem.contents(of: target, limit: 16 << 20)
            mode = try FileSystem.status(target).map { UInt16($0.st_mode & 0o7777) } ?? defaultMode
        } catch {
            throw .fileSystem(path: path, action: "read", error)
        }
    }

    /// Whether the file exists.
    var exists: Bool { original != nil }

    /// The file as a settings document: a missing, empty or all-whitespace file is `{}`.
    func document() throws(InstallOperationError) -> JSONValue {
        guard let original, original.contains(where: { !Self.isWhitespace($0) }) else { return .object([]) }
        do {
            return try JSONValue.parse(original)
        } catch {
            throw .invalidJSON(path: path, error)
        }
    }

    /// Replaces the file atomically with `bytes`, mode `mode` whatever the umask, creating its
    /// folder (0755) when needed.
    func write(_ bytes: [UInt8], mode: UInt16) throws(InstallOperationError) {
        do throws(Errno) {
            let folder = Self.directory(of: target)
            if (try FileSystem.status(folder)) == nil { try FileSystem.createDirectories(folder, permissions: 0o755) }
            try FileSystem.replaceFile(target, with: bytes, permissions: mode)
            guard chmod(target, mode_t(mode)) == 0 else { throw Errno.current }
        } catch {
            throw .fileSystem(path: path, action: "write", error)
        }
    }

    /// Puts the file back as it was (removes it when it did not exist). Best effort: it runs
    /// after another failure, whose message is the one reported.
    func restore() {
        if let original {
            try? FileSystem.replaceFile(target, with: original, permissions: mode)
            chmod(target, mode_t(mode))
        } else {
            FileSystem.remove(target)
        }
    }

    /// A settings document as written: two-space indentation, a final newline.
    static func render(_ settings: JSONValue) -> [UInt8] { Installer.render(settings) }

    static func resolved(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
