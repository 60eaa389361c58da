import HookKitSystem

/// A span that has started and not yet been emitted: everything needed to emit it later, even
/// from another process (it is saved in ``OTLPSpanState``).
package struct OTLPOpenSpan: Sendable, Equatable {
    /// What the span stands for.
    package enum Role: String, Sendable {
        /// `invoke_agent claude-code`: a turn of the main agent.
        case turn
        /// `invoke_agent <agent_type>`: a subagent.
        case agent
        /// `execute_tool <tool_name>`: a tool call.
        case tool
    }

    /// What the span stands for.
    package var role: Role
    /// When it was opened relative to the others: the order in which open spans are visited,
    /// so that closing several at once always emits them in the same order.
    package var sequence: UInt64
    /// The session (and so the trace).
    package var sessionID: String
    /// The span's id.
    package var spanID: OTLPSpanID
    /// The parent, once known (nil for a turn, and for a subagent until its `Agent` call is known).
    package var parentSpanID: OTLPSpanID?
    /// Whether ``parentSpanID`` is final (subagents wait for the `Agent` call that launched them).
    package var parentResolved: Bool
    /// A subagent's parent when no `Agent` tool call claims it: its turn.
    package var fallbackParentSpanID: OTLPSpanID?
    /// The open span whose end ends this one too: a tool call's turn or subagent.
    package var enclosingSpanID: OTLPSpanID?
    /// The span's name.
    package var name: String
    /// Start, Unix milliseconds.
    package var startMilliseconds: Int64
    /// The latest event that belonged to the span or to a span it encloses, Unix milliseconds.
    package var lastActivityMilliseconds: Int64
    /// Set when the span has ended but waits for its parent (a subagent that ended before the
    /// `Agent` call that launched it returned).
    package var endMilliseconds: Int64?
    /// The attributes known so far.
    package var attributes: [OTLPAttribute]
    /// The status so far.
    package var statusCode: OTLPSpan.StatusCode
    /// The status message so far.
    package var statusMessage: String
    /// The resource: the `machine_id` of the event that opened it.
    package var machineID: String?
    /// The resource: the `source_app` of the event that opened it.
    package var sourceApp: String?
    /// A tool call's tool name.
    package var toolName: String?
    /// Whether a tool call was opened without a `tool_use_id` (then matched by name and order).
    package var keyedByEvent: Bool

    /// Creates an open span.
    package init(
        role: Role, sequence: UInt64, sessionID: String, spanID: OTLPSpanID, parentSpanID: OTLPSpanID?,
        parentResolved: Bool, fallbackParentSpanID: OTLPSpanID? = nil, enclosingSpanID: OTLPSpanID?, name: String,
        startMilliseconds: Int64, attributes: [OTLPAttribute], machineID: String?, sourceApp: String?,
        toolName: String? = nil, keyedByEvent: Bool = false
    ) {
        self.role = role
        self.sequence = sequence
        self.sessionID = sessionID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.parentResolved = parentResolved
        self.fallbackParentSpanID = fallbackParentSpanID
        self.enclosingSpanID = enclosingSpanID
        self.name = name
        self.startMilliseconds = startMilliseconds
        self.lastActivityMilliseconds = startMilliseconds
        self.endMilliseconds = nil
        self.attributes = attributes
        self.statusCode = .unset
        self.statusMessage = ""
        self.machineID = machineID
        self.sourceApp = sourceApp
        self.toolName = toolName
        self.keyedByEvent = keyedByEvent
    }

    /// Whether this is a call of the tool that launches subagents.
    package var isAgentToolCall: Bool {
        role == .tool && toolName.map(HookEventRecord.agentToolNames.contains) == true
    }
}
