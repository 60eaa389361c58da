import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The contract with Claude Code, checked on the real `send-event` binary: exit 0 whatever
/// happens, nothing on stdout, exactly one complete line per invocation.
@Suite struct HookContractTests {
    let sendEvent = Executables.path("send-event")

    func runHook(_ input: [UInt8], spool: String, arguments: [String] = [], environment: [String: String] = [:])
        throws -> ProcessResult
    {
        try runProcess(
            sendEvent, arguments, stdin: Data(input),
            environment: environment.merging([
                "CLAUDE_OBSERVABILITY_SPOOL": spool, "CLAUDE_PROJECT_DIR": "/work/demo-app",
            ]) { a, _ in a })
    }

    static let badInputs: [(String, [UInt8])] = {
        let deep =
            [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
            + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        let huge =
            Array(#"{"session_id":"s","hook_event_name":"PostToolUse","tool_response":""#.utf8)
            + [UInt8](repeating: UInt8(ascii: "x"), count: 20 * 1024 * 1024) + Array(#""}"#.utf8)
        return [
            ("empty", []),
            ("not JSON", Array("hello, world".utf8)),
            ("truncated JSON", Array(#"{"session_id":"s","tool_input":{"command":"ls"#.utf8)),
            ("invalid UTF-8", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
            ("NUL bytes", Array(#"{"a":"#.utf8) + [0x22, 0x00, 0x22, 0x00] + [0x7D]),
            ("100,000-deep arrays", deep),
            ("20 MiB tool_response", huge),
            ("duplicate keys", Array(#"{"session_id":"a","session_id":"b","hook_event_name":"Stop"}"#.utf8)),
            ("huge numbers", Array(#"{"session_id":"s","n":1e400,"m":123456789012345678901234567890}"#.utf8)),
        ]
    }()

    @Test(arguments: badInputs.indices)
    func badInputIsRecordedWithExitZeroAndNothingOnStdout(_ index: Int) throws {
        let (name, input) = Self.badInputs[index]
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let result = try runHook(input, spool: spool)
        #expect(result.status == 0, "\(name)")
        #expect(result.stdout.isEmpty, "\(name)")
        let lines = try spoolLines(spool + "/queue.jsonl")
        try #require(lines.count == 1, "\(name)")
        let event = lines[0]
        #expect(event.member("payload")?.kind == .object, "\(name)")
        let payload = try event.payload()
        switch name {
        case "duplicate keys":
            #expect(event.string(forKey: "session_id") == "b")
            #expect(event.raw("payload") == #"{"session_id":"a","session_id":"b","hook_event_name":"Stop"}"#)
        case "huge numbers":
            #expect(payload.raw("n") == "1e400")
            #expect(payload.raw("m") == "123456789012345678901234567890")
        case "20 MiB tool_response":
            #expect(event.raw("payload_truncated") == "true")
            #expect(event.raw("payload_original_bytes") == String(input.count))
            #expect(event.raw("payload")!.utf8.count <= Configuration.defaultMaxPayloadBytes)
            #expect(
                payload.string(forKey: "tool_response")?.hasSuffix("…[truncated from \(20 * 1024 * 1024) bytes]")
                    == true)
        case "100,000-deep arrays":
            // At most 256 levels are kept as JSON; deeper input is kept raw (issue 9, item 11).
            #expect(event.string(forKey: "payload_error") == "invalid JSON: nesting deeper than 256 levels at byte 256")
            #expect(payload.string(forKey: "raw") == String(repeating: "[", count: EventEnvelope.rawInputCap))
            #expect(payload.raw("raw_truncated_from") == String(input.count))
        case "empty":
            #expect(event.string(forKey: "payload_error") == "empty input")
            #expect(result.stderrText.contains("empty input"))
        default:
            let error = try #require(event.string(forKey: "payload_error"), "\(name)")
            #expect(error.hasPrefix("invalid JSON: "), "\(name)")
            #expect(result.stderrText.contains(error), "\(name): stderr says why")
            let raw = try #require(payload.string(forKey: "raw"))
            #expect(raw == String(decoding: input, as: UTF8.self), "\(name): input kept, sanitised")
        }
    }

    @Test func unwritableSpoolExitsZeroWithOneLineOnStderr() throws {
        let file = try makeTemporaryDirectory() + "/not-a-folder"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let result = try runHook(Array(#"{"session_id":"s"}"#.utf8), spool: file + "/spool")
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(
            lines.first?.contains("event not recorded: cannot create \(file)/spool: Not a directory") == true,
            "\(lines)")
    }

    @Test func stdinLeftOpenDoesNotHangTheHook() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sendEvent)
        process.environment = ["CLAUDE_OBSERVABILITY_SPOOL": spool]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(#"{"session_id":"s","hook_event_name":"Stop"#.utf8))
        process.waitUntilExit()  // returns because of the hook's own read deadline
        input.fileHandleForWriting.closeFile()
        #expect(process.terminationStatus == 0)
        let event = try #require(try spoolLines(spool + "/queue.jsonl").first)
        #expect(event.string(forKey: "payload_error")?.hasPrefix("stdin still open after") == true)
        #expect(try event.payload().string(forKey: "raw") == #"{"session_id":"s","hook_event_name":"Stop"#)
    }

    @Test func parallelHooksLeaveExactlyOneCompleteLineEach() throws {
        let stress = ProcessInfo.processInfo.environment["HOOKKIT_STRESS"] != nil
        let (writers, eventsEach) = stress ? (400, 100) : (200, 50)
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let inputPath = spool + "-input.json"
        try Data(
            #"{"session_id":"par","hook_event_name":"PreToolUse","tool_input":{"command":"\#(String(repeating: "y", count: 1500))"}}"#
                .utf8
        ).write(to: URL(fileURLWithPath: inputPath))
        defer { try? FileManager.default.removeItem(atPath: inputPath) }
        let script = "i=0; while [ $i -lt \(eventsEach) ]; do \"$0\" < \"$1\"; i=$((i+1)); done"
        let processes = try (0..<writers).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, sendEvent, inputPath]
            process.environment = ["CLAUDE_OBSERVABILITY_SPOOL": spool]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        let lines = try spoolLines(spool + "/queue.jsonl")
        #expect(lines.count == writers * eventsEach)
        #expect(Set(lines.compactMap { $0.string(forKey: "event_uuid") }).count == writers * eventsEach)
    }

    @Test func aTornLineFromAKilledWriterNeverSpoilsTheNextOne() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        // What a writer killed halfway through its write(2) leaves: a line with no newline.
        try Data(#"{"event_uuid":"0190","source_app":"x","payl"#.utf8).write(
            to: URL(fileURLWithPath: spool + "/queue.jsonl"))
        for _ in 0..<3 { _ = try runHook(Array(#"{"session_id":"after"}"#.utf8), spool: spool) }
        let text = try String(contentsOfFile: spool + "/queue.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == #"{"event_uuid":"0190","source_app":"x","payl"#)
        for line in lines.dropFirst() {
            #expect(try JSONScanner.scan(Array(line.utf8)).string(forKey: "session_id") == "after")
        }
    }

    @Test func statusCountsWhatIsQueued() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        for _ in 0..<3 { _ = try runHook(Array(#"{"session_id":"s"}"#.utf8), spool: spool) }
        let result = try runProcess(
            sendEvent, ["status", "--json"], environment: ["CLAUDE_OBSERVABILITY_SPOOL": spool])
        #expect(result.status == 0)
        let status = try JSONValue.parse(Array(result.stdout))
        #expect(status["queued"] == .number("3"))
    }

    @Test func helpAndVersionSpeakOnStdout() throws {
        let help = try runProcess(sendEvent, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("USAGE"))
        let version = try runProcess(sendEvent, ["--version"])
        #expect(version.stdoutText == "send-event \(HookKitVersion.current)\n")
    }

    @Test func spoolFilesAreReadableByTheUserOnly() throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let spool = root + "/nested/spool"
        _ = try runHook(Array(#"{"session_id":"s"}"#.utf8), spool: spool)
        let folder = try FileManager.default.attributesOfItem(atPath: spool)[.posixPermissions] as? Int
        let queue = try FileManager.default.attributesOfItem(atPath: spool + "/queue.jsonl")[.posixPermissions] as? Int
        #expect(folder == 0o700)
        #expect(queue == 0o600)
    }
}
