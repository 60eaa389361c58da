/// The user this process runs as, from the password database.
package enum UserAccount {
    /// The home folder of user `uid` (by default the real user) in the password database, or nil
    /// when it has no entry there or no absolute home folder.
    ///
    /// On Linux this reads `/etc/passwd` itself: `send-event` is a static executable, and
    /// `getpwuid_r(3)` in a static glibc loads the system's NSS modules, which are built for the
    /// shared glibc and can crash the process (`libnss_systemd` does). Accounts that exist only
    /// in another source (LDAP, systemd-homed) have no entry here; such sessions set `HOME`.
    package static func homeDirectory(uid: uid_t = getuid()) -> String? {
        #if canImport(Darwin)
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var size = 1024
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
            if status == ERANGE {
                size *= 4
                continue
            }
            guard status == 0, result != nil, let directory = entry.pw_dir else { return nil }
            let home = String(cString: directory)
            return home.hasPrefix("/") ? home : nil
        }
        return nil
        #else
        guard let fd = try? FileDescriptor.open("/etc/passwd", O_RDONLY) else { return nil }
        defer { fd.close() }
        guard let bytes = try? fd.readAll(limit: 16 << 20) else { return nil }
        return homeDirectory(uid: uid, passwd: bytes)
        #endif
    }

    /// The home folder of `uid` in the text of a `passwd(5)` file
    /// (`name:password:uid:gid:gecos:home:shell` per line).
    package static func homeDirectory(uid: uid_t, passwd bytes: [UInt8]) -> String? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard fields.count >= 7, fields[0].first != UInt8(ascii: "+"), fields[0].first != UInt8(ascii: "-"),
                let id = UInt32(String(decoding: fields[2], as: UTF8.self)), id == uid
            else { continue }
            let home = String(decoding: fields[5], as: UTF8.self)
            return home.hasPrefix("/") ? home : nil
        }
        return nil
    }
}
