import Foundation
import HookKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real Claude Code CLI the real-client tests run: `HOOKKIT_CLAUDE_CLI` when set, else what
/// `scripts/fetch-claude-cli.sh` fetches (pinned claude-agent-sdk wheel from PyPI, hash-checked,
/// cached under `.build/peers/`).
enum RealClaudeCode {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// CI sets `CI=true`: there a missing CLI fails the tests instead of skipping them.
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Why the CLI cannot be had.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// The CLI's path, or why there is none. Looked up once per test run, and only when a
    /// real-client test is about to run (the fetch may download about 170 MB the first time).
    static let located: Result<String, Unavailable> = locate()

    private static func locate() -> Result<String, Unavailable> {
        if let path = ProcessInfo.processInfo.environment["HOOKKIT_CLAUDE_CLI"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path)
                ? .success(path) : .failure(Unavailable(description: "HOOKKIT_CLAUDE_CLI=\(path) is not an executable"))
        }
        let script = checkout + "/scripts/fetch-claude-cli.sh"
        do {
            let result = try runProcess("/bin/bash", [script])
            let path = result.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
            if result.status == 0 && FileManager.default.isExecutableFile(atPath: path) { return .success(path) }
            let why = result.stderrText.split(separator: "\n").suffix(3).joined(separator: " / ")
            return .failure(Unavailable(description: "scripts/fetch-claude-cli.sh exited \(result.status): \(why)"))
        } catch {
            return .failure(Unavailable(description: "could not run scripts/fetch-claude-cli.sh: \(error)"))
        }
    }

    /// The suite's condition: it runs when the CLI is there, and always in CI (where a missing
    /// CLI must fail). Outside CI a skip says why on stderr, next to Swift Testing's skip line.
    static func shouldRun() -> Bool { isCI || runsHere }

    /// Whether the CLI is there; the first look says on stderr why not.
    private static let runsHere: Bool = {
        guard case .failure(let why) = located else { return true }
        FileHandle.standardError.write(Data("RealClaudeCodeTests skipped: \(why)\n".utf8))
        return false
    }()

    /// The CLI's path; records a failing issue (CI without the CLI) and throws when there is none.
    static func requirePath() throws -> String {
        switch located {
        case .success(let path): return path
        case .failure(let why):
            Issue.record("the real Claude Code CLI is required in CI (CI=true) but unavailable: \(why)")
            throw why
        }
    }
}

/// `scripts/fake-messages-api.py` as a child process: a scripted Messages API on a free port.
final class FakeMessagesAPI: @unchecked Sendable {
    let process: Process
    let port: UInt16
    let logPath: String

    /// Starts it on `scenario` (the scenario file's JSON); files go into `directory`.
    init(scenario: String, directory: String) throws {
        let scenarioPath = directory + "/scenario.json"
        logPath = directory + "/messages-api.log"
        let stdoutPath = directory + "/messages-api.out"
        let stderrPath = directory + "/messages-api.err"
        try Data(scenario.utf8).write(to: URL(fileURLWithPath: scenarioPath))
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", RealClaudeCode.checkout + "/scripts/fake-messages-api.py", "--scenario", scenarioPath,
            "--log", logPath,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        var found: UInt16?
        while Date() < deadline && found == nil {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, let marker = line.range(of: "http://127.0.0.1:") {
                found = UInt16(line[marker.upperBound...].prefix { $0.isNumber })
                break
            }
            if !process.isRunning { break }
            usleep(5_000)
        }
        guard let port = found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw RealClaudeCode.Unavailable(description: "fake-messages-api.py did not start: \(err)")
        }
        self.port = port
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The requests it logged, parsed.
    var requests: [JSONValue] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONValue.parse(String($0)) }
    }
}

/// One temporary project with HookKit installed by `install.sh`, a recorder hook next to it,
/// a running hook-hub and the scripted Messages API; `run` runs the real CLI in it.
final class RealSession: @unchecked Sendable {
    let cli: String
    let directory: String
    let project: String
    let projectName: String
    let home: String
    let spool: String
    let recordings: String
    let hub: HubProcess
    let api: FakeMessagesAPI
    /// More settings for HookKit's hooks (the OTLP sink's, say), set before ``run(_:_:seconds:)``.
    var extraHookEnvironment: [String: String] = [:]

    /// What one `claude -p` run left.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The stream-json lines.
        var lines: [JSONValue]
        /// The final `result` line.
        var result: JSONValue? { lines.last { $0["type"]?.stringValue == "result" } }
        /// The `hook_response` lines (`--include-hook-events`): one per hook command run.
        var hookResponses: [JSONValue] {
            lines.filter { $0["type"]?.stringValue == "system" && $0["subtype"]?.stringValue == "hook_response" }
        }
    }

    init(projectName: String, scenario: String) throws {
        cli = try RealClaudeCode.requirePath()
        let directory = try makeTemporaryDirectory("real-claude")
        let hub: HubProcess
        let api: FakeMessagesAPI
        do {
            for name in [projectName, "home", "recorded", "tmp"] {
                try FileManager.default.createDirectory(
                    atPath: directory + "/" + name, withIntermediateDirectories: true)
            }
            hub = try HubProcess.start(directory: directory)
            api = try FakeMessagesAPI(scenario: scenario, directory: directory)
        } catch {
            removeTemporaryDirectory(directory)
            throw error
        }
        self.directory = directory
        self.projectName = projectName
        project = directory + "/" + projectName
        home = directory + "/home"
        spool = directory + "/spool"
        recordings = directory + "/recorded"
        self.hub = hub
        self.api = api
        try install()  // a throw from here on runs deinit, which cleans up
    }

    deinit { finish() }

    /// Stops the servers and any flusher, removes the folder.
    func finish() {
        if let pid = FlusherLock.holder(Spool(directory: spool)) { kill(pid, SIGKILL) }
        api.stop()
        hub.stop()
        removeTemporaryDirectory(directory)
    }

    /// `install.sh PROJECT` with this build's send-event, then a recorder hook (a shell command
    /// writing its stdin to a new file) for every event HookKit installed, in its own group.
    private func install() throws {
        let installed = try runProcess(
            "/bin/bash", [RealClaudeCode.checkout + "/install.sh", project],
            environment: ["HOOKKIT_BINARY": Executables.path("send-event")])
        guard installed.status == 0 else {
            throw RealClaudeCode.Unavailable(description: "install.sh failed: \(installed.stderrText)")
        }
        let recorder = directory + "/record-hook.sh"
        let script = """
            #!/bin/sh
            # Writes the hook's input to a file of its own (hooks of one event run in parallel).
            file=$(mktemp "\(recordings)/hook.XXXXXXXX") && cat > "$file"

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: recorder))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: recorder)
        let settingsPath = project + "/.claude/settings.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: settingsPath))
        guard var settings = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            var hooks = settings["hooks"] as? [String: Any]
        else { throw RealClaudeCode.Unavailable(description: "install.sh wrote no hooks object") }
        for (event, groups) in hooks {
            guard var groups = groups as? [Any], let ours = groups.last as? [String: Any] else { continue }
            var group = ours
            group["hooks"] = [["type": "command", "command": recorder, "timeout": 10]]
            groups.append(group)
            hooks[event] = groups
        }
        settings["hooks"] = hooks
        try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: settingsPath))
    }

    /// The environment HookKit's hooks see through Claude Code: this session's hub and spool.
    var hookEnvironment: [String: String] {
        [
            "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:\(hub.port)",
            "CLAUDE_OBSERVABILITY_SPOOL": spool,
            "CLAUDE_OBSERVABILITY_LINGER_MS": "200",
        ].merging(extraHookEnvironment) { $1 }
    }

    /// Runs `claude -p PROMPT` in the project against the scripted API, with stream-json output
    /// that lists every hook run; `arguments` go after the prompt. Kills it after `seconds`.
    func run(_ prompt: String, _ arguments: [String] = [], seconds: Double = 120) throws -> Run {
        let stdoutPath = directory + "/claude-\(UUID().uuidString).out"
        let stderrPath = directory + "/claude-\(UUID().uuidString).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments =
            ["-p", prompt, "--output-format", "stream-json", "--verbose", "--include-hook-events"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: project)
        // A clean environment: nothing of the caller's own Claude Code session or hub leaks in.
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": directory + "/tmp",
            "LANG": "C.UTF-8",
            "ANTHROPIC_API_KEY": "dummy",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:\(api.port)",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        ].merging(hookEnvironment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("claude -p did not finish within \(Int(seconds)) s")
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return Run(
            status: process.terminationStatus, stdout: stdout,
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "",
            lines: stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) })
    }

    /// Every hook input the recorder saw, parsed.
    func recorded() throws -> [JSONValue] {
        try FileManager.default.contentsOfDirectory(atPath: recordings).sorted().map {
            try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: recordings + "/" + $0))))
        }
    }

    /// The events hook-hub stored, in store order.
    func stored() throws -> [JSONValue] { try hub.storeLines.map { try JSONValue.parse($0) } }

    /// `send-event status --json` with this session's hub and spool.
    func spoolStatus() throws -> JSONValue {
        let result = try runProcess(Executables.path("send-event"), ["status", "--json"], environment: hookEnvironment)
        return try JSONValue.parse(result.stdoutText)
    }

    /// Waits until the hub holds at least `count` events and the spool has nothing left to send.
    func awaitDelivery(count: Int, seconds: Double = 60) throws -> [JSONValue] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let events = try stored()
            if events.count >= count, try spoolStatus()["queued"]?.integerValue == 0 { return events }
            usleep(20_000)
        }
        let status = try spoolStatus().serialized()
        Issue.record("hub holds \(try stored().count) of \(count) events after \(Int(seconds)) s; spool: \(status)")
        return try stored()
    }
}
