import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The hook hands its event to a background flusher without keeping Claude Code waiting.
@Suite struct HandOffTests {
    let sendEvent = Executables.path("send-event")

    /// A hub URL on a loopback port where nothing listens.
    static func closedHub() throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    /// A spool whose hub is down, with retries a minute apart.
    static func environment(spool: String) throws -> [String: String] {
        [
            "CLAUDE_OBSERVABILITY_SPOOL": spool, "CLAUDE_OBSERVABILITY_HUB": try closedHub(),
            "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "60000",
        ]
    }

    @Test func theFlusherIsDetachedAndHoldsNothingOfTheHooks() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let environment = try Self.environment(spool: spool)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sendEvent)
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(#"{"session_id":"detach","hook_event_name":"Stop"}"#.utf8))
        try stdin.fileHandleForWriting.close()
        // Claude Code reads stdout and stderr to their end: both must end when the hook exits,
        // although the flusher it started lives on (backing off from the closed hub).
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(out.isEmpty)
        #expect(err.isEmpty)

        // The flusher takes its lock a moment after the hook spawned it, and records its first
        // attempt a moment later: await both.
        let deadline = Date().addingTimeInterval(10)
        while (FlusherLock.holder(Spool(directory: spool)) == nil
            || SpoolState.load(Spool(directory: spool)).nextAttemptAt == nil) && Date() < deadline
        {
            usleep(2000)
        }
        let status = try runProcess(sendEvent, ["status", "--json"], environment: environment)
        let json = try JSONValue.parse(Array(status.stdout))
        let pid = try #require(json["flusher_pid"]?.integerValue.map { pid_t($0) }, "a flusher runs")
        defer { kill(pid, SIGKILL) }
        #expect(getsid(pid) == pid, "the flusher leads its own session")
        #expect(getsid(pid) != getsid(0))
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        for fd in descriptors {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? ""
            #expect(!target.hasPrefix("pipe:"), "fd \(fd) of the flusher is \(target)")
        }
        #expect(json["queued"] == .number("1"))
        #expect(json["last_error"]?.stringValue?.contains("connect") == true)
        #expect(json["next_attempt_at"]?.integerValue != nil)
    }

    @Test func whileTheHubIsKnownDownHooksStartNoFlusherAndNoAttempt() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let environment = try Self.environment(spool: spool)
        _ = try runProcess(sendEvent, [], stdin: Data(#"{"session_id":"down"}"#.utf8), environment: environment)
        // Wait for the first flusher's failed attempt to be recorded.
        let deadline = Date().addingTimeInterval(10)
        while SpoolState.load(Spool(directory: spool)).nextAttemptAt == nil && Date() < deadline {
            usleep(2000)
        }
        let attemptsBefore = SpoolState.load(Spool(directory: spool)).attempts
        #expect(attemptsBefore == 1)
        for _ in 0..<20 {
            _ = try runProcess(sendEvent, [], stdin: Data(#"{"session_id":"down"}"#.utf8), environment: environment)
        }
        let state = SpoolState.load(Spool(directory: spool))
        #expect(state.attempts == attemptsBefore, "no network attempt while backing off")
        #expect(SpoolStatus(spool: Spool(directory: spool), hub: "").queued == 21)
        if let pid = FlusherLock.holder(Spool(directory: spool)) { kill(pid, SIGKILL) }
    }
}
