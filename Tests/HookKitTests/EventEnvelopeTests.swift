import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct EventEnvelopeTests {
    func encode(
        _ input: String, environment: [String: String] = [:], sourceApp: String? = nil, eventType: String? = nil
    ) throws -> ScannedJSON {
        let configuration = Configuration(environment: environment.merging(["HOME": "/home/u"]) { a, _ in a })
        let envelope = EventEnvelope(
            configuration: configuration, machineID: "m1", sourceAppOverride: sourceApp, eventTypeOverride: eventType)
        let id = UUIDv7.generate()
        let line = envelope.encode(HookInput(bytes: Array(input.utf8)), id: id).line
        let event = try JSONScanner.scan(line)
        #expect(event.string(forKey: "event_uuid") == id.uuidString)
        #expect(event.raw("timestamp") == String(id.timestampMilliseconds))
        return event
    }

    @Test func carriesEveryFieldOfTheContract() throws {
        let event = try encode(
            #"{"session_id":"s1","hook_event_name":"PreToolUse","cwd":"/p/app","tool_name":"Bash"}"#,
            environment: ["CLAUDE_AGENT_VERSION": "2.1.240"])
        let keys = event.members.map(\.key)
        #expect(
            keys == [
                "event_uuid", "source_app", "machine_id", "session_id", "agent_id", "agent_type", "agent_name",
                "parent_agent_id", "agent_version", "plugin_version", "hook_event_type", "timestamp", "payload",
            ])
        #expect(event.string(forKey: "machine_id") == "m1")
        #expect(event.string(forKey: "agent_version") == "2.1.240")
        #expect(event.string(forKey: "plugin_version") == HookKitVersion.current)
        #expect(event.string(forKey: "hook_event_type") == "PreToolUse")
        #expect(event.member("timestamp")?.kind == .number)
        #expect(
            event.raw("payload")
                == #"{"session_id":"s1","hook_event_name":"PreToolUse","cwd":"/p/app","tool_name":"Bash"}"#)
    }

    @Test func mainAgentIsTheSession() throws {
        let event = try encode(#"{"session_id":"s1","hook_event_name":"Stop"}"#)
        #expect(event.string(forKey: "agent_id") == "s1")
        #expect(event.string(forKey: "agent_type") == "main")
        #expect(event.string(forKey: "agent_name") == "main")
        #expect(event.raw("parent_agent_id") == "null")
        #expect(event.raw("agent_version") == "null")
    }

    @Test func subagentIsRecognisedByItsAgentID() throws {
        let event = try encode(
            #"{"session_id":"s1","agent_id":"a7","agent_type":"Explore","hook_event_name":"PreToolUse"}"#)
        #expect(event.string(forKey: "agent_id") == "a7")
        #expect(event.string(forKey: "agent_type") == "subagent")
        #expect(event.string(forKey: "agent_name") == "Explore")
        #expect(event.string(forKey: "parent_agent_id") == "s1")
        #expect(event.string(forKey: "session_id") == "s1")
    }

    @Test func sourceAppComesFromFlagThenEnvironmentThenProjectThenCwd() throws {
        let input = #"{"session_id":"s","cwd":"/home/u/from-cwd/"}"#
        let all = ["CLAUDE_OBSERVABILITY_SOURCE_APP": "from-env", "CLAUDE_PROJECT_DIR": "/x/from-project"]
        #expect(try encode(input, environment: all, sourceApp: "from-flag").string(forKey: "source_app") == "from-flag")
        #expect(try encode(input, environment: all).string(forKey: "source_app") == "from-env")
        #expect(
            try encode(input, environment: ["CLAUDE_PROJECT_DIR": "/x/from-project"]).string(forKey: "source_app")
                == "from-project")
        #expect(try encode(input).string(forKey: "source_app") == "from-cwd")
        #expect(try encode(#"{"session_id":"s"}"#).string(forKey: "source_app") == "unknown")
    }

    @Test func eventTypeOverrideWinsAndUnknownNamesPassThrough() throws {
        let input = #"{"session_id":"s","hook_event_name":"SomeFutureEvent"}"#
        #expect(try encode(input).string(forKey: "hook_event_type") == "SomeFutureEvent")
        #expect(try encode(input, eventType: "Custom").string(forKey: "hook_event_type") == "Custom")
    }

    @Test func sessionFallsBackToTheEnvironmentAndTraceParentIsKept() throws {
        let event = try encode(
            #"{"hook_event_name":"Notification"}"#,
            environment: ["CLAUDE_CODE_SESSION_ID": "env-session", "TRACEPARENT": "00-abc-def-01"])
        #expect(event.string(forKey: "session_id") == "env-session")
        #expect(event.string(forKey: "trace_parent") == "00-abc-def-01")
    }

    @Test func oversizedPayloadIsShortenedWithItsOriginalSize() throws {
        let big = String(repeating: "é", count: 10_000)  // 20,000 bytes of two-byte characters
        let input = #"{"session_id":"s","tool_response":"\#(big)","small":"keep me"}"#
        let event = try encode(input, environment: ["CLAUDE_OBSERVABILITY_MAX_PAYLOAD": "4096"])
        #expect(event.raw("payload_truncated") == "true")
        #expect(event.raw("payload_original_bytes") == String(input.utf8.count))
        let payload = try event.payload()
        #expect(payload.minified.count <= 4096)
        #expect(payload.string(forKey: "small") == "keep me")
        let response = try #require(payload.string(forKey: "tool_response"))
        #expect(response.hasSuffix("…[truncated from 20000 bytes]"))
        #expect(response.hasPrefix("éé"))
    }

    @Test func machineIDIsStableAndNotTheRawID() {
        #expect(MachineID.current() == MachineID.current())
        #expect(MachineID.current().count == 32)
        #expect(MachineID.hashed(raw: "abc") != "abc")
        #expect(MachineID.hashed(raw: "abc") != MachineID.hashed(raw: "abd"))
    }
}

@Suite struct PayloadLimiterTests {
    func limit(_ text: String, _ bytes: Int) throws -> String? {
        let scanned = try JSONScanner.scan(Array(text.utf8))
        switch PayloadLimiter.limit(scanned.minified, to: bytes) {
        case .unchanged: return text
        case .shortened(let result):
            #expect(result.count <= bytes)
            _ = try JSONScanner.scan(result)  // still valid JSON
            return String(decoding: result, as: UTF8.self)
        case .structureTooLarge: return nil
        }
    }

    @Test func leavesSmallPayloadsAlone() throws {
        #expect(try limit(#"{"a":"b"}"#, 100) == #"{"a":"b"}"#)
    }

    @Test func shortensTheLongestStringsFirstAndKeepsKeys() throws {
        let long = String(repeating: "x", count: 3000)
        let medium = String(repeating: "m", count: 200)
        let result = try #require(try limit(#"{"\#(long)":1,"a":"\#(long)","b":"\#(medium)","c":[1,2]}"#, 3600))
        #expect(result.contains(long), "keys are never cut")
        #expect(result.contains(medium), "shorter strings survive when cutting the longest is enough")
        #expect(result.contains("…[truncated from 3000 bytes]"))
        #expect(result.hasSuffix(#","c":[1,2]}"#))
    }

    @Test func neverSplitsEscapesOrCharacters() throws {
        let escaped = String(repeating: #"\u00e9\n😀"#, count: 300)
        for cap in stride(from: 200, through: 400, by: 7) {
            _ = try #require(try limit(#"{"s":"\#(escaped)"}"#, cap))  // validity is checked inside
        }
    }

    @Test func reportsStructureThatCannotFit() throws {
        let numbers = "[" + (0..<2000).map(String.init).joined(separator: ",") + "]"
        #expect(try limit(numbers, 1000) == nil)
    }
}

@Suite struct EventEmitterTests {
    @Test func sendSpoolsOneLinePerEventFromManyThreads() async throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let emitter = try EventEmitter(
            configuration: Configuration(environment: ["CLAUDE_OBSERVABILITY_SPOOL": spool]), sourceApp: "lib",
            deliversInBackground: false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<250 {
                        try emitter.send(
                            .object([.init("session_id", .string("t\(task)")), .init("i", .number("\(index)"))]),
                            eventType: "Custom")
                    }
                }
            }
            try await group.waitForAll()
        }
        let lines = try spoolLines(spool + "/queue.jsonl")
        #expect(lines.count == 1000)
        #expect(Set(lines.compactMap { $0.string(forKey: "event_uuid") }).count == 1000)
        #expect(
            lines.allSatisfy {
                $0.string(forKey: "source_app") == "lib" && $0.string(forKey: "hook_event_type") == "Custom"
            })
    }
}
