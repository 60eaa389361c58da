import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Issue 9, items 11 and 12: payload nesting is capped, and a complete event on a stdin that
/// never closes is an event.
@Suite struct HookInputHardeningTests {
    let envelope = EventEnvelope(configuration: Configuration(environment: [:]), machineID: "m")

    func nested(_ depth: Int) -> [UInt8] {
        Array(
            (#"{"session_id":"deep","x":"# + String(repeating: #"{"a":"#, count: depth - 1) + "1"
                + String(repeating: "}", count: depth)).utf8)
    }

    func encoded(_ input: [UInt8]) throws -> ScannedJSON {
        try JSONScanner.scan(envelope.encode(HookInput(bytes: input), id: UUIDv7.generate()).line)
    }

    @Test func payloadsDeeperThan256LevelsAreKeptRaw() throws {
        let kept = try encoded(nested(256))
        #expect(kept.member("payload_error") == nil)
        #expect(kept.string(forKey: "session_id") == "deep")
        #expect(try kept.payload().member("x")?.kind == .object)

        for depth in [257, 100_000] {
            let event = try encoded(nested(depth))
            #expect(
                event.string(forKey: "payload_error")?.hasPrefix("invalid JSON: nesting deeper than 256 levels")
                    == true,
                "depth \(depth)")
            let payload = try event.payload()
            #expect(payload.member("raw")?.kind == .string)
            #expect(payload.member("x") == nil)
            // The stored event is shallow: any JSON reader takes it.
            #expect(throws: Never.self) {
                try JSONValue.parse(
                    envelope.encode(HookInput(bytes: nested(depth)), id: UUIDv7.generate()).line, maximumDepth: 8)
            }
        }
    }

    @Test func theScannerRefusesNestingBeyondItsLimit() throws {
        #expect(throws: Never.self) { try JSONScanner.scan(Array("[[[]]]".utf8), maxDepth: 3) }
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.scan(Array("[[[[]]]]".utf8), maxDepth: 3) }
        #expect(throws: JSONSyntaxError.self) {
            try JSONScanner.scan(Array(#"{"a":{"b":{"c":{}}}}"#.utf8), maxDepth: 3)
        }
        #expect(throws: Never.self) {
            try JSONScanner.scan(
                Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8))
        }
    }

    @Test func aCompleteEventOnAStdinThatStaysOpenIsRecordedAsValid() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.path("send-event"))
        process.environment = [
            "CLAUDE_OBSERVABILITY_SPOOL": spool, "CLAUDE_OBSERVABILITY_HUB": try HandOffTests.closedHub(),
            "CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS": "1",
        ]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(#"{"session_id":"open-stdin","hook_event_name":"Stop"}"#.utf8))
        process.waitUntilExit()  // the hook's own read deadline ends it; stdin is still open
        input.fileHandleForWriting.closeFile()
        defer { if let pid = FlusherLock.holder(Spool(directory: spool)) { kill(pid, SIGKILL) } }
        #expect(process.terminationStatus == 0)
        #expect(errors.fileHandleForReading.readDataToEndOfFile().isEmpty)
        let event = try #require(try spoolLines(spool + "/queue.jsonl").first)
        #expect(event.member("payload_error") == nil)
        #expect(event.string(forKey: "session_id") == "open-stdin")
        #expect(event.string(forKey: "hook_event_type") == "Stop")
        #expect(try event.payload().string(forKey: "session_id") == "open-stdin")

        // An incomplete one is still recorded raw, with the reason.
        let reader = Pipe()
        reader.fileHandleForWriting.write(Data(#"{"session_id":"cut"#.utf8))
        let partial = StandardInputReader.read(
            FileDescriptor(rawValue: reader.fileHandleForReading.fileDescriptor), timeoutMilliseconds: 100)
        #expect(partial.readProblem == "stdin still open after 100 ms")
    }
}
