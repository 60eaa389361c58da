import HookKitSystem

/// A stable, anonymous identifier of this machine.
///
/// The raw machine id is a secret-ish value (systemd documents that it should not be exposed), so
/// the event carries the first 128 bits of SHA-256 over a HookKit-specific prefix and the raw id.
package enum MachineID {
    /// 32 lowercase hex characters, the same on every call on this machine.
    package static func current() -> String {
        hashed(raw: rawIdentifier())
    }

    /// The hashed form of a raw identifier.
    package static func hashed(raw: String) -> String {
        String(SHA256.hash(data: Array(("hookkit-machine-id:" + raw).utf8)).hexString.prefix(32))
    }

    /// `/etc/machine-id` (or dbus's copy) on Linux, the host UUID on macOS, else the host name.
    static func rawIdentifier() -> String {
        #if canImport(Darwin)
        var uuid = [UInt8](repeating: 0, count: 16)
        var wait = timespec(tv_sec: 0, tv_nsec: 0)
        if gethostuuid(&uuid, &wait) == 0 { return uuid.map { String($0) }.joined(separator: ".") }
        #else
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let fd = try? FileDescriptor.open(path, O_RDONLY) {
                defer { fd.close() }
                if let bytes = try? fd.readAll(limit: 256) {
                    let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
                    if !text.isEmpty { return text }
                }
            }
        }
        #endif
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return "host:" + String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
