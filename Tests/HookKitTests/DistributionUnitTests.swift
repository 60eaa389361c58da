import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The pieces of the distribution work, in process: the settings `env` merge, the install of the
/// hub URL and secret with its record and rollback, and what `hook-hub --downloads` serves.
@Suite struct SettingsEnvTests {
    @Test func setKeepsEveryOtherVariableAndKeyInPlace() throws {
        let original = try JSONValue.parse(#"{"model":"opus","env":{"FOO":"1","BAR":"2"},"hooks":{}}"#)
        let added = try SettingsEnv.set("CLAUDE_OBSERVABILITY_HUB", to: "http://hub:4000", in: original)
        #expect(added.change == .added)
        #expect(added.settings.objectValue?.map(\.key) == ["model", "env", "hooks"])
        #expect(added.settings["env"]?.objectValue?.map(\.key) == ["FOO", "BAR", "CLAUDE_OBSERVABILITY_HUB"])
        let again = try SettingsEnv.set("CLAUDE_OBSERVABILITY_HUB", to: "http://hub:4000", in: added.settings)
        #expect(again.change == .unchanged && again.settings == added.settings)
        let replaced = try SettingsEnv.set("FOO", to: "3", in: added.settings)
        #expect(replaced.change == .replaced(previous: "1"))
        #expect(replaced.settings["env"]?.objectValue?.map(\.key) == ["FOO", "BAR", "CLAUDE_OBSERVABILITY_HUB"])
        let fresh = try SettingsEnv.set("X", to: "y", in: try JSONValue.parse(#"{"a":1}"#))
        #expect(fresh.settings.serialized() == #"{"a":1,"env":{"X":"y"}}"#)
    }

    @Test func anEnvOfAnotherShapeIsRefused() throws {
        #expect(throws: SettingsMergeError.wrongType(path: "env", expected: "an object", found: "an array")) {
            try SettingsEnv.set("X", to: "y", in: try JSONValue.parse(#"{"env":[]}"#))
        }
        #expect(throws: SettingsMergeError.rootNotAnObject(found: "a string")) {
            try SettingsEnv.set("X", to: "y", in: .string("no"))
        }
    }

    @Test func removeTakesOnlyAMatchingValueAndAnEmptiedEnv() throws {
        let settings = try JSONValue.parse(#"{"env":{"A":"1","B":"2"},"z":0}"#)
        let kept = SettingsEnv.remove("A", from: settings) { $0 == "other" }
        #expect(!kept.removed && kept.settings == settings)
        let one = SettingsEnv.remove("A", from: settings) { $0 == "1" }
        #expect(one.removed && one.settings.serialized() == #"{"env":{"B":"2"},"z":0}"#)
        let both = SettingsEnv.remove("B", from: one.settings) { _ in true }
        #expect(both.settings.serialized() == #"{"z":0}"#)
        // An env that was empty before stays.
        let empty = try JSONValue.parse(#"{"env":{}}"#)
        #expect(SettingsEnv.remove("A", from: empty) { _ in true }.settings == empty)
    }

    @Test func hubURLValidation() {
        for good in ["http://127.0.0.1:4000", "https://hub.example.com", "http://[::1]:4000/base", "HTTP://Hub"] {
            #expect(Configuration.hubProblem(good) == nil, "\(good)")
        }
        for bad in [
            "", "hub:4000", "ftp://hub", "http://", "http://a b", "http://hub\n", "http://hub\r\nX: y",
            "http://h'ub", "http://hub:0", "http://hub:99999", "http://u@hub",
        ] {
            #expect(Configuration.hubProblem(bad) != nil, "\(bad)")
        }
        #expect(Configuration.normalizedHub("http://hub:4000//") == "http://hub:4000")
    }
}

@Suite struct InstallOperationTests {
    let directory: String
    let home: String
    let project: String

    init() throws {
        directory = try makeTemporaryDirectory("install-operation")
        home = directory + "/home"
        project = directory + "/project"
        for folder in [home, project] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
    func document(_ path: String) throws -> JSONValue { try JSONValue.parse(try read(path)) }
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func theHubGoesIntoEnvAndOutAgainUnlessChanged() throws {
        defer { removeTemporaryDirectory(directory) }
        let settings = project + "/.claude/settings.json"
        try write(#"{"env": {"FOO": "bar"}, "model": "opus"}"#, settings)
        let target = InstallTarget.project(project)
        let outcome = try InstallOperation.install(InstallRequest(target: target, hub: "http://hub:4000/", home: home))
        #expect(outcome.hub == .added)
        #expect(
            try document(settings)["env"]?.serialized()
                == #"{"FOO":"bar","CLAUDE_OBSERVABILITY_HUB":"http://hub:4000"}"#)
        #expect(try mode(target.recordPath) == 0o600)
        // Installing again with the same hub changes nothing; another hub replaces it.
        let same = try InstallOperation.install(InstallRequest(target: target, hub: "http://hub:4000", home: home))
        #expect(same.hub == .unchanged && !same.report.wroteSettings)
        let uninstalled = try InstallOperation.uninstall(target)
        #expect(uninstalled.removedVariables == ["settings.json: CLAUDE_OBSERVABILITY_HUB"])
        #expect(try document(settings).serialized() == #"{"env":{"FOO":"bar"},"model":"opus"}"#)
        #expect(!FileManager.default.fileExists(atPath: target.recordPath))

        // A value the user changed after the install stays.
        _ = try InstallOperation.install(InstallRequest(target: target, hub: "http://hub:4000", home: home))
        let edited = try read(settings).replacingOccurrences(of: "http://hub:4000", with: "http://mine:1")
        try write(edited, settings)
        let kept = try InstallOperation.uninstall(target)
        #expect(kept.removedVariables.isEmpty)
        #expect(try document(settings)["env"]?["CLAUDE_OBSERVABILITY_HUB"] == .string("http://mine:1"))
    }

    @Test func aHubSetBeforeTheInstallIsNotTakenOutByTheUninstall() throws {
        defer { removeTemporaryDirectory(directory) }
        let settings = project + "/.claude/settings.json"
        try write(#"{"env": {"CLAUDE_OBSERVABILITY_HUB": "http://hub:4000"}}"#, settings)
        let target = InstallTarget.project(project)
        let outcome = try InstallOperation.install(InstallRequest(target: target, hub: "http://hub:4000", home: home))
        #expect(outcome.hub == .unchanged)
        _ = try InstallOperation.uninstall(target)
        #expect(try document(settings).serialized() == #"{"env":{"CLAUDE_OBSERVABILITY_HUB":"http://hub:4000"}}"#)
    }

    @Test func refusalsChangeNothing() throws {
        defer { removeTemporaryDirectory(directory) }
        let target = InstallTarget.project(project)
        #expect(throws: InstallOperationError.self) {
            try InstallOperation.install(InstallRequest(target: target, hub: "http://hub:4000\n", home: home))
        }
        #expect(throws: InstallOperationError.projectIsHome(home)) {
            try InstallOperation.install(InstallRequest(target: .project(home), home: home))
        }
        #expect(throws: InstallOperationError.controlCharacter(project + "\n")) {
            try InstallOperation.install(InstallRequest(target: .project(project + "\n"), home: home))
        }
        #expect(throws: InstallOperationError.unusableSecret) {
            try InstallOperation.install(InstallRequest(target: target, secret: "whsec_!!!", home: home))
        }
        #expect(listing(project).isEmpty)
        #expect(listing(home).isEmpty)
    }

    @Test func theSecretGoesIntoTheLocalSettingsWithMode0600() throws {
        defer { removeTemporaryDirectory(directory) }
        let target = InstallTarget.project(project)
        let outcome = try InstallOperation.install(
            InstallRequest(target: target, hub: "http://hub:4000", secret: "s3cret-value", home: home))
        let local = try #require(target.localSettingsPath)
        #expect(outcome.secret == .added && outcome.secretPath == local)
        #expect(try mode(local) == 0o600)
        #expect(try document(local).serialized() == #"{"env":{"CLAUDE_OBSERVABILITY_SECRET":"s3cret-value"}}"#)
        for path in [target.settingsPath, target.recordPath] { #expect(!(try read(path)).contains("s3cret")) }
        // The uninstall removes the file it created once it is empty again.
        let removal = try InstallOperation.uninstall(target)
        #expect(removal.removedFiles == [local])
        #expect(!FileManager.default.fileExists(atPath: local))
    }

    @Test func aFailureOnSettingsJSONPutsTheLocalSettingsBack() throws {
        defer { removeTemporaryDirectory(directory) }
        let target = InstallTarget.project(project)
        let local = try #require(target.localSettingsPath)
        let localText = #"{"permissions": {"allow": ["Bash(ls)"]}}"#
        try write(localText, local)
        chmod(local, 0o644)
        let brokenShape = #"{"hooks": "none"}"#
        try write(brokenShape, target.settingsPath)
        #expect(throws: InstallOperationError.self) {
            try InstallOperation.install(InstallRequest(target: target, secret: "s3cret", home: home))
        }
        #expect(try read(local) == localText)
        #expect(try mode(local) == 0o644)
        #expect(try read(target.settingsPath) == brokenShape)
        #expect(listing(project + "/.claude") == ["settings.json", "settings.local.json"])
    }

    @Test func aUserInstallKeepsTheSecretInItsSettingsMadePrivate() throws {
        defer { removeTemporaryDirectory(directory) }
        let target = InstallTarget.user(home: home)
        try write(#"{"model": "opus"}"#, target.settingsPath)
        chmod(target.settingsPath, 0o644)
        let outcome = try InstallOperation.install(
            InstallRequest(target: target, hub: "https://hub.example.com", secret: "s3cret", home: home))
        #expect(outcome.secret == .added && outcome.secretPath == target.settingsPath)
        #expect(try mode(target.settingsPath) == 0o600)
        let settings = try document(target.settingsPath)
        #expect(settings["env"]?["CLAUDE_OBSERVABILITY_SECRET"] == .string("s3cret"))
        let command = try #require(
            settings["hooks"]?["Stop"]?.arrayValue?.last?["hooks"]?.arrayValue?.first?["command"]?.stringValue)
        #expect(command == "'\(home)/.claude/hooks/send-event'")
        _ = try InstallOperation.uninstall(target)
        #expect(try document(target.settingsPath).serialized() == #"{"model":"opus"}"#)
    }

    @Test func theTwoKindsExcludeEachOther() throws {
        defer { removeTemporaryDirectory(directory) }
        _ = try InstallOperation.install(InstallRequest(target: .user(home: home), home: home))
        #expect(
            throws: InstallOperationError.otherKindInstalled(
                existing: .user, settingsPath: home + "/.claude/settings.json")
        ) {
            try InstallOperation.install(InstallRequest(target: .project(project), home: home))
        }
        _ = try InstallOperation.uninstall(.user(home: home))
        _ = try InstallOperation.install(InstallRequest(target: .project(project), home: home))
        #expect(
            throws: InstallOperationError.otherKindInstalled(
                existing: .project, settingsPath: project + "/.claude/settings.json")
        ) {
            try InstallOperation.install(
                InstallRequest(target: .user(home: home), home: home, currentDirectory: project))
        }
    }

    @Test func shellQuotingOfTheUserCommand() throws {
        defer { removeTemporaryDirectory(directory) }
        #expect(InstallTarget.shellQuoted("/home/o'neil/x") == #"'/home/o'\''neil/x'"#)
        let run = try runProcess("/bin/sh", ["-c", "printf %s " + InstallTarget.shellQuoted("a 'b' $HOME `c`")])
        #expect(run.stdoutText == "a 'b' $HOME `c`")
        #expect(InstallTarget.isHookKitCommand(HookEvents.command))
        #expect(InstallTarget.isHookKitCommand("'/home/me/.claude/hooks/send-event'"))
        #expect(!InstallTarget.isHookKitCommand("./guard.sh"))
    }
}

@Suite struct DownloadsTests {
    let directory: String

    init() throws {
        directory = try makeTemporaryDirectory("downloads")
        let files = [
            "install.sh": "#!/bin/sh\nHOOKKIT_DEFAULT_DOWNLOAD_URL=''\nHOOKKIT_DEFAULT_HUB=''\necho hi\n",
            "hookkit-linux-x86_64.tar.gz": "archive bytes", "SHA256SUMS": "sums\n", ".hidden": "no",
            "sub/inner": "no",
        ]
        for (name, text) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        try FileManager.default.createSymbolicLink(atPath: directory + "/out", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/latest.tar.gz", withDestinationPath: "hookkit-linux-x86_64.tar.gz")
    }

    func get(_ downloads: Downloads, _ target: String, host: String? = "hub.local:4000") -> HTTPResponse? {
        var headers: HTTPHeaders = [:]
        if let host { headers.add("Host", host) }
        return downloads.handle(HTTPRequest(method: "GET", target: target, headers: headers))
    }

    @Test func filesDirectlyInTheFolderOnly() throws {
        defer { removeTemporaryDirectory(directory) }
        let downloads = try Downloads(directory: directory)
        let archive = get(downloads, "/downloads/hookkit-linux-x86_64.tar.gz")
        #expect(archive?.status == 200 && archive?.bodyText == "archive bytes")
        #expect(archive?.headers["Content-Type"] == "application/gzip")
        #expect(get(downloads, "/downloads/latest.tar.gz")?.bodyText == "archive bytes", "a link inside the folder")
        for target in [
            "/downloads/", "/downloads/..", "/downloads/../etc/passwd", "/downloads/sub/inner", "/downloads/sub",
            "/downloads/.hidden", "/downloads/out", "/downloads/nothing", "/downloads/%2e%2e",
        ] {
            #expect(get(downloads, target)?.status == 404, "\(target)")
        }
        #expect(get(downloads, "/events") == nil && get(downloads, "/healthz") == nil)
        let post = downloads.handle(HTTPRequest(method: "POST", target: "/install.sh"))
        #expect(post?.status == 405 && post?.headers["Allow"] == "GET")
    }

    @Test func theInstallerGetsThisHubAsItsDefaults() throws {
        defer { removeTemporaryDirectory(directory) }
        let downloads = try Downloads(directory: directory)
        let script = try #require(get(downloads, "/install.sh"))
        #expect(script.status == 200)
        #expect(
            script.bodyText
                == "#!/bin/sh\nHOOKKIT_DEFAULT_DOWNLOAD_URL='http://hub.local:4000/downloads'\nHOOKKIT_DEFAULT_HUB='http://hub.local:4000'\necho hi\n"
        )
        for host in [nil, "", "a b", "hub:4000/x", "hub'", "hub:99999", "[::1", "hub\r\nX: 1"] {
            #expect(get(downloads, "/install.sh", host: host)?.status == 400, "\(String(describing: host))")
        }
        #expect(get(downloads, "/install.sh", host: "[::1]:4000")?.bodyText.contains("'http://[::1]:4000'") == true)
        let public_ = try Downloads(directory: directory, publicURL: "https://hub.example.com/")
        #expect(
            get(public_, "/install.sh", host: "evil")?.bodyText.contains(
                "HOOKKIT_DEFAULT_HUB='https://hub.example.com'\n") == true)
        #expect(throws: DownloadsError.self) { try Downloads(directory: directory, publicURL: "https://x'y") }
        #expect(throws: DownloadsError.self) { try Downloads(directory: directory + "/nothing") }
    }

    @Test func aFileReplacedInPlaceIsServedAnew() throws {
        defer { removeTemporaryDirectory(directory) }
        let downloads = try Downloads(directory: directory)
        let path = directory + "/SHA256SUMS"
        #expect(get(downloads, "/downloads/SHA256SUMS")?.bodyText == "sums\n")
        // Same size, same inode, new bytes (the cache must see the new modification time).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("SUMS\n".utf8))
        try handle.close()
        #expect(get(downloads, "/downloads/SHA256SUMS")?.bodyText == "SUMS\n")
        try Data("other size\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        #expect(get(downloads, "/downloads/SHA256SUMS")?.bodyText == "other size\n")
    }

    @Test func aScriptWithoutTheDefaultLinesIsNotServed() throws {
        defer { removeTemporaryDirectory(directory) }
        try Data("#!/bin/sh\necho other\n".utf8).write(to: URL(fileURLWithPath: directory + "/install.sh"))
        let downloads = try Downloads(directory: directory)
        #expect(downloads.installScriptProblem?.contains("HOOKKIT_DEFAULT_DOWNLOAD_URL") == true)
        #expect(get(downloads, "/install.sh")?.status == 500)
    }
}
