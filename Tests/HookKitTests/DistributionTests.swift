import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The curl | bash flow on a machine without Swift: release archives (made by
/// `scripts/release.sh`) served by `hook-hub --downloads`, `install.sh` piped into bash with no
/// `swift` on PATH and a temporary HOME, then the installed hook run the way Claude Code runs it.
@Suite(.serialized) struct DistributionTests {
    let directory: String
    let home: String
    /// PATH without swift (the toolchain lives elsewhere on the build machines).
    static let plainPath = "/usr/bin:/bin"

    init() throws {
        directory = try makeTemporaryDirectory("distribution")
        home = directory + "/home"
        temporary = directory + "/tmp"
        for folder in [home, temporary] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    /// TMPDIR of the shell: install.sh's work folder must be gone after every run.
    let temporary: String

    /// The environment of a user's shell: HOME, PATH, TMPDIR, nothing else.
    var shell: [String: String] { ["HOME": home, "PATH": Self.plainPath, "LANG": "C", "TMPDIR": temporary] }

    func makeFolder(_ name: String) throws -> String {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `curl -fsSL http://127.0.0.1:PORT/install.sh | bash -s -- ARGS` in the user's shell.
    func curlInstall(
        _ hub: HubProcess, _ arguments: [String], environment: [String: String] = [:], in folder: String? = nil
    ) throws -> ProcessResult {
        let quoted = arguments.map { InstallTarget.shellQuoted($0) }.joined(separator: " ")
        return try runIsolated(
            "/bin/bash",
            ["-c", "set -o pipefail; curl -fsSL http://127.0.0.1:\(hub.port)/install.sh | bash -s -- \(quoted)"],
            environment: shell.merging(environment) { $1 }, directory: folder)
    }

    /// Runs the hook command of the settings as Claude Code does (`sh -c`, the settings' env on
    /// top of its own environment) with a PreToolUse event of `session`.
    func runHook(command: String, project: String, session: String) throws -> (ProcessResult, [String: String]) {
        let environment = try claudeCodeEnvironment(project: project, home: home, base: shell)
        let input =
            #"{"session_id":"\#(session)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"make"}}"#
        let result = try runIsolated("/bin/sh", ["-c", command], stdin: Data(input.utf8), environment: environment)
        return (result, environment)
    }

    func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func noSwiftOnThePlainPath() throws {
        defer { removeTemporaryDirectory(directory) }
        let probe = try runIsolated("/bin/sh", ["-c", "command -v swift"], environment: shell)
        #expect(probe.status != 0, "swift is in \(Self.plainPath): these tests would not show a machine without Swift")
    }

    @Test func releaseArchivesAreReproducibleAndHoldTheBinaries() throws {
        defer { removeTemporaryDirectory(directory) }
        let release = try ReleaseFixture.directory()
        let names = try FileManager.default.contentsOfDirectory(atPath: release).sorted()
        #expect(names == ["SHA256SUMS", "install.sh", ReleaseFixture.archiveName].sorted())
        let sums = try contents(release + "/SHA256SUMS")
        #expect(sums.hasSuffix("  \(ReleaseFixture.archiveName)\n"))
        #expect(sums.split(separator: " ").first?.count == 64)
        let list = try runProcess("/usr/bin/env", ["tar", "-tvzf", release + "/" + ReleaseFixture.archiveName])
        let stem = ReleaseFixture.archiveName.replacingOccurrences(of: ".tar.gz", with: "")
        let entries = list.stdoutText.split(separator: "\n")
        #expect(
            entries.map { $0.split(separator: " ").last.map(String.init) ?? "" }
                == ["\(stem)/", "\(stem)/README.txt", "\(stem)/hookkit-tls", "\(stem)/send-event"])
        #expect(entries.allSatisfy { $0.contains(" 0/0 ") && $0.contains("1970-01-01") }, "\(list.stdoutText)")
        // The same binaries packed again give the same bytes.
        let again = directory + "/again"
        let repack = try runProcess(
            "/bin/bash", [ReleaseFixture.checkout + "/scripts/release.sh", again],
            environment: ["HOOKKIT_RELEASE_BINARIES": Executables.directory.path])
        try #require(repack.status == 0, "\(repack.stderrText)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: again + "/" + ReleaseFixture.archiveName))
                == (try Data(contentsOf: URL(fileURLWithPath: release + "/" + ReleaseFixture.archiveName))))
        #expect(try contents(again + "/SHA256SUMS") == sums)
    }

    @Test func curlPipedIntoBashInstallsAndTheHookReportsToThatHub() throws {
        defer { removeTemporaryDirectory(directory) }
        let release = try ReleaseFixture.directory()
        let hub = try HubProcess.start(directory: directory, arguments: ["--downloads", release])
        defer { hub.stop() }
        let project = try makeFolder("my project")
        let result = try curlInstall(hub, [project])
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.isEmpty, "\(result.stderrText)")
        #expect(result.stdoutText.contains("verified \(ReleaseFixture.archiveName)"))
        #expect(listing(temporary).isEmpty)
        let settings = project + "/.claude/settings.json"
        // The hub URL is the one the script was served from, in the settings' env.
        let parsed = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: settings))))
        #expect(parsed["env"]?["CLAUDE_OBSERVABILITY_HUB"] == .string("http://127.0.0.1:\(hub.port)"))
        #expect(try mode(project + "/.claude/hooks/send-event") == 0o755)
        #expect(FileManager.default.isExecutableFile(atPath: project + "/.claude/hooks/hookkit-tls"))

        let command = try #require(try hookCommand(settingsPath: settings))
        let session = "curl-\(UUID().uuidString)"
        let (hook, environment) = try runHook(command: command, project: project, session: session)
        defer { stopFlusher(environment: environment) }
        #expect(hook.status == 0 && hook.stdout.isEmpty, "\(hook.stderrText)")
        let stored = awaitStoredEvents(hub, session: session)
        try #require(stored.count == 1, "hub: \(hub.stderrText)")
        #expect(stored[0]["source_app"] == .string("my project"))
        #expect(stored[0]["hook_event_type"] == .string("PreToolUse"))

        // The installed send-event's doctor, in the same shell: everything passes.
        let doctor = try runIsolated(project + "/.claude/hooks/send-event", ["doctor", project], environment: shell)
        #expect(doctor.status == 0, "\(doctor.stdoutText)")
        #expect(doctor.stdoutText.contains("all "), "\(doctor.stdoutText)")

        // Again: an upgrade in place changes no settings; then the uninstall removes everything.
        let before = try Data(contentsOf: URL(fileURLWithPath: settings))
        let second = try curlInstall(hub, [project])
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: settings)) == before)
        let removal = try runIsolated(
            "/bin/bash", [release + "/install.sh", "--uninstall", project], environment: shell)
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(try contents(settings) == "{}\n")
        #expect(listing(project + "/.claude") == ["settings.json"])
    }

    /// Each broken download: one line on stderr, a non-zero exit, nothing in the project or HOME.
    @Test(arguments: BrokenDownload.allCases)
    func aBrokenDownloadIsRefusedAndNothingInstalled(_ broken: BrokenDownload) throws {
        defer { removeTemporaryDirectory(directory) }
        let downloads = try ReleaseFixture.copy(into: directory)
        try broken.apply(to: downloads)
        let hub = try HubProcess.start(directory: directory, arguments: ["--downloads", downloads])
        defer { hub.stop() }
        let project = try makeFolder("project")
        let result = try curlInstall(hub, [project])
        #expect(result.status != 0)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderrText)")
        #expect(lines.first?.hasPrefix("install.sh: ") == true, "\(result.stderrText)")
        #expect(result.stderrText.contains(broken.expected), "\(result.stderrText)")
        #expect(listing(project).isEmpty)
        #expect(listing(home).isEmpty)
        #expect(listing(temporary).isEmpty)
    }

    enum BrokenDownload: String, CaseIterable, CustomTestStringConvertible {
        case tampered, html, truncated, noLine, archiveMissing, sumsMissing

        var testDescription: String { rawValue }

        var expected: String {
            switch self {
            case .tampered, .truncated: "checksum mismatch"
            case .html: "an HTML page, not an archive"
            case .noLine: "has no line for \(ReleaseFixture.archiveName)"
            case .archiveMissing, .sumsMissing: "404"
            }
        }

        func apply(to folder: String) throws {
            let archive = folder + "/" + ReleaseFixture.archiveName
            var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
            switch self {
            case .tampered: bytes[bytes.count / 2] ^= 0x01
            case .html: bytes = Data("<!DOCTYPE html><html><body>Sign in to continue</body></html>\n".utf8)
            case .truncated: bytes = bytes.prefix(bytes.count / 3)
            case .noLine:
                try Data("\(String(repeating: "0", count: 64))  hookkit-plan9-mips.tar.gz\n".utf8).write(
                    to: URL(fileURLWithPath: folder + "/SHA256SUMS"))
            case .archiveMissing: try FileManager.default.removeItem(atPath: archive)
            case .sumsMissing: try FileManager.default.removeItem(atPath: folder + "/SHA256SUMS")
            }
            if self != .archiveMissing { try bytes.write(to: URL(fileURLWithPath: archive)) }
        }
    }

    @Test func badProjectPathsAreRefusedWithOneLine() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory()])
        defer { hub.stop() }
        let project = try makeFolder("project")
        // A copied path with a newline: today a shell would strip it and name `project`.
        for path in [directory + "/missing", project + "\n", project + "\u{1B}[31m"] {
            let result = try curlInstall(hub, [path])
            #expect(result.status != 0)
            #expect(result.stderrText.split(separator: "\n").count == 1, "\(result.stderrText)")
            #expect(listing(project).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: directory + "/missing"))
        }
        // A folder whose name really has a control character is refused too.
        let odd = try makeFolder("odd\nname")
        let result = try curlInstall(hub, [odd])
        #expect(result.status != 0 && result.stderrText.contains("control character"), "\(result.stderrText)")
        #expect(listing(odd).isEmpty)
    }

    @Test func withoutCurlItUsesWgetAndWithoutEitherItSaysSo() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory()])
        defer { hub.stop() }
        let script = try Data(contentsOf: URL(fileURLWithPath: try ReleaseFixture.directory() + "/install.sh"))
        // A PATH of the tools install.sh uses, curl and wget left out.
        let tools = try makeFolder("tools")
        let needed = [
            "bash", "sh", "mktemp", "rm", "rmdir", "mkdir", "cp", "mv", "chmod", "ln", "uname", "id", "dirname", "sed",
            "tr", "awk", "head", "grep", "wc", "tar", "gzip", "sha256sum", "cat",
        ]
        for tool in needed {
            guard let found = PlainTools.find(tool) else { continue }
            try FileManager.default.createSymbolicLink(atPath: tools + "/" + tool, withDestinationPath: found)
        }
        let url = "http://127.0.0.1:\(hub.port)/downloads"
        let project = try makeFolder("project")
        let without = try runIsolated(
            "/bin/bash", ["-s", "--", project], stdin: script,
            environment: ["HOME": home, "PATH": tools, "HOOKKIT_DOWNLOAD_URL": url])
        #expect(without.status != 0)
        #expect(
            without.stderrText
                == "install.sh: neither curl nor wget is installed: install one of them, or set HOOKKIT_BINARY to a send-event; nothing installed\n"
        )
        #expect(listing(project).isEmpty)

        guard let wget = PlainTools.find("wget") else {
            // .ci/run installs wget; elsewhere say so and skip the wget half.
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("wget is not installed (.ci/run installs it): the wget download path is untested")
            } else {
                print("note: wget is not installed; skipping the wget download path (apt-get install wget)")
            }
            return
        }
        try FileManager.default.createSymbolicLink(atPath: tools + "/wget", withDestinationPath: wget)
        let with = try runIsolated(
            "/bin/bash", ["-s", "--", project], stdin: script,
            environment: ["HOME": home, "PATH": tools, "HOOKKIT_DOWNLOAD_URL": url])
        #expect(with.status == 0, "\(with.stderrText)")
        #expect(FileManager.default.isExecutableFile(atPath: project + "/.claude/hooks/send-event"))
        // A 404 through wget is one line too.
        let missing = try runIsolated(
            "/bin/bash", ["-s", "--", try makeFolder("other")], stdin: script,
            environment: ["HOME": home, "PATH": tools, "HOOKKIT_DOWNLOAD_URL": url + "/nothing-here"])
        #expect(missing.status != 0 && missing.stderrText.split(separator: "\n").count == 1, "\(missing.stderrText)")
        #expect(missing.stderrText.contains("404"), "\(missing.stderrText)")
    }

    @Test func aUserInstallReportsEveryProjectAndExcludesAProjectInstall() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory()])
        defer { hub.stop() }
        let result = try curlInstall(hub, ["--user"])
        try #require(result.status == 0, "\(result.stderrText)")
        let userSettings = home + "/.claude/settings.json"
        let command = try #require(try hookCommand(settingsPath: userSettings))
        #expect(command == "'\(home)/.claude/hooks/send-event'")
        #expect(FileManager.default.isExecutableFile(atPath: home + "/.claude/hooks/send-event"))

        // Any project reports through it.
        let project = try makeFolder("some project")
        let session = "user-\(UUID().uuidString)"
        let (hook, environment) = try runHook(command: command, project: project, session: session)
        defer { stopFlusher(environment: environment) }
        #expect(hook.status == 0, "\(hook.stderrText)")
        let stored = awaitStoredEvents(hub, session: session)
        #expect(stored.count == 1 && stored.first?["source_app"] == .string("some project"), "\(hub.stderrText)")

        // A project install on top would record each event twice: refused, nothing installed.
        let other = try makeFolder("other")
        let refused = try curlInstall(hub, [other])
        #expect(refused.status != 0)
        #expect(refused.stderrText.split(separator: "\n").count == 1, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("already installed for the user in \(userSettings)"))
        #expect(listing(other).isEmpty)

        // Uninstall: the entries, the env variable it wrote and the binaries go.
        let removal = try runIsolated(
            "/bin/bash", [try ReleaseFixture.directory() + "/install.sh", "--uninstall", "--user"], environment: shell)
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(try contents(userSettings) == "{}\n")
        #expect(!FileManager.default.fileExists(atPath: home + "/.claude/hooks"))
    }

    @Test func aUserInstallIsRefusedWhereAProjectInstallExists() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory()])
        defer { hub.stop() }
        let project = try makeFolder("project")
        try #require(try curlInstall(hub, [project]).status == 0)
        // From inside the project...
        let here = try curlInstall(hub, ["--user"], in: project)
        #expect(here.status != 0 && here.stderrText.contains("already installed in a project"), "\(here.stderrText)")
        // ...and from elsewhere, when Claude Code's state file lists the project.
        try Data(#"{"projects":{"\#(project)":{"allowedTools":[]}}}"#.utf8).write(
            to: URL(fileURLWithPath: home + "/.claude.json"))
        let elsewhere = try curlInstall(hub, ["--user"], in: directory)
        #expect(elsewhere.status != 0 && elsewhere.stderrText.contains(project), "\(elsewhere.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: home + "/.claude"))
    }

    @Test func theSecretGoesOnlyIntoTheLocalSettingsAndDoctorChecksIt() throws {
        defer { removeTemporaryDirectory(directory) }
        let secret = "whsec_" + Data((0..<24).map { UInt8($0 * 7 & 0xFF) }).base64EncodedString()
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory(), "--secret", secret])
        defer { hub.stop() }
        let project = try makeFolder("project")
        let git = try runIsolated("/usr/bin/env", ["git", "init", "-q", project], environment: shell)
        try #require(git.status == 0, "git init: \(git.stderrText)")

        let result = try curlInstall(hub, [project], environment: ["CLAUDE_OBSERVABILITY_SECRET": secret])
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(!result.stdoutText.contains(secret) && !result.stderrText.contains(secret))
        let local = project + "/.claude/settings.local.json"
        #expect(try mode(local) == 0o600)
        #expect(try contents(local).contains(secret))
        for path in [project + "/.claude/settings.json", project + "/.claude/hooks/" + InstallRecord.fileName] {
            #expect(!(try contents(path)).contains(secret), "\(path) holds the secret")
        }
        // git ignores the local settings now.
        let ignored = try runIsolated(
            "/usr/bin/env", ["git", "-C", project, "check-ignore", "-q", ".claude/settings.local.json"],
            environment: shell)
        let gitIgnore = (try? contents(project + "/.gitignore")) ?? "(none)"
        #expect(ignored.status == 0, "\(gitIgnore)")
        #expect(gitIgnore.contains(".claude/settings.local.json\n"))

        // The hook, as Claude Code runs it, signs with the secret and the hub stores the event.
        let command = try #require(try hookCommand(settingsPath: project + "/.claude/settings.json"))
        let session = "secret-\(UUID().uuidString)"
        let (hook, environment) = try runHook(command: command, project: project, session: session)
        defer { stopFlusher(environment: environment) }
        #expect(hook.status == 0)
        #expect(awaitStoredEvents(hub, session: session).count == 1, "\(hub.stderrText)")

        let sendEvent = project + "/.claude/hooks/send-event"
        let passing = try runIsolated(sendEvent, ["doctor", project, "--json"], environment: shell)
        #expect(passing.status == 0, "\(passing.stdoutText)")
        let report = try JSONValue.parse(Array(passing.stdout))
        #expect(report["ok"] == .bool(true))
        let names = report["checks"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["version", "hooks", "hub_url", "hub_reachable", "signature", "spool", "queue"])

        // A wrong secret: the signed probe is refused.
        let wrong = try contents(local).replacingOccurrences(
            of: secret, with: "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")
        try Data(wrong.utf8).write(to: URL(fileURLWithPath: local))
        let rejected = try runIsolated(sendEvent, ["doctor", project], environment: shell)
        #expect(rejected.status == 1)
        #expect(rejected.stdoutText.contains("secret rejected by the hub"), "\(rejected.stdoutText)")

        // Uninstall leaves the variable the user changed since, and removes what it wrote.
        let removal = try runIsolated(
            "/bin/bash", [try ReleaseFixture.directory() + "/install.sh", "--uninstall", project], environment: shell)
        #expect(removal.status == 0, "\(removal.stderrText)")
        #expect(try contents(local).contains("d3Jvbmctc2VjcmV0"))
        let settings = try JSONValue.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: project + "/.claude/settings.json"))))
        #expect(settings["env"] == nil)
    }

    @Test func doctorFailsWhenTheHubIsDown() throws {
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--downloads", try ReleaseFixture.directory()])
        let project = try makeFolder("project")
        try #require(try curlInstall(hub, [project]).status == 0)
        hub.stop()
        let doctor = try runIsolated(project + "/.claude/hooks/send-event", ["doctor", project], environment: shell)
        #expect(doctor.status == 1)
        let failing = doctor.stdoutText.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(failing.first?.contains("hub_reachable") == true, "\(doctor.stdoutText)")
        #expect(doctor.stdoutText.contains("fix: start the hub"))
    }
}

/// Finds tools on the ordinary PATH, for building a smaller one.
enum PlainTools {
    static func find(_ tool: String) -> String? {
        for folder in ["/usr/bin", "/bin", "/usr/local/bin"] {
            let path = folder + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
