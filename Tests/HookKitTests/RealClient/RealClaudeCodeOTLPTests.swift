import Foundation
import HookKit
import Testing

/// The real Claude Code CLI with the OTLP sink on beside the hub (see ``RealClaudeCodeTests``):
/// the hooks it fires reach `scripts/otlp-receiver.py` as one log record each and as the span
/// tree of the session, subagent included.
@Suite(
    .serialized,
    .enabled("needs the real Claude Code CLI: set HOOKKIT_CLAUDE_CLI or run scripts/fetch-claude-cli.sh") {
        RealClaudeCode.shouldRun()
    })
struct RealClaudeCodeOTLPTests {
    @Test func aSessionWithABackgroundSubagentBecomesItsSpanTree() throws {
        guard PythonPeer.available(OTLPReceiverTests.peerModules, install: OTLPReceiverTests.install) else { return }
        let receiver = try OTLPReceiverProcess()
        let session = try RealSession(
            projectName: "real-otlp",
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
        session.extraHookEnvironment = ["CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://127.0.0.1:\(receiver.port)"]
        let run = try session.run("AGENT-SCENARIO: delegate a command", ["--allowedTools", "Bash", "Agent"])
        RealClaudeCodeTests().expectUnaffected(run, answer: "the subagent reported back")
        let sessionID = try #require(run.result?["session_id"]?.stringValue)
        let recorded = try session.recorded()
        let stored = try session.awaitDelivery(count: recorded.count)
        let ids = stored.compactMap { $0["event_uuid"]?.stringValue }
        #expect(ids.count == recorded.count, "the hub got every hook")
        #expect(
            waitUntil(timeoutSeconds: 60) { Set(OTLPDump.eventIDs(receiver.logs)) == Set(ids) },
            "the receiver got a log record for every hook")

        let records = try receiver.dump()
        let logs = OTLPDump.logs(records)
        #expect(OTLPDump.eventIDs(logs).count == ids.count, "each once")
        let spans = OTLPDump.spans(records)
        #expect(spans.map { OTLPDump.summary($0) }.sorted() == OTLPDump.expectedSpans(OTLPDump.eventLines(logs)))
        let trace = OTLPTraceID(sessionID: sessionID).hex
        #expect(spans.allSatisfy { $0["trace_id"] as? String == trace })

        // The tree: the subagent under the Agent call that started it, its Bash call under it;
        // a turn per prompt (the task notification is a prompt too).
        let agentCall = try #require(
            stored.first {
                $0["hook_event_type"]?.stringValue == "PostToolUse"
                    && $0["payload"]?["tool_use_id"]?.stringValue == "toolu_main_agent"
            })
        let subagent = try #require(agentCall["payload"]?["tool_response"]?["agentId"]?.stringValue)
        func span(_ kind: String, _ key: String) throws -> [String: Any] {
            let id = OTLPSpanID(sessionID: sessionID, kind: kind, key: key).hex
            return try #require(spans.first { $0["span_id"] as? String == id }, "no \(kind) \(key) span")
        }
        let call = try span("tool", "toolu_main_agent")
        let agent = try span("agent", subagent)
        let bash = try span("tool", "toolu_sub_bash")
        #expect(call["name"] as? String == "execute_tool Agent")
        #expect(agent["name"] as? String == "invoke_agent general-purpose")
        #expect(agent["parent_span_id"] as? String == call["span_id"] as? String)
        #expect(bash["name"] as? String == "execute_tool Bash")
        #expect(bash["parent_span_id"] as? String == agent["span_id"] as? String)
        #expect(spans.filter { $0["name"] as? String == "invoke_agent claude-code" }.count == 2)
        let status = try session.spoolStatus()
        #expect(status["otlp"]?["queued"]?.integerValue == 0 && status["otlp"]?["last_error"] == .null)
    }
}
