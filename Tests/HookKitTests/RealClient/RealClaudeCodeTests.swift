import Foundation
import HookKit
import Testing

/// HookKit inside the real Claude Code CLI (the one bundled in the pinned claude-agent-sdk wheel,
/// see scripts/fetch-claude-cli.sh), against a scripted Messages API (scripts/fake-messages-api.py).
///
/// Each case installs HookKit into a temporary project with `install.sh`, adds a recorder hook
/// for the same events, runs `claude -p` against hook-hub, and checks that every hook Claude Code
/// fired is stored exactly once at the hub with the right type, lineage and source, and that
/// Claude Code's own result is untouched. Outside CI a missing CLI skips the suite (with the
/// reason on stderr); with CI=true it fails.
@Suite(
    .serialized,
    .enabled("needs the real Claude Code CLI: set HOOKKIT_CLAUDE_CLI or run scripts/fetch-claude-cli.sh") {
        RealClaudeCode.shouldRun()
    })
struct RealClaudeCodeTests {
    // MARK: Checks shared by the scenarios

    /// Claude Code finished normally with `text` as its answer and every hook command it ran
    /// (`--include-hook-events`) succeeded silently.
    func expectUnaffected(
        _ run: RealSession.Run, answer text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.status == 0, "claude exited \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        let result = run.result
        #expect(
            result?["subtype"]?.stringValue == "success", "\(run.stdout.suffix(2000))", sourceLocation: sourceLocation)
        #expect(result?["is_error"] == .bool(false), sourceLocation: sourceLocation)
        #expect(result?["result"]?.stringValue == text, sourceLocation: sourceLocation)
        #expect(!run.hookResponses.isEmpty, "no hook ran", sourceLocation: sourceLocation)
        for response in run.hookResponses {
            let ok =
                response["exit_code"]?.integerValue == 0 && response["outcome"]?.stringValue == "success"
                && response["stdout"]?.stringValue == "" && response["stderr"]?.stringValue == ""
            #expect(ok, "hook failed or printed: \(response.serialized())", sourceLocation: sourceLocation)
        }
    }

    /// Every hook input the recorder saw is stored exactly once at the hub (the payload as
    /// received), and every stored event has the right type, session, source and lineage.
    /// Returns the stored events in store order.
    @discardableResult
    func expectDelivered(
        _ session: RealSession, sessionID: String, comparePayloads: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [JSONValue] {
        let recorded = try session.recorded()
        #expect(!recorded.isEmpty, "the recorder hook saw nothing", sourceLocation: sourceLocation)
        let stored = try session.awaitDelivery(count: recorded.count)
        #expect(stored.count == recorded.count, sourceLocation: sourceLocation)
        let uuids = stored.compactMap { $0["event_uuid"]?.stringValue }
        #expect(
            Set(uuids).count == stored.count, "an event_uuid is missing or repeated", sourceLocation: sourceLocation)
        if comparePayloads {
            let fired = multiset(recorded.map { $0.serialized() })
            let kept = multiset(stored.map { $0["payload"]?.serialized() ?? "<no payload>" })
            let missing = fired.filter { kept[$0.key, default: 0] < $0.value }.keys.map { String($0.prefix(300)) }
            let extra = kept.filter { fired[$0.key, default: 0] < $0.value }.keys.map { String($0.prefix(300)) }
            #expect(missing.isEmpty, "fired but not stored (once): \(missing)", sourceLocation: sourceLocation)
            #expect(extra.isEmpty, "stored but not fired (once): \(extra)", sourceLocation: sourceLocation)
        } else {
            #expect(
                multiset(stored.compactMap { $0["payload"]?["hook_event_name"]?.stringValue })
                    == multiset(recorded.compactMap { $0["hook_event_name"]?.stringValue }),
                sourceLocation: sourceLocation)
        }
        for event in stored {
            let payload = event["payload"]
            let name = event["hook_event_type"]?.stringValue ?? "?"
            #expect(name == payload?["hook_event_name"]?.stringValue, sourceLocation: sourceLocation)
            #expect(event["source_app"]?.stringValue == session.projectName, "\(name)", sourceLocation: sourceLocation)
            #expect(event["session_id"]?.stringValue == sessionID, "\(name)", sourceLocation: sourceLocation)
            #expect(event["plugin_version"]?.stringValue == HookKitVersion.current, sourceLocation: sourceLocation)
            if let subagent = payload?["agent_id"]?.stringValue {
                #expect(event["agent_type"]?.stringValue == "subagent", "\(name)", sourceLocation: sourceLocation)
                #expect(event["agent_id"]?.stringValue == subagent, "\(name)", sourceLocation: sourceLocation)
                #expect(event["parent_agent_id"]?.stringValue == sessionID, "\(name)", sourceLocation: sourceLocation)
                #expect(
                    event["agent_name"]?.stringValue == payload?["agent_type"]?.stringValue, "\(name)",
                    sourceLocation: sourceLocation)
            } else {
                #expect(event["agent_type"]?.stringValue == "main", "\(name)", sourceLocation: sourceLocation)
                #expect(event["agent_id"]?.stringValue == sessionID, "\(name)", sourceLocation: sourceLocation)
                #expect(event["parent_agent_id"] == .null, "\(name)", sourceLocation: sourceLocation)
            }
        }
        return stored
    }

    func multiset<S: Sequence>(_ items: S) -> [S.Element: Int] where S.Element: Hashable {
        items.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// The stored events of `type`, optionally only those about tool call `toolUseID`.
    func events(_ stored: [JSONValue], _ type: String, toolUseID: String? = nil) -> [JSONValue] {
        stored.filter {
            $0["hook_event_type"]?.stringValue == type
                && (toolUseID == nil || $0["payload"]?["tool_use_id"]?.stringValue == toolUseID)
        }
    }

    /// Position in the store of the first event of `type` about `toolUseID`.
    func position(_ stored: [JSONValue], _ type: String, toolUseID: String) -> Int? {
        stored.firstIndex {
            $0["hook_event_type"]?.stringValue == type && $0["payload"]?["tool_use_id"]?.stringValue == toolUseID
        }
    }

    func sessionID(_ run: RealSession.Run) throws -> String {
        try #require(run.result?["session_id"]?.stringValue, "no result line: \(run.stdout.suffix(2000))")
    }

    // MARK: Scenarios

    @Test func aBashCall() throws {
        let session = try RealSession(
            projectName: "real-bash",
            scenario: """
                {"turns": [
                  {"latest_prompt_contains": "BASH-SCENARIO", "tool_results_after_last_prompt": 0,
                   "content": [{"type": "text", "text": "Running it."},
                               {"type": "tool_use", "id": "toolu_bash_1", "name": "Bash",
                                "input": {"command": "echo hookkit-real-bash", "description": "Print a marker"}}]},
                  {"latest_prompt_contains": "BASH-SCENARIO", "tool_results_after_last_prompt": 1,
                   "content": [{"type": "text", "text": "bash scenario done"}]}
                ]}
                """)
        defer { session.finish() }
        let run = try session.run("BASH-SCENARIO: print a marker", ["--allowedTools", "Bash"])
        expectUnaffected(run, answer: "bash scenario done")
        let id = try sessionID(run)
        let stored = try expectDelivered(session, sessionID: id)
        for type in [
            "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolBatch", "Stop", "SessionEnd",
        ] {
            #expect(events(stored, type).count == 1, "\(type)")
        }
        let post = try #require(events(stored, "PostToolUse", toolUseID: "toolu_bash_1").first)
        #expect(post["payload"]?["tool_response"]?["stdout"]?.stringValue == "hookkit-real-bash")
        let pre = try #require(position(stored, "PreToolUse", toolUseID: "toolu_bash_1"))
        let after = try #require(position(stored, "PostToolUse", toolUseID: "toolu_bash_1"))
        #expect(pre < after, "the hub keeps the order the hooks fired in")
        // One user turn: every event after the prompt carries its prompt_id (kept as received).
        let promptID = try #require(events(stored, "UserPromptSubmit").first?["payload"]?["prompt_id"]?.stringValue)
        for event in stored where event["hook_event_type"]?.stringValue != "SessionStart" {
            #expect(
                event["payload"]?["prompt_id"]?.stringValue == promptID,
                "\(event["hook_event_type"]?.stringValue ?? "?")")
        }
    }

    @Test func aFailingToolCall() throws {
        let session = try RealSession(
            projectName: "real-failure",
            scenario: """
                {"turns": [
                  {"latest_prompt_contains": "FAILURE-SCENARIO", "tool_results_after_last_prompt": 0,
                   "content": [{"type": "tool_use", "id": "toolu_fail_1", "name": "Bash",
                                "input": {"command": "echo about-to-fail >&2; exit 3", "description": "Fail on purpose"}}]},
                  {"latest_prompt_contains": "FAILURE-SCENARIO", "tool_results_after_last_prompt": 1,
                   "content": [{"type": "text", "text": "the command failed as planned"}]}
                ]}
                """)
        defer { session.finish() }
        let run = try session.run("FAILURE-SCENARIO: run a failing command", ["--allowedTools", "Bash"])
        expectUnaffected(run, answer: "the command failed as planned")
        let stored = try expectDelivered(session, sessionID: try sessionID(run))
        let failure = try #require(events(stored, "PostToolUseFailure", toolUseID: "toolu_fail_1").first)
        #expect(failure["payload"]?["error"]?.stringValue?.contains("Exit code 3") == true)
        #expect(events(stored, "PostToolUse", toolUseID: "toolu_fail_1").isEmpty)
        #expect(events(stored, "PreToolUse", toolUseID: "toolu_fail_1").count == 1)
    }

    @Test func aSubagentThroughTheAgentToolRunsItsOwnTool() throws {
        // The Agent tool starts the subagent in the background: its tool call and SubagentStop may
        // come before or after the main turn's Stop, and its result returns as a new prompt (a
        // <task-notification>). Subagent turns come first: they are told apart by their prompt.
        let session = try RealSession(
            projectName: "real-subagent",
            scenario: """
                {"turns": [
                  {"first_user_contains": "SUBAGENT-TASK", "tool_results": 0,
                   "content": [{"type": "tool_use", "id": "toolu_sub_bash", "name": "Bash",
                                "input": {"command": "echo from-the-subagent", "description": "Subagent marker"}}]},
                  {"first_user_contains": "SUBAGENT-TASK", "tool_results": 1,
                   "content": [{"type": "text", "text": "subagent finished"}]},
                  {"first_user_contains": "AGENT-SCENARIO", "last_user_contains": "<task-notification>",
                   "content": [{"type": "text", "text": "the subagent reported back"}]},
                  {"first_user_contains": "AGENT-SCENARIO", "tool_results": 0,
                   "content": [{"type": "tool_use", "id": "toolu_main_agent", "name": "Agent",
                                "input": {"description": "Echo in a subagent", "prompt": "SUBAGENT-TASK: print a marker",
                                          "subagent_type": "general-purpose"}}]},
                  {"first_user_contains": "AGENT-SCENARIO", "tool_results": 1,
                   "content": [{"type": "text", "text": "waiting for the subagent"}]}
                ]}
                """)
        defer { session.finish() }
        let run = try session.run("AGENT-SCENARIO: delegate a command", ["--allowedTools", "Bash", "Agent"])
        expectUnaffected(run, answer: "the subagent reported back")
        let id = try sessionID(run)
        let stored = try expectDelivered(session, sessionID: id)

        // The Agent call is the main agent's; its response names the subagent it started.
        let agentCall = try #require(events(stored, "PostToolUse", toolUseID: "toolu_main_agent").first)
        #expect(agentCall["agent_type"]?.stringValue == "main")
        let subagentID = try #require(agentCall["payload"]?["tool_response"]?["agentId"]?.stringValue)
        #expect(subagentID != id)

        // Everything the subagent fired is stored under it, with the main agent as its parent.
        let subagentEvents = stored.filter { $0["agent_id"]?.stringValue == subagentID }
        #expect(
            Set(subagentEvents.compactMap { $0["hook_event_type"]?.stringValue })
                == ["SubagentStart", "PreToolUse", "PostToolUse", "PostToolBatch", "SubagentStop"])
        for event in subagentEvents {
            #expect(event["agent_type"]?.stringValue == "subagent")
            #expect(event["parent_agent_id"]?.stringValue == id)
            #expect(event["agent_name"]?.stringValue == "general-purpose")
        }
        let subBash = try #require(events(stored, "PostToolUse", toolUseID: "toolu_sub_bash").first)
        #expect(subBash["agent_id"]?.stringValue == subagentID)
        #expect(subBash["payload"]?["tool_response"]?["stdout"]?.stringValue == "from-the-subagent")
        let stop = try #require(events(stored, "SubagentStop").first)
        #expect(stop["payload"]?["agent_transcript_path"]?.stringValue?.hasSuffix("agent-\(subagentID).jsonl") == true)
        #expect(stop["payload"]?["last_assistant_message"]?.stringValue == "subagent finished")

        // The result came back as a main-agent prompt naming the task and the Agent tool call.
        let prompts = events(stored, "UserPromptSubmit")
        let notification = try #require(
            prompts.first { $0["payload"]?["prompt"]?.stringValue?.contains("<task-notification>") == true })
        #expect(notification["agent_type"]?.stringValue == "main")
        let text = notification["payload"]?["prompt"]?.stringValue ?? ""
        #expect(
            text.contains("<task-id>\(subagentID)</task-id>")
                && text.contains("<tool-use-id>toolu_main_agent</tool-use-id>"))
        #expect(
            Set(prompts.compactMap { $0["payload"]?["prompt_id"]?.stringValue }).count == 2, "one prompt_id per turn")
    }

    @Test func aSubagentStartedByASubagentIsTiedToItsParentThroughTheAgentCall() throws {
        // Claude Code gives a subagent's events no parent id. HookKit's parent_agent_id names the
        // main agent for every subagent; the direct parent of a nested one is in the payloads: the
        // Agent call that started it was fired inside the parent (agent_id) and its PostToolUse
        // names the child (tool_response.agentId). The inner Agent call runs in the foreground.
        let session = try RealSession(
            projectName: "real-nested",
            scenario: """
                {"turns": [
                  {"first_user_contains": "INNER-TASK", "tool_results": 0,
                   "content": [{"type": "tool_use", "id": "toolu_inner_bash", "name": "Bash",
                                "input": {"command": "echo from-the-inner-subagent", "description": "Inner marker"}}]},
                  {"first_user_contains": "INNER-TASK", "tool_results": 1,
                   "content": [{"type": "text", "text": "inner finished"}]},
                  {"first_user_contains": "OUTER-TASK", "tool_results": 0,
                   "content": [{"type": "tool_use", "id": "toolu_outer_agent", "name": "Agent",
                                "input": {"description": "Inner agent", "prompt": "INNER-TASK: print a marker",
                                          "subagent_type": "general-purpose", "run_in_background": false}}]},
                  {"first_user_contains": "OUTER-TASK", "tool_results": 1,
                   "content": [{"type": "text", "text": "outer finished"}]},
                  {"first_user_contains": "NESTED-SCENARIO", "last_user_contains": "<task-notification>",
                   "content": [{"type": "text", "text": "the nested agents reported back"}]},
                  {"first_user_contains": "NESTED-SCENARIO", "tool_results": 0,
                   "content": [{"type": "tool_use", "id": "toolu_main_agent", "name": "Agent",
                                "input": {"description": "Outer agent", "prompt": "OUTER-TASK: delegate further",
                                          "subagent_type": "general-purpose"}}]},
                  {"first_user_contains": "NESTED-SCENARIO", "tool_results": 1,
                   "content": [{"type": "text", "text": "waiting for the subagent"}]}
                ]}
                """)
        defer { session.finish() }
        let run = try session.run("NESTED-SCENARIO: delegate twice", ["--allowedTools", "Bash", "Agent"])
        expectUnaffected(run, answer: "the nested agents reported back")
        let id = try sessionID(run)
        let stored = try expectDelivered(session, sessionID: id)

        let mainCall = try #require(events(stored, "PostToolUse", toolUseID: "toolu_main_agent").first)
        #expect(mainCall["agent_type"]?.stringValue == "main")
        let outer = try #require(mainCall["payload"]?["tool_response"]?["agentId"]?.stringValue)
        let outerCall = try #require(events(stored, "PostToolUse", toolUseID: "toolu_outer_agent").first)
        #expect(outerCall["agent_id"]?.stringValue == outer, "the inner Agent call is the outer subagent's")
        #expect(outerCall["payload"]?["tool_response"]?["status"]?.stringValue == "completed")
        let inner = try #require(outerCall["payload"]?["tool_response"]?["agentId"]?.stringValue)
        #expect(Set([id, outer, inner]).count == 3)

        let innerBash = try #require(events(stored, "PostToolUse", toolUseID: "toolu_inner_bash").first)
        #expect(innerBash["agent_id"]?.stringValue == inner)
        #expect(innerBash["agent_type"]?.stringValue == "subagent")
        #expect(innerBash["parent_agent_id"]?.stringValue == id, "parent_agent_id names the main agent")
        #expect(
            Set(events(stored, "SubagentStart").compactMap { $0["agent_id"]?.stringValue }) == [outer, inner])
        #expect(Set(events(stored, "SubagentStop").compactMap { $0["agent_id"]?.stringValue }) == [outer, inner])
    }

    @Test func twoTurnsInOneSession() throws {
        let session = try RealSession(
            projectName: "real-two-turns",
            scenario: """
                {"turns": [
                  {"latest_prompt_contains": "TURN-ONE", "tool_results_after_last_prompt": 0,
                   "content": [{"type": "tool_use", "id": "toolu_turn_1", "name": "Bash",
                                "input": {"command": "echo turn-one > notes.txt", "description": "Write a note"}}]},
                  {"latest_prompt_contains": "TURN-ONE", "tool_results_after_last_prompt": 1,
                   "content": [{"type": "text", "text": "first turn done"}]},
                  {"latest_prompt_contains": "TURN-TWO", "tool_results_after_last_prompt": 0,
                   "content": [{"type": "tool_use", "id": "toolu_turn_2", "name": "Bash",
                                "input": {"command": "cat notes.txt", "description": "Read the note"}}]},
                  {"latest_prompt_contains": "TURN-TWO", "tool_results_after_last_prompt": 1,
                   "content": [{"type": "text", "text": "second turn done"}]}
                ]}
                """)
        defer { session.finish() }
        let first = try session.run("TURN-ONE: write a note", ["--allowedTools", "Bash"])
        expectUnaffected(first, answer: "first turn done")
        let id = try sessionID(first)
        let second = try session.run("TURN-TWO: read it back", ["--resume", id, "--allowedTools", "Bash"])
        expectUnaffected(second, answer: "second turn done")
        #expect(try sessionID(second) == id)
        let stored = try expectDelivered(session, sessionID: id)

        let starts = events(stored, "SessionStart").compactMap { $0["payload"]?["source"]?.stringValue }
        #expect(starts == ["startup", "resume"])
        let prompts = events(stored, "UserPromptSubmit")
        #expect(
            prompts.compactMap { $0["payload"]?["prompt"]?.stringValue } == [
                "TURN-ONE: write a note", "TURN-TWO: read it back",
            ])
        let turnIDs = prompts.compactMap { $0["payload"]?["prompt_id"]?.stringValue }
        #expect(turnIDs.count == 2 && turnIDs[0] != turnIDs[1])
        // Each turn's tool call carries that turn's prompt_id.
        for (toolUseID, turn) in zip(["toolu_turn_1", "toolu_turn_2"], turnIDs) {
            let post = try #require(events(stored, "PostToolUse", toolUseID: toolUseID).first)
            #expect(post["payload"]?["prompt_id"]?.stringValue == turn)
        }
        #expect(
            events(stored, "PostToolUse", toolUseID: "toolu_turn_2").first?["payload"]?["tool_response"]?["stdout"]
                == .string("turn-one"))
        #expect(events(stored, "SessionEnd").count == 2)
    }

    @Test
    func aCredentialInThePromptNeverReachesTheHub() throws {
        // Shaped like an AWS access key id and a GitHub token; neither is real.
        let awsKeyID = "AKIAZ7Q3RTW5KXPLM2NB"
        let githubToken = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
        let session = try RealSession(
            projectName: "real-credential",
            scenario: """
                {"turns": [
                  {"latest_prompt_contains": "CREDENTIAL-SCENARIO", "tool_results_after_last_prompt": 0,
                   "content": [{"type": "tool_use", "id": "toolu_cred_1", "name": "Bash",
                                "input": {"command": "echo configured", "description": "Pretend to configure"}}]},
                  {"latest_prompt_contains": "CREDENTIAL-SCENARIO", "tool_results_after_last_prompt": 1,
                   "content": [{"type": "text", "text": "credential scenario done"}]}
                ]}
                """)
        defer { session.finish() }
        let run = try session.run(
            "CREDENTIAL-SCENARIO: deploy with key \(awsKeyID) and token \(githubToken)", ["--allowedTools", "Bash"])
        expectUnaffected(run, answer: "credential scenario done")
        let recorded = try session.recorded().map { $0.serialized() }.joined(separator: "\n")
        #expect(
            recorded.contains(awsKeyID) && recorded.contains(githubToken), "Claude Code passed the prompt to the hooks")
        try expectDelivered(session, sessionID: try sessionID(run), comparePayloads: false)
        let store = session.hub.storeLines.joined(separator: "\n")
        let leaked = [awsKeyID, githubToken].filter { store.contains($0) }
        #expect(leaked.isEmpty, "the hub stored \(leaked)")
        #expect(store.contains("[REDACTED:"), "no redaction marker in the hub's store")
    }
}
