import HookKitSystem

/// Why a spool line cannot be mapped to OpenTelemetry.
package struct HookEventRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the line.
    package var reason: String

    package var description: String { reason }
}

/// The fields of one spool event line (the hub contract's event, see the README) that the OTLP
/// mapping reads, with the few fields of its Claude Code `payload` that shape spans.
package struct HookEventRecord: Sendable {
    /// The event line, minified: the log record's body.
    package var line: [UInt8]
    /// `event_uuid`.
    package var eventUUID: String
    /// `session_id`.
    package var sessionID: String
    /// `machine_id` (hashed), the resource's `host.id`.
    package var machineID: String?
    /// `source_app`.
    package var sourceApp: String?
    /// `hook_event_type` (`PreToolUse`, `Stop`, ...).
    package var eventType: String
    /// `timestamp`, Unix milliseconds.
    package var timestampMilliseconds: Int64
    /// The subagent the event ran in (or is about: `SubagentStart`/`SubagentStop`); nil on the
    /// main thread.
    package var subagentID: String?
    /// That subagent's kind (`agent_type` of the payload, e.g. `Explore`).
    package var subagentType: String?
    /// `payload.prompt_id`: the turn the event belongs to.
    package var promptID: String?
    /// `payload.tool_name`.
    package var toolName: String?
    /// `payload.tool_use_id`.
    package var toolUseID: String?
    /// `payload.tool_input`, as JSON text.
    package var toolInput: ArraySlice<UInt8>?
    /// `payload.tool_response`, as JSON text.
    package var toolResponse: ArraySlice<UInt8>?
    /// `payload.tool_response.agentId`: the subagent an `Agent` tool call launched.
    package var launchedAgentID: String?
    /// `payload.error`.
    package var error: String?
    /// `payload.is_interrupt`.
    package var isInterrupt: Bool

    /// Reads an event line.
    package init(line: some Collection<UInt8>) throws(HookEventRecordError) {
        let bytes = Array(line)
        let event: ScannedJSON
        do {
            event = try JSONScanner.scan(bytes)
        } catch {
            throw HookEventRecordError(reason: "not valid JSON: \(error)")
        }
        guard event.rootKind == .object else { throw HookEventRecordError(reason: "not a JSON object") }
        guard let sessionID = event.string(forKey: "session_id"), !sessionID.isEmpty else {
            throw HookEventRecordError(reason: "no session_id")
        }
        guard let timestamp = event.text(forKey: "timestamp").flatMap(Self.integer) else {
            throw HookEventRecordError(reason: "no integer timestamp")
        }
        self.line = event.minified
        self.sessionID = sessionID
        timestampMilliseconds = timestamp
        eventUUID = event.string(forKey: "event_uuid") ?? ""
        machineID = event.string(forKey: "machine_id")
        sourceApp = event.string(forKey: "source_app")
        eventType = event.string(forKey: "hook_event_type") ?? "Unknown"

        // The payload is Claude Code's hook input (an object, unless the hook could not parse it),
        // validated by the scan above: index it without scanning it again.
        let payload = event.member("payload").flatMap { MinifiedJSONObject(event.minified, range: $0.range) }
        promptID = payload?.string("prompt_id").flatMap(Self.nonEmpty)
        toolName = payload?.string("tool_name").flatMap(Self.nonEmpty)
        toolUseID = payload?.string("tool_use_id").flatMap(Self.nonEmpty)
        toolInput = payload?.text("tool_input")
        toolResponse = payload?.text("tool_response")
        error = payload?.string("error")
        isInterrupt = payload?.text("is_interrupt")?.elementsEqual("true".utf8) == true

        // Lineage: the payload's agent_id names the subagent (the main thread has none, or the
        // session id); the envelope's agent_type says the same for lines written by other clients.
        let payloadAgent = payload?.string("agent_id").flatMap(Self.nonEmpty)
        if let agent = payloadAgent, agent != sessionID {
            subagentID = agent
        } else if event.string(forKey: "agent_type") == "subagent",
            let agent = event.string(forKey: "agent_id").flatMap(Self.nonEmpty), agent != sessionID
        {
            subagentID = agent
        }
        subagentType =
            payload?.string("agent_type").flatMap(Self.nonEmpty)
            ?? (subagentID != nil ? event.string(forKey: "agent_name").flatMap(Self.nonEmpty) : nil)

        // Only an Agent tool's response names a subagent: skip scanning the others.
        if let toolName, Self.agentToolNames.contains(toolName), let response = payload?.object("tool_response") {
            launchedAgentID = response.string("agentId").flatMap(Self.nonEmpty)
        }
    }

    /// The names under which Claude Code's tool that launches subagents has run (`Task` before
    /// it was renamed `Agent`).
    package static let agentToolNames: Set<String> = ["Agent", "Task"]

    /// Whether the event ran in a subagent.
    package var isInSubagent: Bool { subagentID != nil }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    private static func integer(_ text: ArraySlice<UInt8>) -> Int64? {
        Int64(String(decoding: text, as: UTF8.self))
    }
}
