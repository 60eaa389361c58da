import HookKitSystem

/// One Claude Code hook event that `send-event install` registers, and how.
package struct HookEventSpec: Sendable, Equatable {
    /// The event's name, the key under `hooks` in `settings.json` (for example `PreToolUse`).
    package var name: String
    /// Whether the event matches on `tool_name`: its group then gets `"matcher": ""` (match every
    /// tool), the documented shape for tool events. Other events get no `matcher` key, which
    /// matches everything too, and, unlike `""`, adds nothing to `FileChanged`'s watch list.
    package var takesMatcher: Bool
    /// How long Claude Code lets the hook run, in seconds (the entry's `timeout`).
    package var timeoutSeconds: Int

    /// Creates a spec.
    package init(_ name: String, takesMatcher: Bool = false, timeoutSeconds: Int = HookEvents.defaultTimeoutSeconds) {
        self.name = name
        self.takesMatcher = takesMatcher
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The hook events HookKit installs: the one list behind `send-event install`,
/// `send-event install --print-example` and `settings.example.json`.
package enum HookEvents {
    /// The hook command written into `settings.json`: Claude Code runs it with `sh -c`, so the
    /// quoted `"$CLAUDE_PROJECT_DIR"` keeps a project path with spaces in one word.
    package static let command = #""$CLAUDE_PROJECT_DIR"/.claude/hooks/send-event"#

    /// The timeout of every entry but SessionEnd's. `send-event` returns in milliseconds (it waits
    /// at most 1 s for its stdin to close); 10 s only bounds a stalled machine, far below Claude
    /// Code's default of 600 s.
    package static let defaultTimeoutSeconds = 10

    /// SessionEnd's timeout. Claude Code gives all SessionEnd hooks together a 1.5 s budget and
    /// raises it (up to 60 s) to the largest `timeout` declared there: 3 s leaves room for a slow
    /// start without holding up the end of a session for long.
    package static let sessionEndTimeoutSeconds = 3

    /// Every event that gets the hook, in Claude Code's lifecycle order (as of 2.1.240).
    package static let installed: [HookEventSpec] = [
        HookEventSpec("Setup"),
        HookEventSpec("SessionStart"),
        HookEventSpec("InstructionsLoaded"),
        HookEventSpec("UserPromptSubmit"),
        HookEventSpec("UserPromptExpansion"),
        HookEventSpec("PreToolUse", takesMatcher: true),
        HookEventSpec("PermissionRequest", takesMatcher: true),
        HookEventSpec("PermissionDenied", takesMatcher: true),
        HookEventSpec("PostToolUse", takesMatcher: true),
        HookEventSpec("PostToolUseFailure", takesMatcher: true),
        HookEventSpec("PostToolBatch"),
        HookEventSpec("Notification"),
        HookEventSpec("SubagentStart"),
        HookEventSpec("SubagentStop"),
        HookEventSpec("TaskCreated"),
        HookEventSpec("TaskCompleted"),
        HookEventSpec("TeammateIdle"),
        HookEventSpec("Stop"),
        HookEventSpec("StopFailure"),
        HookEventSpec("PreCompact"),
        HookEventSpec("PostCompact"),
        HookEventSpec("ConfigChange"),
        HookEventSpec("CwdChanged"),
        HookEventSpec("DirectoryAdded"),
        HookEventSpec("FileChanged"),
        HookEventSpec("WorktreeRemove"),
        HookEventSpec("Elicitation"),
        HookEventSpec("ElicitationResult"),
        HookEventSpec("SessionEnd", timeoutSeconds: sessionEndTimeoutSeconds),
    ]

    /// Events Claude Code has that deliberately get no hook, with the reason.
    package static let notInstalled: [(name: String, reason: String)] = [
        (
            "WorktreeCreate",
            "a WorktreeCreate command hook replaces git's worktree creation and must print the new "
                + "worktree's path; an observer that prints nothing would make creation fail"
        ),
        (
            "MessageDisplay",
            "runs for every batch of lines while a message streams to the screen and its output "
                + "replaces what is displayed; the message text reaches the hub with Stop anyway"
        ),
    ]
}
