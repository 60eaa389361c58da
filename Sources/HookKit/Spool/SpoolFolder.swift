import HookKitSystem

extension Spool {
    /// The file that records which hub the spool delivers to.
    package var hubRecordPath: String { directory + "/hub.url" }

    /// Makes the spool ready to be written: creates its folder (mode 0700) when missing, refuses
    /// one that is not a real folder of this user's or that group or others can write to, and,
    /// when ``hub`` is set, records the hub in a new spool or refuses a spool recorded for
    /// another hub. Nothing is written in a refused folder.
    package func prepare() throws(SpoolError) {
        try checkFolder(create: true)
        try bindHub(record: true)
    }

    /// Why the spool cannot be used, without creating or recording anything (for `status`), or
    /// nil when it can (a spool that does not exist yet can).
    package func problem() -> String? {
        do {
            guard try checkFolder(create: false) else { return nil }
            try bindHub(record: false)
            return nil
        } catch {
            return error.description
        }
    }

    @discardableResult
    private func checkFolder(create: Bool) throws(SpoolError) -> Bool {
        guard !directory.isEmpty else {
            throw SpoolError(
                operation: "use", path: "",
                cause: .refused(
                    "no spool folder: HOME is unset and the password database has no home folder for uid \(getuid()); "
                        + "set CLAUDE_OBSERVABILITY_SPOOL (or HOME); nothing recorded"))
        }
        do {
            return try FileSystem.checkPrivateDirectory(directory, create: create)
        } catch {
            if case .system = error { throw SpoolError(operation: "create", path: directory, check: error) }
            throw SpoolError(
                operation: "use", path: directory,
                cause: .refused(
                    "refusing the spool folder \(directory): \(error); it must be a folder of uid \(geteuid()) "
                        + "that only its owner can write to (chmod 700 it, or set CLAUDE_OBSERVABILITY_SPOOL)"))
        }
    }

    /// Checks (and when `record`, makes) the spool's record of its hub.
    private func bindHub(record: Bool) throws(SpoolError) {
        guard let hub else { return }
        let recorded = try recordedHub()
        if let recorded, recorded == hub { return }  // as recorded: the hook's usual case, no parsing
        let wanted = Self.canonicalHub(hub)
        if let recorded {
            guard Self.canonicalHub(recorded) == wanted else { throw mismatch(recorded: recorded, hub: hub) }
            return
        }
        guard record else { return }
        // Whole or not at all: written under a temporary name, then linked into place, which fails
        // when another process recorded a hub first.
        let fd: FileDescriptor
        let temporary: String
        do {
            (fd, temporary) = try FileSystem.createUniqueFile(prefix: hubRecordPath + ".tmp.")
        } catch {
            throw SpoolError(operation: "record the hub in", path: hubRecordPath, errno: error)
        }
        defer { FileSystem.remove(temporary) }
        do {
            try fd.writeAll(Array((wanted + "\n").utf8))
            fd.close()
        } catch {
            fd.close()
            throw SpoolError(operation: "record the hub in", path: hubRecordPath, errno: error)
        }
        if link(temporary, hubRecordPath) != 0 {
            let error = Errno.current
            guard error == .fileExists else {
                throw SpoolError(operation: "record the hub in", path: hubRecordPath, errno: error)
            }
            if let recorded = try recordedHub(), Self.canonicalHub(recorded) != wanted {
                throw mismatch(recorded: recorded, hub: hub)
            }
        }
    }

    /// The hub recorded in the spool, or nil when none is.
    package func recordedHub() throws(SpoolError) -> String? {
        do {
            guard var bytes = try FileSystem.privateContents(of: hubRecordPath, limit: 4096) else { return nil }
            // Bytes, not String.hasSuffix: the hook pays for every Unicode table it touches.
            while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            throw SpoolError(operation: "read", path: hubRecordPath, check: error)
        }
    }

    private func mismatch(recorded: String, hub: String) -> SpoolError {
        SpoolError(
            operation: "use", path: directory,
            cause: .refused(
                "the spool \(directory) belongs to the hub \(recorded), not to \(hub) (recorded in \(hubRecordPath)): "
                    + "give each hub its own CLAUDE_OBSERVABILITY_SPOOL, or remove that file once the queue is "
                    + "delivered to move the spool to \(hub); nothing recorded"))
    }

    /// The form in which a hub is recorded and compared: `scheme://host:port/path` with the host
    /// in lower case, so that `http://LOCALHOST:4000/` and `http://localhost:4000` are one hub.
    package static func canonicalHub(_ hub: String) -> String {
        guard var endpoint = HTTPEndpoint(url: hub) else { return hub }
        endpoint.host = endpoint.host.lowercased()
        return endpoint.description
    }
}
