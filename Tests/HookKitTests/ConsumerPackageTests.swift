import Foundation
import HookKit
import Testing

/// HookKit as another package sees it: a versioned dependency from a tagged git repository.
///
/// The test copies this working tree (its tracked and new files, changes included) into a git
/// repository and tags it, then builds a consumer package that depends on it with
/// `.package(url:from:)`: one executable imports HookKit next to the standard library's `Clock`
/// and `Duration` and emits an event with `EventEmitter` + `flush()`, another depends on the
/// `send-event` executable product (which SwiftPM refuses from a versioned dependency when it
/// carries unsafe flags). The consumer then runs against a hook-hub started here.
///
/// It keeps its repository, consumer and build folder in `.build/consumer-test`, so that a
/// second run only recompiles what changed (the first one compiles HookKit, about half a minute).
@Suite struct ConsumerPackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let work = root + "/.build/consumer-test"

    @Test func aPackageDependingOnATaggedHookKitBuildsAndDeliversThroughEventEmitter() throws {
        try FileManager.default.createDirectory(atPath: Self.work, withIntermediateDirectories: true)
        let repository = try Self.tagWorkingTree(into: Self.work + "/HookKit")
        let consumer = try Self.writeConsumer(at: Self.work + "/Consumer", dependency: repository)
        let scratch = Self.work + "/scratch"
        // Resolve again every time: the newest tag is the working tree as it is now.
        let update = try runProcess(
            "/usr/bin/env", ["swift", "package", "--package-path", consumer, "--scratch-path", scratch, "update"])
        try #require(update.status == 0, "consumer resolution failed:\n\(update.stdoutText)\n\(update.stderrText)")
        let build = try runProcess(
            "/usr/bin/env", ["swift", "build", "--package-path", consumer, "--scratch-path", scratch])
        try #require(build.status == 0, "consumer build failed:\n\(build.stdoutText)\n\(build.stderrText)")

        // The send-event product was built for the consumer, and runs.
        let version = try runProcess(scratch + "/debug/send-event", ["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText.hasPrefix("send-event \(HookKitVersion.current)"))

        let directory = try makeTemporaryDirectory("consumer")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        let run = try runProcess(
            scratch + "/debug/consumer", [],
            environment: [
                "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:\(hub.port)",
                "CLAUDE_OBSERVABILITY_SPOOL": directory + "/spool",
            ])
        #expect(run.status == 0, "\(run.stdoutText)\(run.stderrText)")
        let printed = run.stdoutText.split(separator: " ").first.map(String.init)
        let events = try hub.storeLines.map { try JSONValue.parse($0) }
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["event_uuid"]?.stringValue == printed, "the id the consumer got from send")
        #expect(event["source_app"]?.stringValue == "my-tool")
        #expect(event["hook_event_type"]?.stringValue == "Build")
        #expect(event["payload"] == ["session_id": "s1", "hook_event_name": "Build", "ok": true, "n": 3])
    }

    /// Copies the working tree into a git repository at `path` and tags it, a new `1.0.N` for
    /// every change (so that SwiftPM, which caches what it fetched, sees a new version). Returns
    /// the repository's path.
    static func tagWorkingTree(into path: String) throws -> String {
        let git = { (arguments: [String], directory: String) throws -> ProcessResult in
            let result = try runProcess(
                "/usr/bin/env", ["git", "-C", directory] + arguments,
                environment: [
                    "GIT_AUTHOR_NAME": "HookKit tests", "GIT_AUTHOR_EMAIL": "tests@hookkit.invalid",
                    "GIT_COMMITTER_NAME": "HookKit tests", "GIT_COMMITTER_EMAIL": "tests@hookkit.invalid",
                ])
            guard result.status == 0 else {
                throw ConsumerTestError("git \(arguments.joined(separator: " ")): \(result.stderrText)")
            }
            return result
        }
        let manager = FileManager.default
        if !manager.fileExists(atPath: path + "/.git") {
            try? manager.removeItem(atPath: path)
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            _ = try git(["init", "-q"], path)
        }
        // The tree as it is, uncommitted changes and new files included, ignored files not.
        let listed = try git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root)
        for entry in try manager.contentsOfDirectory(atPath: path) where entry != ".git" {
            try manager.removeItem(atPath: path + "/" + entry)
        }
        // A set: during a merge, git lists a conflicted file once per stage.
        for file in Set(listed.stdoutText.split(separator: "\0").map(String.init)).sorted() {
            let source = root + "/" + file
            guard manager.fileExists(atPath: source) else { continue }  // deleted, not yet committed
            let target = path + "/" + file
            try manager.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try manager.copyItem(atPath: source, toPath: target)
        }
        _ = try git(["add", "-A"], path)
        let changed = !(try git(["status", "--porcelain"], path)).stdoutText.isEmpty
        let tags = try git(["tag", "--list", "1.0.*"], path).stdoutText.split(separator: "\n")
        if changed || tags.isEmpty {
            _ = try git(["commit", "-q", "--allow-empty", "-m", "HookKit working tree"], path)
            _ = try git(["tag", "1.0.\(tags.count)"], path)
        }
        return path
    }

    /// Writes the consumer package: `consumer` (the library, `Clock` and `Duration`, EventEmitter)
    /// and `hook-tools` (depends on the `send-event` executable product).
    static func writeConsumer(at path: String, dependency: String) throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path + "/Sources/consumer", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: path + "/Sources/hook-tools", withIntermediateDirectories: true)
        let manifest = """
            // swift-tools-version: 6.0
            import PackageDescription

            let package = Package(
                name: "Consumer",
                platforms: [.macOS(.v13)],
                dependencies: [.package(url: "file://\(dependency)", from: "1.0.0")],
                targets: [
                    .executableTarget(name: "consumer", dependencies: [.product(name: "HookKit", package: "HookKit")]),
                    .executableTarget(name: "hook-tools", dependencies: [.product(name: "send-event", package: "HookKit")]),
                ]
            )

            """
        let consumer = """
            import HookKit

            /// How long `body` takes on `clock`: the standard library's Clock and Duration, next to HookKit.
            func measure<T>(_ clock: some Clock<Duration>, _ body: () throws -> T) rethrows -> (T, Duration) {
                let start = clock.now
                let result = try body()
                return (result, start.duration(to: clock.now))
            }

            @main struct Consumer {
                static func main() throws {
                    let (id, took) = try measure(ContinuousClock()) {
                        let emitter = try EventEmitter(sourceApp: "my-tool")
                        let id = try emitter.send(["session_id": "s1", "hook_event_name": "Build", "ok": true, "n": 3])
                        try emitter.flush()   // returns once everything queued is delivered, or throws the reason
                        return id
                    }
                    print("\\(id) delivered in \\(took)")
                }
            }

            """
        let tools = """
            // Depends on HookKit's send-event executable product, which SwiftPM builds next to this.
            print("send-event is built next to hook-tools")

            """
        // Rewritten only when different, so that a second run has nothing of its own to rebuild.
        for (file, text) in [
            ("Package.swift", manifest), ("Sources/consumer/Consumer.swift", consumer),
            ("Sources/hook-tools/main.swift", tools),
        ] where (try? String(contentsOfFile: path + "/" + file, encoding: .utf8)) != text {
            try text.write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
        }
        return path
    }
}

struct ConsumerTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
