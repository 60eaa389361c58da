import Foundation
import HookKit
import HookKitHub
import HookKitSystem

/// A real hub (``Hub`` over a temporary ``EventStore``) served in process, counting the requests
/// it gets, for tests that check how often a client knocks.
final class CountingHub: @unchecked Sendable {
    let directory: String
    let store: EventStore
    let server: HTTPServer
    private let counter = Locked(0)

    init() throws {
        directory = try makeTemporaryDirectory("counting-hub")
        store = try EventStore(path: directory + "/events.jsonl")
        let hub = Hub(store: store)
        let counter = self.counter
        server = try HTTPServer(configuration: HTTPServerConfiguration(address: .loopbackIPv4(port: 0))) { request in
            counter.withLock { $0 += 1 }
            return hub.handle(request)
        }
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.address.port)" }
    var requests: Int { counter.withLock { $0 } }

    func stop() {
        server.stop()
        store.close()
        removeTemporaryDirectory(directory)
    }
}

/// Runs `executable` with `arguments` through `sh -c` after `shellSetup` (for example
/// `ulimit -f 0`), in the background; returns the process.
func startThroughShell(
    _ shellSetup: String, _ executable: String, _ arguments: [String], environment: [String: String]
) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    process.arguments = ["-c", "\(shellSetup); exec \(quoted.joined(separator: " "))"]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Whether process `pid` still exists (a zombie counts as gone).
func processIsAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return true }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// Queues `count` events with `timestamp` directly in `spool`; returns their ids.
func queueEvents(_ count: Int, in spool: Spool, timestamp: Int64 = Clock.unixMilliseconds(), padding: Int = 0)
    throws -> [String]
{
    let pad = String(repeating: "p", count: padding)
    return try (0..<count).map { index in
        let id = UUIDv7.generate().uuidString
        try spool.append(
            Array(
                #"{"event_uuid":"\#(id)","source_app":"t","session_id":"s","hook_event_type":"Stop","timestamp":\#(timestamp),"payload":{"i":\#(index),"p":"\#(pad)"}}"#
                    .utf8))
        return id
    }
}

/// Whether tests run as root (who ignores file permissions, and may chown).
let runningAsRoot = getuid() == 0
