import HookKitSystem

/// HookKit's version, sent as every event's `plugin_version`.
public enum HookKitVersion {
    /// The semantic version of this build.
    public static let current = "0.1.0"
}
