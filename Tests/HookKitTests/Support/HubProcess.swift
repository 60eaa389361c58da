import Foundation
import HookKit
import HookKitHub
import HookKitSystem

/// A `hook-hub` child process on a free loopback port with a temporary store, for tests.
///
/// `start` binds port 0, reads the chosen port from the start-up line and waits until
/// `GET /healthz` answers (no fixed sleeps). `stop()` ends it with SIGTERM, `crash()` with
/// SIGKILL; either is also done on deinit.
final class HubProcess: @unchecked Sendable {
    let process: Process
    /// The port it listens on (127.0.0.1).
    let port: UInt16
    /// The JSONL store.
    let storePath: String
    /// The file that collects its stderr.
    let stderrPath: String
    /// The start-up line.
    let startupLine: String
    /// A client for it.
    let client: HTTPClient

    /// Starts a hub; `directory` holds the store (`events.jsonl`) and logs.
    /// `shellSetup`, when given, runs first in `sh -c` (for example `ulimit -f 64`), which then
    /// execs the hub.
    static func start(
        directory: String, arguments: [String] = [], environment: [String: String] = [:],
        storePath: String? = nil, shellSetup: String? = nil
    ) throws -> HubProcess {
        let store = storePath ?? directory + "/events.jsonl"
        let stdoutPath = directory + "/hub-\(UUID().uuidString).out"
        let stderrPath = directory + "/hub-\(UUID().uuidString).err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.path("hook-hub"))
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--store", store] + arguments
        if let shellSetup {
            let quoted = ([Executables.path("hook-hub")] + process.arguments!).map {
                "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
            }
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(shellSetup); exec \(quoted.joined(separator: " "))"]
        }
        var env = ProcessInfo.processInfo.environment
        env["CLAUDE_OBSERVABILITY_SECRET"] = nil
        process.environment = env.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        // Await the start-up line "... listening on http://127.0.0.1:PORT ...".
        let deadline = Date().addingTimeInterval(20)
        var line = ""
        while Date() < deadline {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if let newline = text.firstIndex(of: "\n") {
                line = String(text[..<newline])
                break
            }
            if !process.isRunning {
                let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                throw HubProcessError.exited(process.terminationStatus, err)
            }
            usleep(2_000)
        }
        guard let marker = line.range(of: "http://127.0.0.1:") else {
            process.terminate()
            throw HubProcessError.noStartupLine(line)
        }
        let digits = line[marker.upperBound...].prefix { $0.isNumber }
        guard let port = UInt16(digits) else { throw HubProcessError.noStartupLine(line) }
        let hub = HubProcess(process: process, port: port, storePath: store, stderrPath: stderrPath, startupLine: line)
        try hub.awaitHealthy(deadline: deadline)
        return hub
    }

    private init(process: Process, port: UInt16, storePath: String, stderrPath: String, startupLine: String) {
        self.process = process
        self.port = port
        self.storePath = storePath
        self.stderrPath = stderrPath
        self.startupLine = startupLine
        self.client = HTTPClient(
            host: "127.0.0.1", port: port,
            configuration: HTTPClientConfiguration(
                connectTimeoutMilliseconds: 2_000, requestTimeoutMilliseconds: 10_000))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func awaitHealthy(deadline: Date) throws {
        while Date() < deadline {
            if let response = try? client.get("/healthz"), response.status == 200 { return }
            usleep(2_000)
        }
        throw HubProcessError.notHealthy
    }

    /// Ends it with SIGTERM and waits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Ends it with SIGKILL (a crash) and waits.
    func crash() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// What it wrote on stderr so far.
    var stderrText: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The store's lines.
    /// The complete lines of the store: a line the hub is still writing (no newline yet) is left
    /// out, so a reader racing the hub never sees half an event.
    var storeLines: [String] {
        let text = (try? String(contentsOfFile: storePath, encoding: .utf8)) ?? ""
        let complete = text.hasSuffix("\n") ? Substring(text) : text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]
        return complete.split(separator: "\n").map(String.init)
    }
}

enum HubProcessError: Error {
    case exited(Int32, String)
    case noStartupLine(String)
    case notHealthy
}
