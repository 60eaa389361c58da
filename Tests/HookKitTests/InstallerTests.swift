import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The file side of `send-event install`, in process: backup, atomic write, permissions, links.
@Suite struct InstallerTests {
    let project: String
    var settings: String { project + "/.claude/settings.json" }
    var backup: String { settings + Installer.backupSuffix }

    init() throws { project = try makeTemporaryDirectory("installer") }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func aProjectWithoutSettingsGetsTheExampleAndNoBackup() throws {
        defer { removeTemporaryDirectory(project) }
        let report = try Installer.install(projectDirectory: project + "/")
        #expect(report.settingsPath == settings)
        #expect(report.added == HookEvents.installed.map(\.name))
        #expect(report.wroteSettings && report.createdSettings && !report.createdBackup && report.backupPath == nil)
        #expect(try read(settings) == Installer.exampleSettings)
        #expect(try mode(settings) == 0o644)
        #expect(try mode(project + "/.claude") == 0o755)
        #expect(!FileManager.default.fileExists(atPath: backup))
    }

    @Test func theBackupIsTheOriginalAndIsNeverOverwritten() throws {
        defer { removeTemporaryDirectory(project) }
        let original = "{\n    \"model\": \"opus\"\n}\n"
        try write(original, to: settings)
        let first = try Installer.install(projectDirectory: project)
        #expect(first.createdBackup && first.backupPath == backup)
        #expect(try read(backup) == original)
        _ = try Installer.uninstall(projectDirectory: project)
        try write(#"{"model":"sonnet"}"#, to: settings)
        let second = try Installer.install(projectDirectory: project)
        #expect(!second.createdBackup && second.backupPath == backup)
        #expect(try read(backup) == original)
    }

    @Test func anUnchangedFileIsNotWrittenAtAll() throws {
        defer { removeTemporaryDirectory(project) }
        _ = try Installer.install(projectDirectory: project)
        let before = try FileManager.default.attributesOfItem(atPath: settings)
        let report = try Installer.install(projectDirectory: project)
        let after = try FileManager.default.attributesOfItem(atPath: settings)
        #expect(!report.wroteSettings && report.added.isEmpty)
        #expect(before[.systemFileNumber] as? Int == after[.systemFileNumber] as? Int)  // not replaced
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
    }

    @Test func anEmptyFileCountsAsAnEmptyObject() throws {
        defer { removeTemporaryDirectory(project) }
        try write(" \n", to: settings)
        let report = try Installer.install(projectDirectory: project)
        #expect(report.wroteSettings && !report.createdSettings && report.createdBackup)
        #expect(try read(settings) == Installer.exampleSettings)
    }

    @Test func permissionsAreKeptAndASymbolicLinkIsWrittenThrough() throws {
        defer { removeTemporaryDirectory(project) }
        // A link within the project's .claude folder (one outside it is refused: see
        // InstallerHardeningTests).
        let real = project + "/.claude/shared/claude-settings.json"
        try write(#"{"theme":"dark"}"#, to: real)
        chmod(real, 0o600)
        try FileManager.default.createDirectory(atPath: project + "/.claude", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: settings, withDestinationPath: real)
        _ = try Installer.install(projectDirectory: project)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: settings) == real)
        #expect(try JSONValue.parse(try read(real))["hooks"] != nil)
        #expect(try mode(real) == 0o600)
        #expect(try read(backup) == #"{"theme":"dark"}"#)
    }

    @Test func invalidJSONAndWrongShapesChangeNothing() throws {
        defer { removeTemporaryDirectory(project) }
        for text in [#"{"hooks": {"#, "// comment\n{}", #"{"hooks":[]}"#, "[1]"] {
            try write(text, to: settings)
            #expect(throws: InstallerError.self) { try Installer.install(projectDirectory: project) }
            if (try? JSONValue.parse(text)) == nil {
                #expect(throws: InstallerError.self) { try Installer.uninstall(projectDirectory: project) }
            } else {
                #expect(try Installer.uninstall(projectDirectory: project).wroteSettings == false)
            }
            #expect(try read(settings) == text)
            #expect(!FileManager.default.fileExists(atPath: backup))
        }
        do throws(InstallerError) {
            try? write(#"{"a":1,}"#, to: settings)
            _ = try Installer.install(projectDirectory: project)
            Issue.record("installed into invalid JSON")
        } catch {
            #expect(error.description.hasPrefix(settings + " is not valid JSON ("))
            #expect(error.description.hasSuffix("nothing changed"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func aMissingProjectIsRefused() {
        #expect(throws: InstallerError.projectNotFound(project + "/nope")) {
            try Installer.install(projectDirectory: project + "/nope")
        }
        removeTemporaryDirectory(project)
    }
}
