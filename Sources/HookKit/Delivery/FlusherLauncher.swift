import HookKitSystem

/// Starts a background flusher for a spool when none runs, fully detached from the hook.
///
/// Claude Code waits for the hook's stdout and stderr to close, so the flusher must hold none of
/// the hook's descriptors: it gets its own session (no controlling terminal, no signals from the
/// hook's process group), `/dev/null` as stdin, stdout and stderr, and nothing else. The hook does
/// not wait for it; when the hook exits, the system re-parents it.
package enum FlusherLauncher {
    /// Spawns `executable flush --background` unless a flusher already holds the spool's lock, or
    /// the last one gave up on every sink that is on (`hub`: the hub sink, `otlp`: the OTLP sink;
    /// see ``FlusherLifetime``) and none's next attempt is due yet (`executable` is evaluated only
    /// when spawning). Returns the new process id, or nil when none was started (or the spawn
    /// failed).
    ///
    /// `executable` must be `send-event`: there is deliberately no default, so that library code
    /// running inside someone else's program (``EventEmitter``) cannot start that program again.
    @discardableResult
    package static func ensureRunning(
        _ spool: Spool, hub: Bool = true, otlp: Bool = false, executable: @autoclosure () -> String?
    ) -> pid_t? {
        if FlusherLock.holder(spool) != nil { return nil }
        let now = Clock.unixMilliseconds()
        var due = false
        if hub {
            let state = SpoolState.load(spool)
            due = !(state.gaveUpAt != nil && (state.nextAttemptAt ?? 0) > now)
        }
        // The OTLP sink's small state is read only when the hub does not already need a flusher.
        if !due && otlp { due = !OTLPSinkState.load(spool).isWaitingAfterGivingUp(now: now) }
        guard due else { return nil }
        guard let executable = executable() else { return nil }  // looked up only when spawning
        return spawnDetached([executable, "flush", "--background"])
    }

    /// Spawns `arguments` in a new session with stdio on /dev/null and no other descriptor.
    package static func spawnDetached(_ arguments: [String]) -> pid_t? {
        try? ProcessSpawn.spawn(arguments, stdio: [.devNull, .devNull, .devNull], newSession: true).get()
    }
}
