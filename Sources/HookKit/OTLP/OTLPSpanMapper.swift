import HookKitSystem

/// What mapping a batch of spool lines gave.
package struct OTLPMapping: Sendable {
    /// The spans that ended and one log record per event.
    package var batch: OTLPBatch
    /// The state after the batch: save it (with the new cursor) once the receiver has accepted
    /// the batch; until then keep the old one and map the same lines again from it.
    package var state: OTLPSpanState
    /// Lines that are not events (by position in the input) and why; they become nothing.
    package var skipped: [(line: Int, reason: String)]
}

/// Turns hook events into GenAI-convention spans and log records (see `docs/otlp.md`).
///
/// - One trace per session; span ids derived from stable ids (``OTLPTraceID/init(sessionID:)``,
///   ``OTLPSpanID/init(sessionID:kind:key:)``), so every run computes the same ids.
/// - Turn: `invoke_agent claude-code`, `UserPromptSubmit` to `Stop`/`StopFailure`, keyed by
///   `prompt_id` (else by the order of events).
/// - Subagent: `invoke_agent <agent_type>`, `SubagentStart` to `SubagentStop`, child of the
///   `execute_tool Agent` span whose `PostToolUse` returned its `agentId`, else of its turn;
///   it may outlive the turn.
/// - Tool call: `execute_tool <tool_name>`, `PreToolUse` to `PostToolUse`/`PostToolUseFailure`
///   by `tool_use_id`, child of the turn or of the subagent it ran in.
/// - Every event also becomes a log record carrying the trace and span id of its span.
/// - Spans that never end are emitted, marked `hookkit.incomplete`, when the span enclosing
///   them ends, when their session ends, after the span timeout (measured in event time), or
///   when more than ``OTLPMappingOptions/maxOpenSpans`` are open.
///
/// Deterministic: the same lines from the same state give byte-identical output, whatever the
/// process, machine or wall-clock time.
package struct OTLPSpanMapper {
    /// Maps `lines` (spool event lines, without newlines) starting from `state`.
    package static func map(
        _ lines: some Sequence<some Collection<UInt8>>, from state: OTLPSpanState, options: OTLPMappingOptions
    ) -> OTLPMapping {
        var mapper = OTLPSpanMapper(state: state, options: options)
        for (index, line) in lines.enumerated() {
            do {
                mapper.consume(try HookEventRecord(line: line))
            } catch {
                mapper.skipped.append((index, error.reason))
            }
        }
        return OTLPMapping(batch: mapper.batch, state: mapper.state, skipped: mapper.skipped)
    }

    /// Emits, as incomplete, the spans with no activity for the span timeout before `now` (Unix
    /// ms, wall clock): for a flusher with nothing left to read, whose event-time clock no
    /// longer moves. Deterministic for a given `now`.
    package static func expire(
        from state: OTLPSpanState, options: OTLPMappingOptions, now: Int64
    ) -> OTLPMapping {
        var mapper = OTLPSpanMapper(state: state, options: options)
        mapper.expire(reference: now)
        return OTLPMapping(batch: mapper.batch, state: mapper.state, skipped: [])
    }

    private var state: OTLPSpanState
    private let options: OTLPMappingOptions
    private var batch = OTLPBatch()
    private var skipped: [(line: Int, reason: String)] = []
    private var resourceIndices: [ResourceKey: Int] = [:]
    private var traceIDs: [String: OTLPTraceID] = [:]

    private struct ResourceKey: Hashable {
        var machineID: String?
        var sourceApp: String?
    }

    private init(state: OTLPSpanState, options: OTLPMappingOptions) {
        self.state = state
        self.options = options
    }

    private var timeoutMilliseconds: Int64 { max(1, options.spanTimeoutSeconds) * 1000 }

    // MARK: - Events

    private mutating func consume(_ event: HookEventRecord) {
        state.clockMilliseconds = max(state.clockMilliseconds, event.timestampMilliseconds)
        let spanID: OTLPSpanID?
        switch event.eventType {
        case "UserPromptSubmit" where !event.isInSubagent: spanID = startTurn(event)
        case "Stop" where !event.isInSubagent, "StopFailure" where !event.isInSubagent: spanID = endTurn(event)
        case "SubagentStart": spanID = startSubagent(event)
        case "SubagentStop": spanID = endSubagent(event)
        case "PreToolUse": spanID = startTool(event)
        case "PostToolUse", "PostToolUseFailure": spanID = endTool(event)
        default: spanID = owningSpan(event)
        }
        appendLog(event, spanID: spanID)
        if let spanID { state.touch(spanID, at: event.timestampMilliseconds) }
        if event.eventType == "SessionEnd" {
            for id in state.spans(inSession: event.sessionID) { closeUnfinished(id) }
        }
        checkTimeouts()
        enforceBounds()
    }

    /// The span an event that neither starts nor ends one belongs to.
    private func owningSpan(_ event: HookEventRecord) -> OTLPSpanID? {
        if let toolUseID = event.toolUseID {
            return OTLPSpanID(sessionID: event.sessionID, kind: "tool", key: toolUseID)
        }
        if let agent = event.subagentID { return OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: agent) }
        if event.eventType == "SessionStart" || event.eventType == "SessionEnd" { return nil }
        return turn(of: event)
    }

    /// The turn of a main-thread event: its `prompt_id`'s, else the session's latest open turn.
    private func turn(of event: HookEventRecord) -> OTLPSpanID? {
        if let prompt = event.promptID { return OTLPSpanID(sessionID: event.sessionID, kind: "turn", key: prompt) }
        return state.latestTurn(inSession: event.sessionID)
    }

    private mutating func startTurn(_ event: HookEventRecord) -> OTLPSpanID {
        let key = event.promptID ?? (event.eventUUID.isEmpty ? "at:\(event.timestampMilliseconds)" : event.eventUUID)
        let id = OTLPSpanID(sessionID: event.sessionID, kind: "turn", key: key)
        if state[id] != nil { return id }  // the same prompt again: one span
        // The main agent runs one turn at a time: a turn still open lost its Stop (interrupted).
        for other in state.turns(inSession: event.sessionID) { closeUnfinished(other) }
        var attributes = commonAttributes(operation: "invoke_agent", sessionID: event.sessionID)
        attributes.append(.string("gen_ai.agent.id", event.sessionID))
        attributes.append(.string("gen_ai.agent.name", Self.mainAgentName))
        if let prompt = event.promptID { attributes.append(.string("hookkit.prompt_id", prompt)) }
        state.insert(
            OTLPOpenSpan(
                role: .turn, sequence: state.takeSequence(), sessionID: event.sessionID, spanID: id, parentSpanID: nil,
                parentResolved: true, enclosingSpanID: nil, name: "invoke_agent \(Self.mainAgentName)",
                startMilliseconds: event.timestampMilliseconds, attributes: attributes, machineID: event.machineID,
                sourceApp: event.sourceApp))
        return id
    }

    private mutating func endTurn(_ event: HookEventRecord) -> OTLPSpanID? {
        guard let id = turn(of: event) else { return nil }
        guard let span = state[id], span.role == .turn else { return id }
        if event.eventType == "StopFailure" {
            let kind = event.error.flatMap { $0.isEmpty ? nil : String($0.prefix(64)) } ?? "stop_failure"
            state.update(id) {
                $0.attributes.append(.string("error.type", kind))
                $0.statusCode = .error
                $0.statusMessage = kind
            }
        }
        finish(id, at: event.timestampMilliseconds, incomplete: false)
        return id
    }

    private mutating func startSubagent(_ event: HookEventRecord) -> OTLPSpanID? {
        guard let agent = event.subagentID else { return owningSpan(event) }
        let id = OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: agent)
        if state[id] != nil { return id }
        let turn = turn(of: event)
        let link = state.agentLinks.removeValue(forKey: id)
        let name = event.subagentType ?? "subagent"
        var attributes = commonAttributes(operation: "invoke_agent", sessionID: event.sessionID)
        attributes.append(.string("gen_ai.agent.id", agent))
        attributes.append(.string("gen_ai.agent.name", name))
        state.insert(
            OTLPOpenSpan(
                role: .agent, sequence: state.takeSequence(), sessionID: event.sessionID, spanID: id,
                parentSpanID: link?.toolSpanID ?? turn, parentResolved: link != nil,
                fallbackParentSpanID: turn, enclosingSpanID: nil, name: "invoke_agent \(name)",
                startMilliseconds: event.timestampMilliseconds, attributes: attributes, machineID: event.machineID,
                sourceApp: event.sourceApp))
        return id
    }

    private mutating func endSubagent(_ event: HookEventRecord) -> OTLPSpanID? {
        guard let agent = event.subagentID else { return owningSpan(event) }
        let id = OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: agent)
        guard let span = state[id], span.role == .agent, span.endMilliseconds == nil else { return id }
        let end = max(event.timestampMilliseconds, span.startMilliseconds)
        if !span.parentResolved, let fallback = span.fallbackParentSpanID, state.hasOpenAgentCall(under: fallback) {
            // A foreground subagent ends before its Agent call returns with its agentId: wait
            // for it, having closed what ran inside.
            for child in state.spans(enclosedBy: id) { finish(child, at: end, incomplete: true) }
            state.update(id) {
                $0.endMilliseconds = end
                $0.lastActivityMilliseconds = max($0.lastActivityMilliseconds, end)
            }
        } else {
            finish(id, at: end, incomplete: false)
        }
        return id
    }

    private mutating func startTool(_ event: HookEventRecord) -> OTLPSpanID {
        let key =
            event.toolUseID
            ?? "event:\(event.eventUUID.isEmpty ? String(event.timestampMilliseconds) : event.eventUUID)"
        let id = OTLPSpanID(sessionID: event.sessionID, kind: "tool", key: key)
        if state[id] != nil { return id }
        let parent: OTLPSpanID?
        if let agent = event.subagentID {
            parent = OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: agent)
        } else {
            parent = turn(of: event)
        }
        let enclosing = parent.flatMap { state[$0] != nil && state[$0]?.endMilliseconds == nil ? $0 : nil }
        let toolName = event.toolName ?? "unknown"
        var attributes = commonAttributes(operation: "execute_tool", sessionID: event.sessionID)
        attributes.append(.string("gen_ai.tool.name", toolName))
        if let toolUseID = event.toolUseID { attributes.append(.string("gen_ai.tool.call.id", toolUseID)) }
        attributes.append(.string("gen_ai.tool.type", toolName.hasPrefix("mcp__") ? "extension" : "function"))
        attributes.append(.string("gen_ai.agent.id", event.subagentID ?? event.sessionID))
        attributes.append(
            .string("gen_ai.agent.name", event.isInSubagent ? event.subagentType ?? "subagent" : Self.mainAgentName))
        if options.recordsContent, let input = event.toolInput {
            attributes.append(.string("gen_ai.tool.call.arguments", Self.capped(input)))
        }
        state.insert(
            OTLPOpenSpan(
                role: .tool, sequence: state.takeSequence(), sessionID: event.sessionID, spanID: id,
                parentSpanID: parent,
                parentResolved: true, enclosingSpanID: enclosing, name: "execute_tool \(toolName)",
                startMilliseconds: event.timestampMilliseconds, attributes: attributes, machineID: event.machineID,
                sourceApp: event.sourceApp, toolName: toolName, keyedByEvent: event.toolUseID == nil))
        return id
    }

    private mutating func endTool(_ event: HookEventRecord) -> OTLPSpanID? {
        let id: OTLPSpanID?
        if let toolUseID = event.toolUseID {
            id = OTLPSpanID(sessionID: event.sessionID, kind: "tool", key: toolUseID)
        } else {
            // No tool_use_id: the oldest call of the same tool, in the same agent, opened without one.
            let context =
                event.subagentID.map { OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: $0) }
                ?? turn(of: event)
            id = state.spans(inSession: event.sessionID).first { candidate in
                guard let span = state[candidate] else { return false }
                return span.role == .tool && span.keyedByEvent && span.toolName == (event.toolName ?? "unknown")
                    && span.parentSpanID == context
            }
        }
        guard let id else { return nil }
        // An Agent call names the subagent it launched: that subagent's parent.
        if let launched = event.launchedAgentID {
            link(subagent: OTLPSpanID(sessionID: event.sessionID, kind: "agent", key: launched), to: id)
        }
        guard let span = state[id], span.role == .tool else { return id }
        state.update(id) { span in
            if event.eventType == "PostToolUseFailure" {
                let kind = event.isInterrupt ? "interrupted" : "tool_error"
                span.attributes.append(.string("error.type", kind))
                span.statusCode = .error
                span.statusMessage =
                    options.recordsContent ? event.error.map { Self.capped(Array($0.utf8)[...]) } ?? kind : kind
            }
            if options.recordsContent, let response = event.toolResponse {
                span.attributes.append(.string("gen_ai.tool.call.result", Self.capped(response)))
            }
        }
        finish(id, at: event.timestampMilliseconds, incomplete: false)
        return id
    }

    /// Makes the `Agent` call `tool` the parent of `subagent`, now if its span is open (emitting
    /// it when it already ended and only waited for this), else when it starts.
    private mutating func link(subagent: OTLPSpanID, to tool: OTLPSpanID) {
        guard let span = state[subagent], span.role == .agent else {
            state.agentLinks[subagent] = OTLPSpanState.AgentLink(toolSpanID: tool, sequence: state.takeSequence())
            return
        }
        guard !span.parentResolved else { return }
        state.update(subagent) {
            $0.parentSpanID = tool
            $0.parentResolved = true
        }
        if let end = span.endMilliseconds { finish(subagent, at: end, incomplete: false) }
    }

    // MARK: - Ending spans

    /// Emits span `id` ending at `end`, after the spans it encloses (incomplete, at the same time).
    private mutating func finish(_ id: OTLPSpanID, at end: Int64, incomplete: Bool) {
        for child in state.spans(enclosedBy: id) { finish(child, at: end, incomplete: true) }
        guard var span = state.remove(id) else { return }
        if span.role == .agent, !span.parentResolved {
            span.parentSpanID = span.fallbackParentSpanID
        }
        emit(span, end: max(end, span.startMilliseconds), incomplete: incomplete)
        if !incomplete, let enclosing = span.enclosingSpanID { state.touch(enclosing, at: end) }
        switch span.role {
        case .turn:
            // Subagents not claimed by an Agent call by the end of their turn are the turn's.
            for subagent in state.subagentsAwaitingParent(fallback: id) { settleOnFallback(subagent) }
        case .tool where span.isAgentToolCall:
            if let parent = span.parentSpanID, !state.hasOpenAgentCall(under: parent) {
                for subagent in state.subagentsAwaitingParent(fallback: parent) { settleOnFallback(subagent) }
            }
        default: break
        }
    }

    /// A subagent whose parent can no longer be an Agent call: the turn it is the child of. An
    /// ended one is emitted now; a running one keeps running with that parent.
    private mutating func settleOnFallback(_ id: OTLPSpanID) {
        guard let span = state[id] else { return }
        if let end = span.endMilliseconds {
            finish(id, at: end, incomplete: false)
        } else {
            state.update(id) {
                $0.parentSpanID = $0.fallbackParentSpanID
                $0.parentResolved = true
            }
        }
    }

    /// Emits a span that will not see its end event: incomplete, ending at its last activity
    /// (an ended subagent that only waited for its parent is complete).
    private mutating func closeUnfinished(_ id: OTLPSpanID) {
        guard let span = state[id] else { return }
        if let end = span.endMilliseconds {
            finish(id, at: end, incomplete: false)
        } else {
            finish(id, at: span.lastActivityMilliseconds, incomplete: true)
        }
    }

    private mutating func checkTimeouts() {
        let interval = min(timeoutMilliseconds, 60_000)
        let current = state.clockMilliseconds / interval
        guard current != state.timeoutCheckInterval else { return }
        state.timeoutCheckInterval = current
        expire(reference: state.clockMilliseconds)
    }

    private mutating func expire(reference: Int64) {
        for span in state.orderedSpans where span.lastActivityMilliseconds + timeoutMilliseconds <= reference {
            closeUnfinished(span.spanID)
        }
    }

    private mutating func enforceBounds() {
        let maximum = max(1, options.maxOpenSpans)
        if state.openSpanCount > maximum {
            // Evict a tenth at once, least recently active first, so eviction is not a scan per event.
            let target = maximum - maximum / 10
            let victims = state.orderedSpans.sorted {
                ($0.lastActivityMilliseconds, $0.sequence) < ($1.lastActivityMilliseconds, $1.sequence)
            }
            for victim in victims {
                if state.openSpanCount <= target { break }
                closeUnfinished(victim.spanID)
            }
        }
        let maximumLinks = max(100, maximum / 10)
        if state.agentLinks.count > maximumLinks {
            let oldest = state.agentLinks.sorted { $0.value.sequence < $1.value.sequence }
            for (key, _) in oldest.prefix(state.agentLinks.count - maximumLinks) { state.agentLinks[key] = nil }
        }
    }

    // MARK: - Output

    private mutating func emit(_ span: OTLPOpenSpan, end: Int64, incomplete: Bool) {
        var attributes = span.attributes
        if incomplete { attributes.append(.bool("hookkit.incomplete", true)) }
        batch.spans.append(
            OTLPSpan(
                traceID: traceID(span.sessionID), spanID: span.spanID, parentSpanID: span.parentSpanID, name: span.name,
                kind: .internal, startTimeUnixNano: Self.nanoseconds(span.startMilliseconds),
                endTimeUnixNano: Self.nanoseconds(end), attributes: attributes, statusCode: span.statusCode,
                statusMessage: span.statusMessage,
                resourceIndex: resourceIndex(ResourceKey(machineID: span.machineID, sourceApp: span.sourceApp))))
    }

    private mutating func appendLog(_ event: HookEventRecord, spanID: OTLPSpanID?) {
        var attributes: [OTLPAttribute] = [
            .string("event.name", "hookkit.\(event.eventType)"),
            .string("hookkit.event_uuid", event.eventUUID),
            .string("gen_ai.conversation.id", event.sessionID),
        ]
        if let agent = event.subagentID { attributes.append(.string("gen_ai.agent.id", agent)) }
        if let toolUseID = event.toolUseID { attributes.append(.string("gen_ai.tool.call.id", toolUseID)) }
        let failed = event.eventType == "PostToolUseFailure" || event.eventType == "StopFailure"
        let time = Self.nanoseconds(event.timestampMilliseconds)
        batch.logs.append(
            OTLPLogRecord(
                timeUnixNano: time, observedTimeUnixNano: time, severity: failed ? .error : .info,
                body: .string(String(decoding: event.line, as: UTF8.self)), attributes: attributes,
                eventName: "hookkit.\(event.eventType)", traceID: traceID(event.sessionID), spanID: spanID,
                resourceIndex: resourceIndex(ResourceKey(machineID: event.machineID, sourceApp: event.sourceApp))))
    }

    private func commonAttributes(operation: String, sessionID: String) -> [OTLPAttribute] {
        [
            .string("gen_ai.operation.name", operation),
            .string("gen_ai.provider.name", "anthropic"),
            .string("gen_ai.conversation.id", sessionID),
        ]
    }

    private mutating func traceID(_ sessionID: String) -> OTLPTraceID {
        if let known = traceIDs[sessionID] { return known }
        let id = OTLPTraceID(sessionID: sessionID)
        traceIDs[sessionID] = id
        return id
    }

    /// The resource of a machine and project: `service.name`, `host.id`, `hookkit.source_app`,
    /// then `OTEL_RESOURCE_ATTRIBUTES` (which win over the two detected ones).
    private mutating func resourceIndex(_ key: ResourceKey) -> Int {
        if let index = resourceIndices[key] { return index }
        var attributes: [OTLPAttribute] = [.string("service.name", options.serviceName)]
        if let machine = key.machineID { attributes.append(.string("host.id", machine)) }
        if let app = key.sourceApp { attributes.append(.string("hookkit.source_app", app)) }
        for attribute in options.resourceAttributes {
            if let existing = attributes.firstIndex(where: { $0.key == attribute.key }) {
                attributes[existing] = attribute
            } else {
                attributes.append(attribute)
            }
        }
        let index = batch.resources.count
        batch.resources.append(attributes)
        resourceIndices[key] = index
        return index
    }

    /// The main agent's name in span names and `gen_ai.agent.name`.
    package static let mainAgentName = "claude-code"

    static func nanoseconds(_ milliseconds: Int64) -> UInt64 { UInt64(max(0, milliseconds)) &* 1_000_000 }

    /// At most ``OTLPMappingOptions/contentCapBytes`` of `text`, cut at a character boundary.
    static func capped(_ text: ArraySlice<UInt8>) -> String {
        let cap = OTLPMappingOptions.contentCapBytes
        guard text.count > cap else { return String(decoding: text, as: UTF8.self) }
        var end = text.startIndex + cap
        // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
        while end > text.startIndex, text[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: text[text.startIndex..<end], as: UTF8.self)
    }
}
