/// The user this process runs as, from the password database.
package enum UserAccount {
    /// The home folder of user `uid` (by default the real user) from the password database
    /// (`getpwuid_r(3)`), or nil when it has no entry or no absolute home folder.
    package static func homeDirectory(uid: uid_t = getuid()) -> String? {
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
    }
}
