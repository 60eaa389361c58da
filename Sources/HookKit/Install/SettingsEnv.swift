import HookKitSystem

/// The `env` object of a Claude Code settings document: variables Claude Code applies to each
/// session, so every hook inherits them. Pure logic on ``JSONValue`` like ``SettingsMerge``:
/// every other key and variable keeps its value and its place.
package enum SettingsEnv {
    /// The hub variable the installer writes into `settings.json`.
    package static let hubVariable = "CLAUDE_OBSERVABILITY_HUB"
    /// The secret variable the installer writes into `settings.local.json`.
    package static let secretVariable = "CLAUDE_OBSERVABILITY_SECRET"

    /// What ``set(_:to:in:)`` did.
    package enum Change: Sendable, Equatable {
        /// The variable was not there.
        case added
        /// The variable had another value (or a value that was not a string).
        case replaced(previous: String?)
        /// The variable already had this value; nothing changed.
        case unchanged
    }

    /// The value of `name` in `settings`' `env`, when it is a string.
    package static func value(_ name: String, in settings: JSONValue) -> String? {
        settings["env"]?[name]?.stringValue
    }

    /// All string variables of `settings`' `env` (the last one wins for a name given twice).
    package static func variables(in settings: JSONValue) -> [String: String] {
        var result: [String: String] = [:]
        for member in settings["env"]?.objectValue ?? [] {
            if let text = member.value.stringValue { result[member.key] = text }
        }
        return result
    }

    /// Sets `env.name` to `value`: replaced in place when present, else appended to `env`
    /// (a new `env` object goes at the end of the document).
    package static func set(
        _ name: String, to value: String, in settings: JSONValue
    ) throws(SettingsMergeError) -> (settings: JSONValue, change: Change) {
        guard case .object(var root) = settings else { throw .rootNotAnObject(found: settings.kindName) }
        let envIndex = root.lastIndex { $0.key == "env" }
        var env: [JSONValue.Member] = []
        if let envIndex {
            guard case .object(let members) = root[envIndex].value else {
                throw .wrongType(path: "env", expected: "an object", found: root[envIndex].value.kindName)
            }
            env = members
        }
        let change: Change
        if let index = env.lastIndex(where: { $0.key == name }) {
            if env[index].value == .string(value) { return (settings, .unchanged) }
            change = .replaced(previous: env[index].value.stringValue)
            env[index].value = .string(value)
        } else {
            change = .added
            env.append(.init(name, .string(value)))
        }
        if let envIndex {
            root[envIndex].value = .object(env)
        } else {
            root.append(.init("env", .object(env)))
        }
        return (.object(root), change)
    }

    /// Removes `env.name` when `shouldRemove` says so for its current value, and `env` itself when
    /// that removal emptied it. Anything of another shape comes back unchanged.
    package static func remove(
        _ name: String, from settings: JSONValue, where shouldRemove: (String) -> Bool
    ) -> (settings: JSONValue, removed: Bool) {
        guard case .object(var root) = settings, let envIndex = root.lastIndex(where: { $0.key == "env" }),
            case .object(var env) = root[envIndex].value,
            let index = env.lastIndex(where: { $0.key == name }),
            let current = env[index].value.stringValue, shouldRemove(current)
        else { return (settings, false) }
        env.remove(at: index)
        if env.isEmpty {
            root.remove(at: envIndex)
        } else {
            root[envIndex].value = .object(env)
        }
        return (.object(root), true)
    }
}
