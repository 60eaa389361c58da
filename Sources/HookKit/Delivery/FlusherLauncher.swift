import HookKitSystem

/// Starts a background flusher for a spool when none runs, fully detached from the hook.
///
/// Claude Code waits for the hook's stdout and stderr to close, so the flusher must hold none of
/// the hook's descriptors: it gets its own session (no controlling terminal, no signals from the
/// hook's process group), `/dev/null` as stdin, stdout and stderr, and nothing else. The hook does
/// not wait for it; when the hook exits, the system re-parents it.
package enum FlusherLauncher {
    /// Spawns `executable flush --background` unless a flusher already holds the spool's lock.
    /// Returns the new process id, or nil when one was running (or the spawn failed).
    ///
    /// `executable` must be `send-event`: there is deliberately no default, so that library code
    /// running inside someone else's program (``EventEmitter``) cannot start that program again.
    @discardableResult
    package static func ensureRunning(_ spool: Spool, executable: String) -> pid_t? {
        if FlusherLock.holder(spool) != nil { return nil }
        return spawnDetached([executable, "flush", "--background"])
    }

    /// Closes every descriptor above stderr, so that a flusher started by a hook holds nothing of
    /// Claude Code's (on Darwin the spawn already did this).
    package static func closeInheritedDescriptors() {
        #if !canImport(Darwin)
        guard let directory = opendir("/proc/self/fd") else { return }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd > 2 { descriptors.append(fd) }
        }
        let own = dirfd(directory)
        closedir(directory)
        for fd in descriptors where fd != own { close(fd) }
        #endif
    }

    /// The path of the running executable.
    package static func currentExecutable() -> String? {
        #if canImport(Darwin)
        var size: UInt32 = 4096
        var buffer = [CChar](repeating: 0, count: Int(size))
        guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #else
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #endif
    }

    /// Spawns `arguments` in a new session with stdio on /dev/null and no other descriptor.
    package static func spawnDetached(_ arguments: [String]) -> pid_t? {
        try? ProcessSpawn.spawn(arguments, stdio: [.devNull, .devNull, .devNull], newSession: true).get()
    }
}
