/// Starts a child process with exactly the descriptors and signal state it should have: the
/// background flusher and the TLS helper are both started this way.
package enum ProcessSpawn {
    /// Where one of the child's standard descriptors (0, 1, 2) comes from.
    package enum Source {
        /// `/dev/null`.
        case devNull
        /// A descriptor of ours (close-on-exec is fine: it is duplicated for the child).
        case descriptor(Int32)
    }

    /// Spawns `arguments` (the first is the executable's path) with `stdio` as descriptors 0, 1
    /// and 2, SIGPIPE back to its default, no blocked signals (a worker thread's mask would be
    /// inherited otherwise) and, when `newSession`, a session of its own. On Darwin nothing else is
    /// inherited; on Linux our own descriptors are close-on-exec (and a detached child closes the
    /// rest itself, see ``Platform/closeInheritedDescriptors()``).
    package static func spawn(_ arguments: [String], stdio: [Source], newSession: Bool) -> Result<pid_t, Errno> {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for (target, source) in zip(Int32(0)...2, stdio) {
            switch source {
            case .devNull:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let fd):
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        if newSession { flags |= Int32(POSIX_SPAWN_SETSID) }
        #else
        if newSession { flags |= 0x80 }  // POSIX_SPAWN_SETSID (glibc 2.26+), not imported into Swift
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #if canImport(Darwin)
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, _NSGetEnviron().pointee)
        #else
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        #endif
        return result == 0 ? .success(pid) : .failure(Errno(rawValue: result))
    }
}
