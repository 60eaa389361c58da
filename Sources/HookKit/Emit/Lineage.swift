import HookKitSystem

/// Who emitted an event: the session's main agent or one of its subagents.
///
/// Claude Code marks every event fired inside a subagent with the subagent's `agent_id` (and its
/// kind in `agent_type`); main-thread events carry neither. The input has no parent id, because a
/// subagent's parent is always the session's main agent, whose id is the session id.
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
