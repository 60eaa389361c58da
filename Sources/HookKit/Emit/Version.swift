import HookKitSystem

/// HookKit's version, sent as every event's `plugin_version`.
package enum HookKitVersion {
    /// The semantic version of this build.
    package static let current = "0.1.0"
}
