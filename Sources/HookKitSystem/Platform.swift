/// The calls whose form differs between Linux and macOS, so that no other file needs an `#if`.
package enum Platform {
    /// The user's state folder for HookKit below the home folder.
    package static var stateFolder: String {
        #if canImport(Darwin)
        "Library/Application Support/HookKit"
        #else
        ".local/state/hookkit"
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

    /// Closes every descriptor above stderr. On Darwin, `ProcessSpawn` already starts children
    /// with nothing else open, so there is nothing to do.
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

    /// A stable identifier of this machine: `/etc/machine-id` (or dbus's copy) on Linux, the host
    /// UUID on macOS, else the host name (prefixed `host:`).
    package static func machineIdentifier() -> String {
        #if canImport(Darwin)
        var uuid = [UInt8](repeating: 0, count: 16)
        var wait = timespec(tv_sec: 0, tv_nsec: 0)
        if gethostuuid(&uuid, &wait) == 0 { return uuid.map { String($0) }.joined(separator: ".") }
        #else
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let fd = try? FileDescriptor.open(path, O_RDONLY) {
                defer { fd.close() }
                if let bytes = try? fd.readAll(limit: 256) {
                    // Bytes, not Characters: Unicode properties would cost the hook's start-up.
                    let text = String(decoding: bytes.filter { $0 > 0x20 }, as: UTF8.self)
                    if !text.isEmpty { return text }
                }
            }
        }
        #endif
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return "host:" + String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A connected pair of Unix stream sockets, both close-on-exec (atomically where the system
    /// allows), writes to a closed peer failing with `EPIPE` rather than raising SIGPIPE on Darwin.
    /// Used where a pipe would do: `pipe2(O_CLOEXEC)` is not imported into Swift on Linux.
    package static func streamPair() throws(Errno) -> (Int32, Int32) {
        var pair: [Int32] = [-1, -1]
        #if canImport(Darwin)
        guard socketpair(AF_UNIX, SOCK_STREAM, 0, &pair) == 0 else { throw Errno.current }
        for fd in pair {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        #else
        let stream = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, stream, 0, &pair) == 0 else { throw Errno.current }
        #endif
        return (pair[0], pair[1])
    }
}
