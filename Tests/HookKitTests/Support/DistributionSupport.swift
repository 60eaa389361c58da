import Foundation
import HookKit
import HookKitSystem

/// Runs `executable` with exactly `environment` (nothing inherited from the test process: no
/// `swift` on PATH unless given, no stray HOOKKIT_ or CLAUDE_ variables), stdin from `stdin`,
/// in `directory` when given.
func runIsolated(
    _ executable: String, _ arguments: [String], stdin: Data = Data(), environment: [String: String],
    directory: String? = nil
) throws -> ProcessResult {
    try runProcess(
        executable, arguments, stdin: stdin, environment: environment, inheritingEnvironment: false,
        directory: directory)
}

/// Release archives made by `scripts/release.sh` from the binaries this test run built (its
/// `HOOKKIT_RELEASE_BINARIES` mode: the same packing as a release build, without compiling
/// again), once per test process, in `.build/<configuration>/test-release`.
enum ReleaseFixture {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `hookkit-<os>-<arch>.tar.gz` for this machine.
    static var archiveName: String {
        #if os(Linux)
        let os = "linux"
        #else
        let os = "macos"
        #endif
        #if arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "aarch64"
        #endif
        return "hookkit-\(os)-\(arch).tar.gz"
    }

    private static let made: Result<String, ReleaseFixtureError> = {
        let directory = Executables.directory.appendingPathComponent("test-release").path
        try? FileManager.default.removeItem(atPath: directory)
        do {
            let result = try runProcess(
                "/bin/bash", [checkout + "/scripts/release.sh", directory],
                environment: ["HOOKKIT_RELEASE_BINARIES": Executables.directory.path])
            guard result.status == 0 else { return .failure(ReleaseFixtureError(message: result.stderrText)) }
        } catch {
            return .failure(ReleaseFixtureError(message: "\(error)"))
        }
        return .success(directory)
    }()

    /// The folder with the archive, `SHA256SUMS` and `install.sh`.
    static func directory() throws -> String { try made.get() }

    /// A copy of the release folder in `parent/name`, for a test to damage.
    static func copy(into parent: String, name: String = "downloads") throws -> String {
        let source = try directory()
        let target = parent + "/" + name
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: target + "/" + file)
        }
        return target
    }
}

struct ReleaseFixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { "scripts/release.sh failed: \(message)" }
}

/// The environment Claude Code gives a hook: its own (`base`), then the `env` of
/// `~/.claude/settings.json`, of `.claude/settings.json` and of `.claude/settings.local.json`
/// (later ones win), and `CLAUDE_PROJECT_DIR`.
func claudeCodeEnvironment(project: String, home: String, base: [String: String]) throws -> [String: String] {
    var environment = base
    for path in [
        home + "/.claude/settings.json", project + "/.claude/settings.json",
        project + "/.claude/settings.local.json",
    ]
    where FileManager.default.fileExists(atPath: path) {
        let settings = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        for member in settings["env"]?.objectValue ?? [] {
            if let value = member.value.stringValue { environment[member.key] = value }
        }
    }
    environment["CLAUDE_PROJECT_DIR"] = project
    return environment
}

/// The hook command the settings at `path` give `event`.
func hookCommand(settingsPath path: String, event: String = "PreToolUse") throws -> String? {
    let settings = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    return settings["hooks"]?[event]?.arrayValue?.last?["hooks"]?.arrayValue?.first?["command"]?.stringValue
}

/// Polls `GET /events?session_id=` until an event arrives or 30 s pass.
func awaitStoredEvents(_ hub: HubProcess, session: String) -> [JSONValue] {
    // From the store file, not GET /events: with a secret the hub answers reads only with a token.
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
        let lines = ((try? String(contentsOfFile: hub.storePath, encoding: .utf8)) ?? "").split(separator: "\n")
        let events = lines.compactMap { try? JSONValue.parse(Array($0.utf8)) }.filter {
            $0["session_id"]?.stringValue == session
        }
        if !events.isEmpty { return events }
        usleep(10_000)
    }
    return []
}

/// Kills the background flusher of the spool `environment` points at, if one is still lingering.
func stopFlusher(environment: [String: String]) {
    let spool = Spool(directory: Configuration(environment: environment).spoolDirectory)
    if let pid = FlusherLock.holder(spool) { kill(pid, SIGKILL) }
}

/// Every entry below `path`, relative to it, sorted ("" entries for an empty folder).
func listing(_ path: String) -> [String] {
    ((FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []).sorted()
}
