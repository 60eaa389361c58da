import Foundation
import HookKit
import Testing

/// The hook-event → span/log mapping, checked on the mapper's own output (no receiver).
@Suite struct OTLPMappingTests {
    typealias Span = OTLPSpan

    static func map(
        _ lines: [[UInt8]], options: OTLPMappingOptions = OTLPMappingOptions(), state: OTLPSpanState = OTLPSpanState()
    ) -> OTLPMapping {
        OTLPSpanMapper.map(lines, from: state, options: options)
    }

    static func attribute(_ span: Span, _ key: String) -> OTLPValue? {
        span.attributes.last { $0.key == key }?.value
    }

    static func byName(_ spans: [Span]) -> [String: [Span]] {
        Dictionary(grouping: spans, by: \.name)
    }

    @Test func mapsTheSyntheticSessionToTheDocumentedTree() throws {
        let mapping = Self.map(SyntheticSession.lines())
        #expect(mapping.skipped.isEmpty)
        #expect(mapping.state.openSpanCount == 0)
        let spans = mapping.batch.spans
        let trace = OTLPTraceID(sessionID: SyntheticSession.sessionID)
        #expect(spans.allSatisfy { $0.traceID == trace })
        #expect(Set(spans.map(\.spanID)).count == spans.count)
        #expect(
            spans.map(\.name).sorted() == [
                "execute_tool Agent", "execute_tool Agent", "execute_tool Bash", "execute_tool Bash",
                "execute_tool Bash", "execute_tool Grep", "execute_tool Read", "invoke_agent Explore",
                "invoke_agent Plan", "invoke_agent claude-code", "invoke_agent claude-code",
            ])
        let id = SyntheticSession.span
        let byID = Dictionary(uniqueKeysWithValues: spans.map { ($0.spanID, $0) })
        let turn1 = try #require(byID[id("turn", "p-1")])
        let turn2 = try #require(byID[id("turn", "p-2")])
        let bash1 = try #require(byID[id("tool", "toolu_01")])
        let bash2 = try #require(byID[id("tool", "toolu_02")])
        let agentCall1 = try #require(byID[id("tool", "toolu_03")])
        let explore = try #require(byID[id("agent", "a1f3c9e2b7d4")])
        let grep = try #require(byID[id("tool", "toolu_04")])
        let agentCall2 = try #require(byID[id("tool", "toolu_05")])
        let plan = try #require(byID[id("agent", "b2e4d8f1c6a3")])
        let read = try #require(byID[id("tool", "toolu_06")])
        let bash3 = try #require(byID[id("tool", "toolu_07")])

        // Parents: turns are roots; tools under their turn or subagent; subagents under the
        // Agent call that returned their agentId (async and foreground alike).
        #expect(turn1.parentSpanID == nil && turn2.parentSpanID == nil)
        #expect([bash1, bash2, agentCall1].allSatisfy { $0.parentSpanID == turn1.spanID })
        #expect(explore.parentSpanID == agentCall1.spanID)
        #expect(grep.parentSpanID == explore.spanID)
        #expect(plan.parentSpanID == agentCall2.spanID)
        #expect(read.parentSpanID == plan.spanID)
        #expect([agentCall2, bash3].allSatisfy { $0.parentSpanID == turn2.spanID })

        // Times: post minus pre, in nanoseconds; the async subagent outlives its turn.
        let ms: UInt64 = 1_000_000
        let start = UInt64(SyntheticSession.start) * ms
        #expect(turn1.startTimeUnixNano == start + 100 * ms && turn1.endTimeUnixNano == start + 800 * ms)
        #expect(bash1.endTimeUnixNano - bash1.startTimeUnixNano == 250 * ms)
        #expect(bash2.endTimeUnixNano - bash2.startTimeUnixNano == 120 * ms)
        #expect(explore.startTimeUnixNano == start + 710 * ms && explore.endTimeUnixNano == start + 1200 * ms)
        #expect(explore.endTimeUnixNano > turn1.endTimeUnixNano)
        #expect(plan.endTimeUnixNano == start + 1400 * ms)

        // Attributes and status.
        #expect(Self.attribute(bash1, "gen_ai.operation.name") == .string("execute_tool"))
        #expect(Self.attribute(bash1, "gen_ai.provider.name") == .string("anthropic"))
        #expect(Self.attribute(bash1, "gen_ai.conversation.id") == .string(SyntheticSession.sessionID))
        #expect(Self.attribute(bash1, "gen_ai.tool.name") == .string("Bash"))
        #expect(Self.attribute(bash1, "gen_ai.tool.call.id") == .string("toolu_01"))
        #expect(Self.attribute(bash1, "gen_ai.tool.type") == .string("function"))
        #expect(Self.attribute(bash1, "gen_ai.tool.call.arguments") == nil)  // content is opt-in
        #expect(bash1.statusCode == .unset && bash1.kind == .internal)
        #expect(bash2.statusCode == .error && Self.attribute(bash2, "error.type") == .string("tool_error"))
        #expect(Self.attribute(turn1, "gen_ai.operation.name") == .string("invoke_agent"))
        #expect(Self.attribute(turn1, "gen_ai.agent.name") == .string("claude-code"))
        #expect(Self.attribute(explore, "gen_ai.agent.id") == .string("a1f3c9e2b7d4"))
        #expect(Self.attribute(explore, "gen_ai.agent.name") == .string("Explore"))
        #expect(Self.attribute(grep, "gen_ai.agent.name") == .string("Explore"))
        // The Bash call that never returned ends with its turn, marked incomplete.
        #expect(Self.attribute(bash3, "hookkit.incomplete") == .bool(true))
        #expect(bash3.endTimeUnixNano == turn2.endTimeUnixNano)
        #expect(spans.filter { Self.attribute($0, "hookkit.incomplete") != nil }.count == 1)

        // Resource.
        let resource = mapping.batch.resources[bash1.resourceIndex]
        #expect(resource.contains(.string("service.name", "claude-code")))
        #expect(resource.contains(.string("host.id", "machine-7f3a")))
        #expect(resource.contains(.string("hookkit.source_app", "app")))
    }

    @Test func everyEventBecomesOneLogRecordOnItsSpan() throws {
        let lines = SyntheticSession.lines()
        let mapping = Self.map(lines)
        let logs = mapping.batch.logs
        #expect(logs.count == lines.count)
        let id = SyntheticSession.span
        let expectedSpans: [OTLPSpanID?] = [
            nil, id("turn", "p-1"), id("tool", "toolu_01"), id("tool", "toolu_01"), id("tool", "toolu_02"),
            id("tool", "toolu_02"), id("tool", "toolu_03"), id("agent", "a1f3c9e2b7d4"), id("tool", "toolu_03"),
            id("turn", "p-1"), id("tool", "toolu_04"), id("tool", "toolu_04"), id("agent", "a1f3c9e2b7d4"),
            id("turn", "p-2"), id("tool", "toolu_05"), id("agent", "b2e4d8f1c6a3"), id("tool", "toolu_06"),
            id("tool", "toolu_06"), id("agent", "b2e4d8f1c6a3"), id("tool", "toolu_05"), id("tool", "toolu_07"),
            id("turn", "p-2"), nil,
        ]
        #expect(logs.map(\.spanID) == expectedSpans)
        let trace = OTLPTraceID(sessionID: SyntheticSession.sessionID)
        for (log, line) in zip(logs, lines) {
            #expect(log.traceID == trace)
            #expect(log.body == .string(String(decoding: line, as: UTF8.self)))
            let event = try JSONScanner.scan(line)
            let type = try #require(event.string(forKey: "hook_event_type"))
            #expect(log.eventName == "hookkit.\(type)")
            #expect(log.attributes.first == .string("event.name", "hookkit.\(type)"))
            #expect(log.severity == (type == "PostToolUseFailure" ? .error : .info))
            let timestampText = try #require(event.text(forKey: "timestamp"))
            let timestamp = try #require(Int64(String(decoding: timestampText, as: UTF8.self)))
            #expect(log.timeUnixNano == UInt64(timestamp) * 1_000_000)
        }
    }

    @Test func recordsToolContentOnlyWhenAskedAndCapsIt() throws {
        let big = String(repeating: "é", count: 6000)  // 12,000 bytes of two-byte characters
        let events = [
            SyntheticSession.Event(
                offset: 0, input: #"{"session_id":"s","hook_event_name":"UserPromptSubmit","prompt_id":"p"}"#),
            SyntheticSession.Event(
                offset: 1,
                input:
                    #"{"session_id":"s","hook_event_name":"PreToolUse","prompt_id":"p","tool_name":"mcp__github__search","tool_use_id":"t","tool_input":{"q":"\#(big)"}}"#
            ),
            SyntheticSession.Event(
                offset: 2,
                input:
                    #"{"session_id":"s","hook_event_name":"PostToolUseFailure","prompt_id":"p","tool_name":"mcp__github__search","tool_use_id":"t","error":"rate limited","is_interrupt":true}"#
            ),
        ]
        var options = OTLPMappingOptions()
        options.recordsContent = true
        let spans = Self.map(SyntheticSession.lines(events), options: options).batch.spans
        let tool = try #require(spans.first { $0.name == "execute_tool mcp__github__search" })
        #expect(Self.attribute(tool, "gen_ai.tool.type") == .string("extension"))
        #expect(Self.attribute(tool, "error.type") == .string("interrupted"))
        #expect(tool.statusMessage == "rate limited")
        guard case .string(let arguments)? = Self.attribute(tool, "gen_ai.tool.call.arguments") else {
            Issue.record("no arguments")
            return
        }
        #expect(arguments.utf8.count <= 8192 && arguments.utf8.count > 8000)
        #expect(arguments.hasPrefix(#"{"q":"éé"#))
        #expect(!arguments.contains("\u{FFFD}"))  // cut between characters, never inside one
        // Without the option: neither arguments nor the error text.
        let plain = Self.map(SyntheticSession.lines(events)).batch.spans.first { $0.name.hasPrefix("execute_tool") }
        #expect(plain.map { Self.attribute($0, "gen_ai.tool.call.arguments") } == .some(nil))
        #expect(plain?.statusMessage == "interrupted")
    }

    @Test func fallsBackToEventOrderWithoutPromptID() throws {
        func event(_ offset: Int64, _ fields: String) -> SyntheticSession.Event {
            .init(offset: offset, input: #"{"session_id":"s2",\#(fields)}"#)
        }
        let events = [
            event(0, #""hook_event_name":"UserPromptSubmit""#),
            event(10, #""hook_event_name":"PreToolUse","tool_name":"Read","tool_use_id":"r1""#),
            event(20, #""hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"r1""#),
            event(30, #""hook_event_name":"Stop""#),
            // A turn without Stop (interrupted): the next prompt closes it, incomplete.
            event(40, #""hook_event_name":"UserPromptSubmit""#),
            event(50, #""hook_event_name":"PreToolUse","tool_name":"Bash""#),
            event(60, #""hook_event_name":"PostToolUse","tool_name":"Bash""#),
            event(70, #""hook_event_name":"UserPromptSubmit""#),
            event(80, #""hook_event_name":"Stop""#),
        ]
        let spans = Self.map(SyntheticSession.lines(events)).batch.spans
        let turns = spans.filter { $0.name == "invoke_agent claude-code" }
        #expect(turns.count == 3)
        #expect(Set(turns.map(\.spanID)).count == 3)
        let read = try #require(spans.first { $0.name == "execute_tool Read" })
        #expect(read.parentSpanID == turns[0].spanID)
        // Matched by name and order when the tool_use_id is missing.
        let bash = try #require(spans.first { $0.name == "execute_tool Bash" })
        #expect(bash.endTimeUnixNano - bash.startTimeUnixNano == 10_000_000)
        #expect(Self.attribute(bash, "hookkit.incomplete") == nil)
        #expect(bash.parentSpanID == turns[1].spanID)
        #expect(Self.attribute(turns[1], "hookkit.incomplete") == .bool(true))
        #expect(turns[1].endTimeUnixNano == (SyntheticSession.start + 60) * 1_000_000)  // its last activity
        #expect(Self.attribute(turns[2], "hookkit.incomplete") == nil)
    }

    /// Two foreground subagents run in parallel; each ends before its Agent call returns. One
    /// call names its subagent; the other fails without an agentId, so its subagent goes under
    /// the turn once no Agent call of the turn is left running.
    @Test func foregroundSubagentsWaitForTheAgentCallThatNamesThem() throws {
        func event(_ offset: Int64, _ fields: String) -> SyntheticSession.Event {
            .init(offset: offset, input: #"{"session_id":"s3","prompt_id":"p",\#(fields)}"#)
        }
        let events = [
            event(0, #""hook_event_name":"UserPromptSubmit""#),
            event(1, #""hook_event_name":"PreToolUse","tool_name":"Agent","tool_use_id":"t1""#),
            event(2, #""hook_event_name":"PreToolUse","tool_name":"Agent","tool_use_id":"t2""#),
            event(3, #""hook_event_name":"SubagentStart","agent_id":"A","agent_type":"Explore""#),
            event(4, #""hook_event_name":"SubagentStart","agent_id":"B","agent_type":"Plan""#),
            event(5, #""hook_event_name":"SubagentStop","agent_id":"B","agent_type":"Plan""#),
            event(6, #""hook_event_name":"SubagentStop","agent_id":"A","agent_type":"Explore""#),
            event(
                7,
                #""hook_event_name":"PostToolUse","tool_name":"Agent","tool_use_id":"t2","tool_response":{"agentId":"B"}"#
            ),
            event(8, #""hook_event_name":"PostToolUseFailure","tool_name":"Agent","tool_use_id":"t1","error":"x""#),
            event(9, #""hook_event_name":"Stop""#),
        ]
        let lines = SyntheticSession.lines(events)
        // After both stops, neither subagent is sent yet: each waits for its Agent call.
        let early = Self.map(Array(lines.prefix(7)))
        #expect(early.batch.spans.isEmpty)
        let spans = Self.map(lines).batch.spans
        let id = { (kind: String, key: String) in OTLPSpanID(sessionID: "s3", kind: kind, key: key) }
        let a = try #require(spans.first { $0.spanID == id("agent", "A") })
        let b = try #require(spans.first { $0.spanID == id("agent", "B") })
        #expect(b.parentSpanID == id("tool", "t2"))
        #expect(a.parentSpanID == id("turn", "p"))
        #expect(a.endTimeUnixNano - a.startTimeUnixNano == 3_000_000)
        #expect(spans.allSatisfy { Self.attribute($0, "hookkit.incomplete") == nil })
        #expect(spans.count == 5)
    }

    @Test func timesOutSpansThatNeverEndInEventTime() throws {
        var options = OTLPMappingOptions()
        options.spanTimeoutSeconds = 60
        let events = [
            SyntheticSession.Event(
                offset: 0, input: #"{"session_id":"a","hook_event_name":"UserPromptSubmit","prompt_id":"p"}"#),
            SyntheticSession.Event(
                offset: 5,
                input:
                    #"{"session_id":"a","hook_event_name":"PreToolUse","prompt_id":"p","tool_name":"Bash","tool_use_id":"x"}"#
            ),
            // Another session keeps the spool's clock moving.
            SyntheticSession.Event(offset: 30_000, input: #"{"session_id":"b","hook_event_name":"Notification"}"#),
            SyntheticSession.Event(offset: 70_000, input: #"{"session_id":"b","hook_event_name":"Notification"}"#),
        ]
        let lines = SyntheticSession.lines(events)
        let early = Self.map(Array(lines.prefix(3)), options: options)
        #expect(early.batch.spans.isEmpty)
        #expect(early.state.openSpanCount == 2)
        let late = Self.map(Array(lines.suffix(1)), options: options, state: early.state)
        #expect(late.batch.spans.map(\.name).sorted() == ["execute_tool Bash", "invoke_agent claude-code"])
        #expect(late.batch.spans.allSatisfy { Self.attribute($0, "hookkit.incomplete") == .bool(true) })
        #expect(late.state.openSpanCount == 0)
        // A late end finds no span: its log still carries the span id.
        let post = SyntheticSession.lines([
            .init(
                offset: 80_000,
                input: #"{"session_id":"a","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"x"}"#)
        ])
        let after = Self.map(post, options: options, state: late.state)
        #expect(after.batch.spans.isEmpty)
        #expect(after.batch.logs.first?.spanID == OTLPSpanID(sessionID: "a", kind: "tool", key: "x"))
        // An idle flusher expires by the wall clock.
        let idle = OTLPSpanMapper.expire(from: early.state, options: options, now: SyntheticSession.start + 65_005)
        #expect(idle.batch.spans.count == 2)
        #expect(
            OTLPSpanMapper.expire(from: early.state, options: options, now: SyntheticSession.start + 1000).batch.spans
                .isEmpty)
    }

    @Test func boundsOpenSpansByEvictingTheLeastRecentlyActive() throws {
        var options = OTLPMappingOptions()
        options.maxOpenSpans = 100
        let events = (0..<250).map { index in
            SyntheticSession.Event(
                offset: Int64(index),
                input:
                    #"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t\#(index)"}"#)
        }
        let mapping = Self.map(SyntheticSession.lines(events), options: options)
        #expect(mapping.state.openSpanCount <= 100)
        #expect(mapping.batch.spans.count == 250 - mapping.state.openSpanCount)
        #expect(mapping.batch.spans.allSatisfy { Self.attribute($0, "hookkit.incomplete") == .bool(true) })
        // The oldest went first.
        let evicted = Set(mapping.batch.spans.map(\.spanID))
        #expect(evicted.contains(OTLPSpanID(sessionID: "s", kind: "tool", key: "t0")))
        #expect(!evicted.contains(OTLPSpanID(sessionID: "s", kind: "tool", key: "t249")))
    }

    /// Mapping in one go, or batch by batch with the state saved to a file and loaded by a "new
    /// process" in between, gives the same bytes: the property that makes a resent batch yield
    /// identical spans.
    @Test(arguments: [1, 2, 3, 5, 7, 23])
    func isDeterministicAcrossRestartsFromSavedState(batchSize: Int) throws {
        let lines = SyntheticSession.lines()
        var options = OTLPMappingOptions()
        options.recordsContent = true
        let whole = Self.map(lines, options: options)

        let directory = try makeTemporaryDirectory("otlp-state")
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/otlp-state.json"
        var spans: [OTLPSpan] = []
        var logs: [OTLPLogRecord] = []
        var offset = 0
        while offset < lines.count {
            let state = try OTLPSpanState.load(from: path) ?? OTLPSpanState()
            let chunk = Array(lines[offset..<min(offset + batchSize, lines.count)])
            let mapping = Self.map(chunk, options: options, state: state)
            // Mapping the same batch again from the same state (a resend) is byte-identical.
            let again = Self.map(chunk, options: options, state: state)
            #expect(OTLPProtobufEncoder.traces(again.batch) == OTLPProtobufEncoder.traces(mapping.batch))
            #expect(OTLPJSONEncoder.logs(again.batch) == OTLPJSONEncoder.logs(mapping.batch))
            #expect(again.state.serialized() == mapping.state.serialized())
            var next = mapping.state
            next.cursor = .init(offset: Int64(offset + chunk.count), inode: 42)
            try next.save(to: path)
            #expect(try OTLPSpanState.load(from: path) == next)
            spans += mapping.batch.spans.map { span in
                var span = span
                span.resourceIndex = 0
                return span
            }
            logs += mapping.batch.logs.map { log in
                var log = log
                log.resourceIndex = 0
                return log
            }
            offset += chunk.count
        }
        #expect(spans == whole.batch.spans)
        #expect(logs == whole.batch.logs)
        let final = try #require(try OTLPSpanState.load(from: path))
        #expect(final.cursor == .init(offset: Int64(lines.count), inode: 42))
        #expect(final.openSpanCount == 0)
    }

    @Test func savesAndLoadsOpenSpansExactly() throws {
        var options = OTLPMappingOptions()
        options.recordsContent = true
        // Stop before the subagent and the Plan turn end: turns, tools and subagents are open.
        let lines = Array(SyntheticSession.lines().prefix(19))
        let mapping = Self.map(lines, options: options)
        #expect(mapping.state.openSpanCount >= 3)
        let reloaded = try OTLPSpanState(serialized: mapping.state.serialized())
        #expect(reloaded == mapping.state)
        #expect(reloaded.serialized() == mapping.state.serialized())
        // And the reloaded state maps the rest exactly as the original does.
        let rest = Array(SyntheticSession.lines().suffix(from: 19))
        let a = Self.map(rest, options: options, state: mapping.state)
        let b = Self.map(rest, options: options, state: reloaded)
        #expect(a.batch == b.batch)
    }

    @Test func refusesAStateFileItCannotTrust() throws {
        let directory = try makeTemporaryDirectory("otlp-state")
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/state.json"
        #expect(try OTLPSpanState.load(from: path) == nil)
        for text in ["{", #"{"version":99}"#, #"{"version":1,"clock":0}"#] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: OTLPSpanStateError.self) { try OTLPSpanState.load(from: path) }
        }
    }

    @Test func skipsLinesThatAreNotEvents() {
        let mapping = Self.map([Array("not json".utf8), Array(#"{"session_id":"s"}"#.utf8), Array("[1]".utf8)])
        #expect(mapping.skipped.map(\.line) == [0, 1, 2])
        #expect(mapping.batch.isEmpty)
    }

    /// The payload index the mapper uses agrees with the validating scanner on every member.
    @Test(arguments: [
        #"{}"#,
        #"{"a":1}"#,
        #"{"k\"ey":"v}]\\","n":-1.5e3,"t":true,"f":false,"z":null}"#,
        #"{ "nested" : { "x" : [1, {"y": "}"}, "[\"]"] }, "after": "é✓\u00e9", "dup": 1, "dup": 2 }"#,
        #"{"tool_response":{"status":"async_launched","agentId":"a1"},"e":[],"o":{}}"#,
    ])
    func indexesPayloadsLikeTheScanner(text: String) throws {
        let scanned = try JSONScanner.scan(Array(text.utf8))
        let index = try #require(MinifiedJSONObject(scanned.minified, range: 0..<scanned.minified.count))
        #expect(index.members.map(\.key) == scanned.members.map(\.key))
        #expect(index.members.map(\.range) == scanned.members.map(\.range))
        #expect(index.members.map(\.kind) == scanned.members.map(\.kind))
        for member in scanned.members where member.kind == .string {
            #expect(index.string(member.key) == scanned.string(forKey: member.key))
        }
        #expect(MinifiedJSONObject(Array("[1]".utf8), range: 0..<3) == nil)
    }

    @Test func derivesIdsFromStableIdsOnly() {
        let trace = OTLPTraceID(sessionID: "s")
        #expect(trace == OTLPTraceID(sessionID: "s"))
        #expect(trace != OTLPTraceID(sessionID: "t"))
        #expect(OTLPTraceID(hex: trace.hex) == trace)
        #expect(trace.hex.count == 32)
        let span = OTLPSpanID(sessionID: "s", kind: "tool", key: "x")
        #expect(span == OTLPSpanID(sessionID: "s", kind: "tool", key: "x"))
        #expect(span != OTLPSpanID(sessionID: "s", kind: "turn", key: "x"))
        #expect(span != OTLPSpanID(sessionID: "t", kind: "tool", key: "x"))
        // The parts are separated: moving a character from one part to the next changes the id.
        #expect(OTLPSpanID(sessionID: "ab", kind: "c", key: "d") != OTLPSpanID(sessionID: "a", kind: "bc", key: "d"))
        #expect(OTLPSpanID(hex: span.hex) == span)
        // Pinned: these bytes are a contract (a change would re-key every receiver's data).
        let digest = SHA256.hash(data: Array((OTLPIdentity.tracePrefix + "s").utf8))
        #expect(trace.bytes == Array(digest.bytes.prefix(16)))
    }
}
