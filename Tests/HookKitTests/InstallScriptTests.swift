import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// `install.sh` on temporary projects, as a user runs it.
///
/// Every case installs the debug `send-event` this test run already built (through
/// `HOOKKIT_BINARY`, or a stand-in `swift` for the build path), so no case compiles anything.
@Suite(.serialized) struct InstallScriptTests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let script = checkout + "/install.sh"
    let sendEvent = Executables.path("send-event")
    let directory: String

    init() throws { directory = try makeTemporaryDirectory("install-sh") }

    /// A new empty project folder named `name` inside the test's folder.
    func makeProject(_ name: String = "project") throws -> String {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs `bash install.sh ARGS` with the debug send-event as `HOOKKIT_BINARY` unless told otherwise.
    func installScript(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(
            "/bin/bash", [Self.script] + arguments,
            environment: ["HOOKKIT_BINARY": sendEvent].merging(environment) { $1 })
    }

    func settingsPath(_ project: String) -> String { project + "/.claude/settings.json" }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func intoAProjectWithoutSettings() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject()
        let result = try installScript([project])
        #expect(result.status == 0, "\(result.stderrText)")
        let example = try bytes(Self.checkout + "/settings.example.json")
        #expect(try bytes(settingsPath(project)) == example)
        let installed = project + "/.claude/hooks/send-event"
        #expect(try mode(installed) == 0o755)
        #expect(try bytes(installed) == (try bytes(sendEvent)))
        #expect(!exists(settingsPath(project) + Installer.backupSuffix))
        #expect(result.stdoutText.contains("created with hook entries for \(HookEvents.installed.count) events"))
        #expect(result.stdoutText.contains("Next steps"))
        // The TLS helper comes along when it sits next to HOOKKIT_BINARY (the package builds one).
        let helper = Executables.path("hookkit-tls")
        let installedFiles = try FileManager.default.contentsOfDirectory(atPath: project + "/.claude/hooks").sorted()
        #expect(installedFiles == (exists(helper) ? ["hookkit-tls", "send-event"] : ["send-event"]))
        if exists(helper) { #expect(try bytes(project + "/.claude/hooks/hookkit-tls") == (try bytes(helper))) }
    }

    @Test func existingSettingsWithOtherHooksThenTwiceThenUninstall() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject()
        let original = """
            {
                "model": "opus",
                "env": {"FOO": "bar"},
                "hooks": {
                    "PreToolUse": [
                        {"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh", "timeout": 5}]}
                    ],
                    "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]
                },
                "cleanupPeriodDays": 1.50
            }

            """
        try write(original, to: settingsPath(project))
        let first = try installScript([project])
        #expect(first.status == 0, "\(first.stderrText)")
        let before = try JSONValue.parse(original)
        let after = try JSONValue.parse(try bytes(settingsPath(project)).map { $0 })
        #expect(after.objectValue?.map(\.key) == ["model", "env", "hooks", "cleanupPeriodDays"])
        for key in ["model", "env", "cleanupPeriodDays"] { #expect(after[key] == before[key]) }
        #expect(
            String(decoding: try bytes(settingsPath(project)), as: UTF8.self).contains(#""cleanupPeriodDays": 1.50"#))
        for event in ["PreToolUse", "Stop"] {
            let groups = try #require(after["hooks"]?[event]?.arrayValue)
            #expect(groups.count == 2)
            #expect(groups[0] == before["hooks"]?[event]?.arrayValue?[0], "the user's group stays first")
            #expect(groups[1]["hooks"]?.arrayValue?.first?["command"] == .string(HookEvents.command))
        }
        #expect(after["hooks"]?.objectValue?.count == HookEvents.installed.count)
        let backup = settingsPath(project) + Installer.backupSuffix
        #expect(try bytes(backup) == Data(original.utf8))

        let installedOnce = try bytes(settingsPath(project))
        let second = try installScript([project])
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(try bytes(settingsPath(project)) == installedOnce)
        #expect(second.stdoutText.contains("nothing changed"))
        #expect(try bytes(backup) == Data(original.utf8))

        let removal = try installScript(["--uninstall", project])
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(try JSONValue.parse(try bytes(settingsPath(project)).map { $0 }) == before)
        #expect(try bytes(backup) == Data(original.utf8))
        #expect(!exists(project + "/.claude/hooks"))
        #expect(removal.stdoutText.contains("removed \(HookEvents.installed.count) HookKit hook entries"))
    }

    @Test func invalidJSONIsRefusedAndTheProjectLeftAsItWas() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject()
        let broken = "{\n  \"hooks\": {\n    \"Stop\": [\n"
        try write(broken, to: settingsPath(project))
        let result = try installScript([project])
        #expect(result.status != 0)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderrText)")
        #expect(lines.first?.contains("\(settingsPath(project)) is not valid JSON") == true, "\(result.stderrText)")
        #expect(try bytes(settingsPath(project)) == Data(broken.utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: project + "/.claude") == ["settings.json"])
    }

    @Test func aPathWithSpacesQuotesAndADollar() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject("my project's $HOME (2)")
        let result = try installScript([project])
        #expect(result.status == 0, "\(result.stderrText)")
        let settings = try JSONValue.parse(try bytes(settingsPath(project)).map { $0 })
        let command = try #require(
            settings["hooks"]?["Stop"]?.arrayValue?.last?["hooks"]?.arrayValue?.first?["command"]?.stringValue)
        #expect(command == HookEvents.command)
        // The command, as sh runs it, names the installed binary whatever the path holds.
        let run = try runProcess(
            "/bin/sh", ["-c", command + " --version"], environment: ["CLAUDE_PROJECT_DIR": project])
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(run.stdoutText == "send-event \(HookKitVersion.current)\n")
        let removal = try installScript(["--uninstall", project])
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(try String(contentsOfFile: settingsPath(project), encoding: .utf8) == "{}\n")
    }

    @Test func pipedIntoBashItNeedsHookKitBinaryAndSaysSo() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject()
        let script = try bytes(Self.script)
        let without = try runProcess(
            "/bin/bash", ["-s", "--", project], stdin: script, environment: ["HOOKKIT_BINARY": ""])
        #expect(without.status != 0)
        #expect(without.stderrText.contains("HOOKKIT_BINARY"), "\(without.stderrText)")
        #expect(without.stderrText.contains("checkout"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: project).isEmpty)
        let with = try runProcess(
            "/bin/bash", ["-s", "--", project], stdin: script, environment: ["HOOKKIT_BINARY": sendEvent])
        #expect(with.status == 0, "\(with.stderrText)")
        #expect(try bytes(settingsPath(project)) == (try bytes(Self.checkout + "/settings.example.json")))
    }

    /// The build path, on a stand-in checkout (install.sh, a Package.swift, Sources/send-event)
    /// with a stand-in `swift` first on PATH that logs its arguments: a real `swift build` here
    /// would wait forever for the .build lock this very `swift test` holds, and a release build
    /// from scratch takes minutes. The stand-in's bin path holds the debug send-event and a fake
    /// hookkit-tls.
    @Test(arguments: [false, true])
    func fromACheckoutItBuildsSendEventAndTheTLSHelperWhenThePackageHasIt(_ packageHasTLS: Bool) throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject()
        let checkout = directory + "/checkout"
        let tools = directory + "/tools"
        let bin = directory + "/bin"
        let log = directory + "/swift.log"
        try FileManager.default.createDirectory(
            atPath: checkout + "/Sources/send-event", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.script, toPath: checkout + "/install.sh")
        try write(
            packageHasTLS ? #"products: [.executable(name: "hookkit-tls", targets: ["hookkit-tls"])]"# : "products: []",
            to: checkout + "/Package.swift")
        try FileManager.default.createSymbolicLink(atPath: bin + "/send-event", withDestinationPath: sendEvent)
        try write("#!/bin/sh\necho tls\n", to: bin + "/hookkit-tls")
        try write(
            "#!/bin/sh\necho \"$PWD|$*\" >> '\(log)'\ncase \"$*\" in *--show-bin-path*) echo '\(bin)' ;; esac\n",
            to: tools + "/swift")
        for tool in [bin + "/hookkit-tls", tools + "/swift"] { chmod(tool, 0o755) }
        let path = tools + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        let result = try runProcess(
            "/bin/bash", [checkout + "/install.sh", project],
            environment: ["HOOKKIT_BINARY": "", "HOOKKIT_BUILD_CONFIGURATION": "", "PATH": path])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("building send-event (release)"))
        #if os(Linux)
        let flags = "-c release --static-swift-stdlib"
        #else
        let flags = "-c release"
        #endif
        var expected = [
            "\(checkout)|build \(flags) --product send-event", "\(checkout)|build \(flags) --show-bin-path",
        ]
        if packageHasTLS { expected.append("\(checkout)|build \(flags) --product hookkit-tls") }
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init) == expected)
        #expect(try bytes(project + "/.claude/hooks/send-event") == (try bytes(sendEvent)))
        #expect(exists(project + "/.claude/hooks/hookkit-tls") == packageHasTLS)
        #expect(try bytes(settingsPath(project)) == (try bytes(Self.checkout + "/settings.example.json")))

        // HOOKKIT_BUILD_CONFIGURATION=debug builds debug; a wrong value is refused before building.
        try FileManager.default.removeItem(atPath: log)
        let debug = try runProcess(
            "/bin/bash", [checkout + "/install.sh", project],
            environment: ["HOOKKIT_BINARY": "", "HOOKKIT_BUILD_CONFIGURATION": "debug", "PATH": path])
        #expect(debug.status == 0, "\(debug.stderrText)")
        #expect(try String(contentsOfFile: log, encoding: .utf8).hasPrefix("\(checkout)|build -c debug"))
        let wrong = try runProcess(
            "/bin/bash", [checkout + "/install.sh", project],
            environment: ["HOOKKIT_BINARY": "", "HOOKKIT_BUILD_CONFIGURATION": "fast", "PATH": path])
        #expect(wrong.status != 0 && wrong.stderrText.contains("release or debug"))

        // Uninstall takes the helper out too.
        let removal = try installScript(["--uninstall", project])
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(!exists(project + "/.claude/hooks"))
    }

    @Test func theInstalledHookRunAsClaudeCodeRunsItReachesTheHub() throws {
        defer { removeTemporaryDirectory(directory) }
        let project = try makeProject("e2e project")
        let install = try installScript([project])
        try #require(install.status == 0, "\(install.stderrText)")
        // The command exactly as settings.json has it for PreToolUse.
        let settings = try JSONValue.parse(try bytes(settingsPath(project)).map { $0 })
        let command = try #require(
            settings["hooks"]?["PreToolUse"]?.arrayValue?.last?["hooks"]?.arrayValue?.first?["command"]?.stringValue)
        let hub = try HubProcess.start(directory: directory)
        let spool = directory + "/spool"
        defer {
            if let pid = FlusherLock.holder(Spool(directory: spool)) { kill(pid, SIGKILL) }
        }
        let session = "install-e2e-\(UUID().uuidString)"
        let input =
            #"{"session_id":"\#(session)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm test"},"tool_use_id":"toolu_1"}"#
        let result = try runProcess(
            "/bin/sh", ["-c", command], stdin: Data(input.utf8),
            environment: [
                "CLAUDE_PROJECT_DIR": project,
                "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:\(hub.port)",
                "CLAUDE_OBSERVABILITY_SPOOL": spool,
                "CLAUDE_OBSERVABILITY_LINGER_MS": "200",
            ])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdout.isEmpty)
        // Await the event at the hub, asking it as a dashboard would.
        var stored: [JSONValue] = []
        let deadline = Date().addingTimeInterval(30)
        while stored.isEmpty && Date() < deadline {
            if let response = try? hub.client.get("/events?session_id=\(session)"), response.status == 200 {
                stored = (try? JSONValue.parse(response.body))?.arrayValue ?? []
            }
            if stored.isEmpty { usleep(10_000) }
        }
        try #require(stored.count == 1, "hub stderr: \(hub.stderrText)")
        let event = stored[0]
        #expect(event["hook_event_type"] == .string("PreToolUse"))
        #expect(event["source_app"] == .string("e2e project"))
        #expect(event["agent_type"] == .string("main"))
        #expect(event["payload"]?["tool_input"]?["command"] == .string("npm test"))
        hub.stop()
    }
}
