import HookKitSystem

/// A stable, anonymous identifier of this machine.
///
/// The raw machine id is a secret-ish value (systemd documents that it should not be exposed), so
/// the event carries the first 128 bits of SHA-256 over a HookKit-specific prefix and the raw id.
package enum MachineID {
    /// 32 lowercase hex characters, the same on every call on this machine.
    package static func current() -> String {
        hashed(raw: Platform.machineIdentifier())
    }

    /// The hashed form of a raw identifier.
    package static func hashed(raw: String) -> String {
        String(SHA256.hash(data: Array(("hookkit-machine-id:" + raw).utf8)).hexString.prefix(32))
    }
}
