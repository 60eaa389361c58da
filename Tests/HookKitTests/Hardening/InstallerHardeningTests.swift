import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Issue 9, item 13: the installer's edges.
@Suite struct InstallerHardeningTests {
    let project: String
    var settings: String { project + "/.claude/settings.json" }

    init() throws { project = try makeTemporaryDirectory("installer-hardening") }

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing>" }

    func oneLine(_ body: () throws(InstallerError) -> Installer.Report) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            #expect(!error.description.contains("\n"))
            return error.description
        }
    }

    @Test func aLinkToAFileOutsideTheClaudeFolderIsRefused() throws {
        defer { removeTemporaryDirectory(project) }
        let outside = project + "/elsewhere/bashrc"
        try write(#"{"theme":"dark"}"#, to: outside)
        try FileManager.default.createDirectory(atPath: project + "/.claude", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: settings, withDestinationPath: outside)
        let message = try #require(
            oneLine { () throws(InstallerError) in try Installer.install(projectDirectory: project) })
        #expect(
            message.contains("is a symbolic link to \(outside), outside the project's .claude folder"), "\(message)")
        #expect(read(outside) == #"{"theme":"dark"}"#)
        #expect(FileSystem.isSymbolicLink(settings))
        #expect(!FileManager.default.fileExists(atPath: settings + Installer.backupSuffix))
        // `..` does not get around it.
        try FileManager.default.removeItem(atPath: settings)
        try FileManager.default.createSymbolicLink(atPath: settings, withDestinationPath: "../elsewhere/bashrc")
        #expect(throws: InstallerError.self) { try Installer.install(projectDirectory: project) }
        #expect(read(outside) == #"{"theme":"dark"}"#)
    }

    @Test func aReadOnlySettingsFileIsRefusedWithOneLine() throws {
        defer { removeTemporaryDirectory(project) }
        try write(#"{"model":"opus"}"#, to: settings)
        chmod(settings, 0o444)
        let message = try #require(
            oneLine { () throws(InstallerError) in try Installer.install(projectDirectory: project) })
        #expect(
            message
                == "\(settings) is read-only; make it writable (chmod u+w) to install, or add the hooks by hand; nothing changed"
        )
        #expect(read(settings) == #"{"model":"opus"}"#)
        #expect(try FileManager.default.attributesOfItem(atPath: settings)[.posixPermissions] as? Int == 0o444)
    }

    @Test func aProjectPathWithControlCharactersIsRejected() throws {
        defer { removeTemporaryDirectory(project) }
        let sibling = project + "/app"
        let odd = sibling + "\n"
        try FileManager.default.createDirectory(atPath: sibling, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: odd, withIntermediateDirectories: true)
        let message = try #require(
            oneLine { () throws(InstallerError) in try Installer.install(projectDirectory: odd) })
        #expect(message.contains("contains control characters"))
        // The command and install.sh refuse it too, and neither folder gets settings.
        let command = try runProcess(Executables.path("send-event"), ["install", odd])
        #expect(command.status == 1 && command.stderrText.contains("control character"))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("install.sh").path
        let installer = try runProcess(
            "/bin/bash", [script, odd], environment: ["HOOKKIT_BINARY": Executables.path("send-event")])
        #expect(installer.status != 0)
        #expect(installer.stderrText.contains("control character"), "\(installer.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: sibling + "/.claude"))
        #expect(!FileManager.default.fileExists(atPath: odd + "/.claude/settings.json"))
    }

    @Test func aLinkPlantedAtATemporaryNameIsNotWrittenThrough() throws {
        defer { removeTemporaryDirectory(project) }
        try write(#"{"a":1}"#, to: settings)
        let target = project + "/target"
        try write("keep", to: target)
        // The settings used to be written to `settings.json.tmp.<pid>` with O_CREAT|O_TRUNC.
        try FileManager.default.createSymbolicLink(atPath: settings + ".tmp.\(getpid())", withDestinationPath: target)
        _ = try Installer.install(projectDirectory: project)
        #expect(read(target) == "keep")
        #expect(!FileSystem.isSymbolicLink(settings))
        #expect(try JSONValue.parse(read(settings))["hooks"] != nil)
    }

    @Test func concurrentInstallsTakeTurnsAndBothSucceed() throws {
        defer { removeTemporaryDirectory(project) }
        let original = #"{"model":"opus"}"#
        for round in 0..<4 {
            let directory = project + "/p\(round)"
            try write(original, to: directory + "/.claude/settings.json")
            let processes = try (0..<3).map { _ -> (Process, Pipe) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Executables.path("send-event"))
                process.arguments = ["install", directory]
                let errors = Pipe()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = errors
                try process.run()
                return (process, errors)
            }
            for (process, errors) in processes {
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "round \(round): \(text)")
            }
            #expect(read(directory + "/.claude/settings.json" + Installer.backupSuffix) == original)
            let hooks = try #require(
                try JSONValue.parse(read(directory + "/.claude/settings.json"))["hooks"]?.objectValue)
            #expect(hooks.count == HookEvents.installed.count)
            #expect(hooks.allSatisfy { $0.value.arrayValue?.count == 1 }, "one entry per event")
        }
    }
}
