import HookKitSystem

/// Where `send-event install` puts HookKit: one project (`PROJECT/.claude/`) or the user's
/// `~/.claude/` (`--user`, every project reports).
///
/// | | project | user |
/// |---|---|---|
/// | hook entries, hub URL | `PROJECT/.claude/settings.json` | `~/.claude/settings.json` |
/// | secret | `PROJECT/.claude/settings.local.json` (0600, git-ignored) | `~/.claude/settings.json` (made 0600) |
/// | binaries | `PROJECT/.claude/hooks/` | `~/.claude/hooks/` |
/// | command | `"$CLAUDE_PROJECT_DIR"/.claude/hooks/send-event` | `'/home/me/.claude/hooks/send-event'` |
///
/// Claude Code reads no `~/.claude/settings.local.json` (only the project has a local file), so a
/// user install keeps the secret in `~/.claude/settings.json` and makes that file readable by the
/// user only.
package struct InstallTarget: Sendable, Equatable {
    /// Which kind.
    package enum Kind: Sendable, Equatable {
        /// `PROJECT/.claude/`.
        case project
        /// `~/.claude/`.
        case user
    }

    /// Which kind.
    package var kind: Kind
    /// The folder holding `.claude`: the project, or the home folder.
    package var baseDirectory: String

    /// A project install into `directory`.
    package static func project(_ directory: String) -> InstallTarget {
        InstallTarget(kind: .project, baseDirectory: trimmed(directory))
    }

    /// A user install into `home`'s `.claude`.
    package static func user(home: String) -> InstallTarget {
        InstallTarget(kind: .user, baseDirectory: trimmed(home))
    }

    /// `BASE/.claude`.
    package var claudeDirectory: String { join(baseDirectory, ".claude") }
    /// `BASE/.claude/settings.json`: the hook entries and the hub URL.
    package var settingsPath: String { claudeDirectory + "/settings.json" }
    /// `PROJECT/.claude/settings.local.json`; `nil` for a user install (Claude Code has no
    /// user-level local file).
    package var localSettingsPath: String? { kind == .project ? claudeDirectory + "/settings.local.json" : nil }
    /// Where the secret goes: the local settings of a project, the user's settings otherwise.
    package var secretSettingsPath: String { localSettingsPath ?? settingsPath }
    /// `BASE/.claude/hooks`: `send-event` and `hookkit-tls`.
    package var hooksDirectory: String { claudeDirectory + "/hooks" }
    /// The installed `send-event`.
    package var binaryPath: String { hooksDirectory + "/send-event" }
    /// What the install added to `env` (see ``InstallRecord``).
    package var recordPath: String { hooksDirectory + "/" + InstallRecord.fileName }

    /// The hook command written into the settings. A project's names the binary through
    /// `$CLAUDE_PROJECT_DIR` (the settings file is shared, each clone has its own path); the
    /// user's is the absolute path, single-quoted for `sh -c`.
    package var command: String {
        switch kind {
        case .project: HookEvents.command
        case .user: Self.shellQuoted(binaryPath)
        }
    }

    /// `text` as one single-quoted `sh` word (`'` becomes `'\''`).
    package static func shellQuoted(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "'" { quoted += #"'\''"# } else { quoted.append(character) }
        }
        return quoted + "'"
    }

    /// Whether `command` looks like a HookKit hook command of either kind: with quotes taken out,
    /// it ends in `/.claude/hooks/send-event`. Used to spot the other kind of install, whose exact
    /// command may have been written for another home or path.
    package static func isHookKitCommand(_ command: String) -> Bool {
        let unquoted = command.filter { $0 != "\"" && $0 != "'" }
        return unquoted.hasSuffix("/.claude/hooks/send-event")
    }

    /// The events of `settings` that have an entry running a HookKit command (of any kind).
    package static func eventsWithHookKitEntries(_ settings: JSONValue) -> [String] {
        guard let hooks = settings["hooks"]?.objectValue else { return [] }
        return hooks.compactMap { member in
            let groups = member.value.arrayValue ?? []
            let found = groups.contains { group in
                (group["hooks"]?.arrayValue ?? []).contains { entry in
                    entry["command"]?.stringValue.map(isHookKitCommand) ?? false
                }
            }
            return found ? member.key : nil
        }
    }

    /// The HookKit commands found in `settings` (distinct, in order of appearance).
    package static func hookKitCommands(_ settings: JSONValue) -> [String] {
        var commands: [String] = []
        for member in settings["hooks"]?.objectValue ?? [] {
            for group in member.value.arrayValue ?? [] {
                for entry in group["hooks"]?.arrayValue ?? [] {
                    if let command = entry["command"]?.stringValue, isHookKitCommand(command),
                        !commands.contains(command)
                    {
                        commands.append(command)
                    }
                }
            }
        }
        return commands
    }

    /// Whether `path` has a control character (a trailing newline from a copied path would
    /// otherwise name a sibling folder once a shell strips it).
    package static func hasControlCharacter(_ path: String) -> Bool {
        path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    private static func trimmed(_ path: String) -> String {
        var text = path
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }

    private func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
