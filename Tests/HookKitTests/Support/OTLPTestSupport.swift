import Foundation
import HookKit
import HookKitSystem
import Testing

/// Hook events shaped like Claude Code's, turned into spool lines by the real `EventEnvelope`.
struct SyntheticSession {
    static let sessionID = "0b7d6a52-5c1e-4a8e-9f5e-3d2c1b0a9f8e"
    static let start: Int64 = 1_760_000_000_000

    struct Event {
        var offset: Int64
        var input: String
    }

    /// A realistic session: a turn with a Bash call, a failing Bash call and an async `Agent` call
    /// whose subagent (Explore) runs a Grep after the turn's Stop; then a turn with a foreground
    /// subagent (Plan, whose Agent call returns after its SubagentStop) and a Bash call that never
    /// returns; every event carries `prompt_id` the way Claude Code does.
    static let events: [Event] = {
        let s = sessionID
        func event(_ offset: Int64, _ fields: String) -> Event {
            Event(
                offset: offset,
                input:
                    #"{"session_id":"\#(s)","transcript_path":"/home/u/.claude/projects/p/\#(s).jsonl","cwd":"/home/u/app",\#(fields)}"#
            )
        }
        let explore = #""agent_id":"a1f3c9e2b7d4","agent_type":"Explore""#
        let plan = #""agent_id":"b2e4d8f1c6a3","agent_type":"Plan""#
        return [
            event(0, #""hook_event_name":"SessionStart","source":"startup""#),
            event(
                100, #""hook_event_name":"UserPromptSubmit","prompt_id":"p-1","prompt":"list the files and find TODOs""#
            ),
            event(
                200,
                #""hook_event_name":"PreToolUse","prompt_id":"p-1","tool_name":"Bash","tool_use_id":"toolu_01","tool_input":{"command":"ls","description":"List files"}"#
            ),
            event(
                450,
                #""hook_event_name":"PostToolUse","prompt_id":"p-1","tool_name":"Bash","tool_use_id":"toolu_01","tool_input":{"command":"ls"},"tool_response":{"stdout":"README.md\nSources","stderr":"","interrupted":false}"#
            ),
            event(
                500,
                #""hook_event_name":"PreToolUse","prompt_id":"p-1","tool_name":"Bash","tool_use_id":"toolu_02","tool_input":{"command":"false"}"#
            ),
            event(
                620,
                #""hook_event_name":"PostToolUseFailure","prompt_id":"p-1","tool_name":"Bash","tool_use_id":"toolu_02","tool_input":{"command":"false"},"error":"Command failed with exit code 1","is_interrupt":false"#
            ),
            event(
                700,
                #""hook_event_name":"PreToolUse","prompt_id":"p-1","tool_name":"Agent","tool_use_id":"toolu_03","tool_input":{"subagent_type":"Explore","description":"Find TODOs","prompt":"grep TODO","run_in_background":true}"#
            ),
            event(710, #""hook_event_name":"SubagentStart","prompt_id":"p-1",\#(explore)"#),
            event(
                720,
                #""hook_event_name":"PostToolUse","prompt_id":"p-1","tool_name":"Agent","tool_use_id":"toolu_03","tool_input":{"subagent_type":"Explore"},"tool_response":{"status":"async_launched","agentId":"a1f3c9e2b7d4"}"#
            ),
            event(800, #""hook_event_name":"Stop","prompt_id":"p-1","stop_hook_active":false"#),
            event(
                900,
                #""hook_event_name":"PreToolUse","prompt_id":"p-1",\#(explore),"tool_name":"Grep","tool_use_id":"toolu_04","tool_input":{"pattern":"TODO"}"#
            ),
            event(
                1000,
                #""hook_event_name":"PostToolUse","prompt_id":"p-1",\#(explore),"tool_name":"Grep","tool_use_id":"toolu_04","tool_input":{"pattern":"TODO"},"tool_response":{"numFiles":2,"filenames":["a.swift","b.swift"]}"#
            ),
            event(1200, #""hook_event_name":"SubagentStop","prompt_id":"p-1",\#(explore),"stop_hook_active":false"#),
            event(1300, #""hook_event_name":"UserPromptSubmit","prompt_id":"p-2","prompt":"plan the fix""#),
            event(
                1310,
                #""hook_event_name":"PreToolUse","prompt_id":"p-2","tool_name":"Agent","tool_use_id":"toolu_05","tool_input":{"subagent_type":"Plan","description":"Plan","prompt":"plan it"}"#
            ),
            event(1320, #""hook_event_name":"SubagentStart","prompt_id":"p-2",\#(plan)"#),
            event(
                1330,
                #""hook_event_name":"PreToolUse","prompt_id":"p-2",\#(plan),"tool_name":"Read","tool_use_id":"toolu_06","tool_input":{"file_path":"/home/u/app/a.swift"}"#
            ),
            event(
                1340,
                #""hook_event_name":"PostToolUse","prompt_id":"p-2",\#(plan),"tool_name":"Read","tool_use_id":"toolu_06","tool_input":{"file_path":"/home/u/app/a.swift"},"tool_response":{"type":"text"}"#
            ),
            event(1400, #""hook_event_name":"SubagentStop","prompt_id":"p-2",\#(plan),"stop_hook_active":false"#),
            event(
                1410,
                #""hook_event_name":"PostToolUse","prompt_id":"p-2","tool_name":"Agent","tool_use_id":"toolu_05","tool_input":{"subagent_type":"Plan"},"tool_response":{"status":"completed","agentId":"b2e4d8f1c6a3","content":[{"type":"text","text":"1. fix"}]}"#
            ),
            event(
                1420,
                #""hook_event_name":"PreToolUse","prompt_id":"p-2","tool_name":"Bash","tool_use_id":"toolu_07","tool_input":{"command":"sleep 1000"}"#
            ),
            event(1500, #""hook_event_name":"Stop","prompt_id":"p-2","stop_hook_active":false"#),
            event(1600, #""hook_event_name":"SessionEnd","reason":"prompt_input_exit""#),
        ]
    }()

    /// The session's spool lines, stamped by the real envelope.
    static func lines(_ events: [Event] = events, sessionStart: Int64 = start) -> [[UInt8]] {
        let configuration = Configuration(environment: ["HOME": "/home/u", "CLAUDE_OBSERVABILITY_SOURCE_APP": "app"])
        let envelope = EventEnvelope(configuration: configuration, machineID: "machine-7f3a")
        return events.enumerated().map { index, event in
            let id = UUIDv7(
                timestampMilliseconds: sessionStart + event.offset, randA: UInt16(index), randB: UInt64(index) * 7919)
            return envelope.encode(HookInput(bytes: Array(event.input.utf8)), id: id).line
        }
    }

    static func span(_ kind: String, _ key: String) -> OTLPSpanID {
        OTLPSpanID(sessionID: sessionID, kind: kind, key: key)
    }
}

/// A Python test peer: checks that python3 can import `modules`. Missing, the calling test
/// fails under CI (`CI=true`, where `.ci/run` installs the peers) and is skipped visibly
/// elsewhere (a known issue saying how to install it). Returns whether the peer is there.
enum PythonPeer {
    static func available(_ modules: [String], install: String) -> Bool {
        let script = modules.map { "import \($0)" }.joined(separator: "; ")
        if CryptoTestSupport.runPython(script) != nil { return true }
        let message = "python3 cannot import \(modules.joined(separator: ", ")); install it: \(install)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record(Comment(rawValue: message + " (required in CI)"))
        } else {
            withKnownIssue("test peer missing, test skipped") { Issue.record(Comment(rawValue: message)) }
        }
        return false
    }
}

/// `scripts/otlp-receiver.py` as a child process on a free loopback port.
final class OTLPReceiverProcess: @unchecked Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/otlp-receiver.py").path

    let process: Process
    let port: UInt16
    let client: HTTPClient
    let directory: String

    init(arguments: [String] = []) throws {
        directory = try makeTemporaryDirectory("otlp-receiver")
        let output = directory + "/out"
        FileManager.default.createFile(atPath: output, contents: nil)
        FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--port", "0"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var found: UInt16?
        while Date() < deadline, found == nil {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:") {
                found = UInt16(text[range.upperBound...].prefix { $0.isNumber })
            } else if !process.isRunning {
                break
            } else {
                usleep(5_000)
            }
        }
        guard let found else {
            let error = (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? ""
            process.terminate()
            throw OTLPReceiverError.didNotStart(error)
        }
        port = found
        client = HTTPClient(
            host: "127.0.0.1", port: found,
            configuration: HTTPClientConfiguration(
                connectTimeoutMilliseconds: 2_000, requestTimeoutMilliseconds: 20_000))
    }

    deinit {
        stop()
        removeTemporaryDirectory(directory)
    }

    /// Ends it with SIGTERM, then SIGKILL if it is still there after 5 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: port) }

    /// Every request received, normalized.
    func dump() throws -> [[String: Any]] {
        let response = try client.get("/dump")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
    }

    /// Scripts the answers to the next export requests.
    func control(_ command: String) throws {
        let response = try client.post("/control", body: Array(command.utf8))
        #expect(response.status == 200)
    }
}

enum OTLPReceiverError: Error {
    case didNotStart(String)
}

/// Flattened views of a receiver's normalized requests.
enum OTLPDump {
    /// The spans of every `traces` request, each with its resource's attributes under "resource".
    static func spans(_ records: [[String: Any]], protocolName: String? = nil) -> [[String: Any]] {
        items(
            records, signal: "traces", protocolName: protocolName, outer: "resource_spans", scope: "scope_spans",
            leaf: "spans")
    }

    /// The log records of every `logs` request, each with its resource's attributes under "resource".
    static func logs(_ records: [[String: Any]], protocolName: String? = nil) -> [[String: Any]] {
        items(
            records, signal: "logs", protocolName: protocolName, outer: "resource_logs", scope: "scope_logs",
            leaf: "log_records")
    }

    private static func items(
        _ records: [[String: Any]], signal: String, protocolName: String?, outer: String, scope: String, leaf: String
    ) -> [[String: Any]] {
        var result: [[String: Any]] = []
        for record in records where record["signal"] as? String == signal {
            if let protocolName, record["protocol"] as? String != protocolName { continue }
            let request = record["request"] as? [String: Any] ?? [:]
            for resource in request[outer] as? [[String: Any]] ?? [] {
                let resourceAttributes = attributes((resource["resource"] as? [String: Any])?["attributes"])
                for scopeGroup in resource[scope] as? [[String: Any]] ?? [] {
                    for var item in scopeGroup[leaf] as? [[String: Any]] ?? [] {
                        item["resource"] = resourceAttributes
                        item["scope"] = scopeGroup["scope"]
                        result.append(item)
                    }
                }
            }
        }
        return result
    }

    /// `[{"key": k, "value": {"string_value": v}}]` as `[k: v]` (values as strings).
    static func attributes(_ list: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for entry in list as? [[String: Any]] ?? [] {
            guard let key = entry["key"] as? String, let value = entry["value"] as? [String: Any] else { continue }
            if let string = value["string_value"] as? String {
                result[key] = string
            } else if let bool = value["bool_value"] as? Bool {
                result[key] = String(bool)
            } else if let int = value["int_value"] {
                result[key] = "\(int)"
            }
        }
        return result
    }
}

/// A loopback port that is free now, below the ephemeral range (32768 and up on Linux), so that
/// no `--port 0` server of a test running meanwhile takes it while a test restarts its own
/// server there.
func freeFixedPort() throws -> UInt16 {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<200 {
        let port = UInt16.random(in: 20_000..<32_000, using: &generator)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound == 0 { return port }
    }
    throw OTLPReceiverError.didNotStart("no free port below 32000")
}

extension OTLPReceiverProcess {
    /// A receiver on `port` (for one that goes down and comes back at the same address).
    convenience init(port: UInt16) throws {
        try self.init(arguments: ["--port", String(port)])
    }

    /// The log records received so far (an empty list while it cannot be asked).
    var logs: [[String: Any]] { (try? dump()).map { OTLPDump.logs($0) } ?? [] }

    /// The spans received so far.
    var spans: [[String: Any]] { (try? dump()).map { OTLPDump.spans($0) } ?? [] }
}

extension OTLPDump {
    /// The `hookkit.event_uuid` of each log record.
    static func eventIDs(_ logs: [[String: Any]]) -> [String] {
        logs.compactMap { attributes($0["attributes"])["hookkit.event_uuid"] }
    }

    /// The event lines the log records carry, once each, in the order first received.
    static func eventLines(_ logs: [[String: Any]]) -> [[UInt8]] {
        var seen = Set<String>()
        var lines: [[UInt8]] = []
        for log in logs {
            guard let id = attributes(log["attributes"])["hookkit.event_uuid"], seen.insert(id).inserted,
                let body = (log["body"] as? [String: Any])?["string_value"] as? String
            else { continue }
            lines.append(Array(body.utf8))
        }
        return lines
    }

    /// A received span in one comparable line: ids, name, times (unless `times` is false),
    /// status and attributes.
    static func summary(_ span: [String: Any], times: Bool = true) -> String {
        let status = span["status"] as? [String: Any] ?? [:]
        var parts = [
            span["trace_id"] as? String ?? "", span["span_id"] as? String ?? "",
            span["parent_span_id"] as? String ?? "-",
            span["name"] as? String ?? "",
            "status \(status["code"] as? Int ?? 0) \(status["message"] as? String ?? "")",
        ]
        if times {
            parts += [span["start_time_unix_nano"] as? String ?? "", span["end_time_unix_nano"] as? String ?? ""]
        }
        parts += attributes(span["attributes"]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return parts.joined(separator: " | ")
    }

    /// The same line for a span HookKit mapped.
    static func summary(_ span: OTLPSpan, times: Bool = true) -> String {
        var parts = [
            span.traceID.hex, span.spanID.hex, span.parentSpanID?.hex ?? "-", span.name,
            "status \(span.statusCode.rawValue) \(span.statusMessage)",
        ]
        if times { parts += [String(span.startTimeUnixNano), String(span.endTimeUnixNano)] }
        var attributes: [String: String] = [:]
        for attribute in span.attributes {
            switch attribute.value {
            case .string(let value): attributes[attribute.key] = value
            case .bool(let value): attributes[attribute.key] = String(value)
            case .int(let value): attributes[attribute.key] = String(value)
            default: break
            }
        }
        parts += attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return parts.joined(separator: " | ")
    }

    /// What mapping `lines` in one go from an empty state gives, as sorted summaries.
    static func expectedSpans(
        _ lines: [[UInt8]], options: OTLPMappingOptions = OTLPMappingOptions(), times: Bool = true
    )
        -> [String]
    {
        OTLPSpanMapper.map(lines, from: OTLPSpanState(), options: options).batch.spans.map { summary($0, times: times) }
            .sorted()
    }
}
