import HookKitSystem

/// Who emitted an event: the session's main agent or one of its subagents.
///
/// Claude Code marks every event fired inside a subagent with the subagent's `agent_id` (and its
/// kind in `agent_type`); main-thread events carry no `agent_id` (`agent_type` only when the
/// session runs as an agent, `--agent`). The input has no parent id, so a subagent's parent is
/// recorded as the session's main agent, whose id is the session id. A subagent started by a
/// subagent (Claude Code 2.1 allows that) gets the main agent too; its direct parent is in the
/// payloads: the `PostToolUse` of the `Agent` call that started it carries the caller's
/// `agent_id` and the child's id in `tool_response.agentId`.
package struct Lineage: Sendable, Equatable {
    /// `agent_id`: the session id for the main agent, else the subagent's id.
    package var agentID: String
    /// `agent_type`: `main` or `subagent`.
    package var agentType: String
    /// `agent_name`: `main`, or the subagent's kind (for example `Explore`), or nil if unknown.
    package var agentName: String?
    /// `parent_agent_id`: nil for the main agent, the main agent's id for a subagent.
    package var parentAgentID: String?

    /// Derives the lineage from the session id and the input's `agent_id` / `agent_type`.
    package init(sessionID: String, inputAgentID: String?, inputAgentType: String?) {
        if let subagent = inputAgentID, !subagent.isEmpty, subagent != sessionID {
            agentID = subagent
            agentType = "subagent"
            agentName = inputAgentType.flatMap { $0.isEmpty ? nil : $0 }
            parentAgentID = sessionID
        } else {
            agentID = sessionID
            agentType = "main"
            agentName = "main"
            parentAgentID = nil
        }
    }
}
