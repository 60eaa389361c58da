import Foundation
import Testing

/// The folders of the client library are layers whose arrows point down
/// (`scripts/check-layers.py`, the order docs/architecture.md draws).
@Suite struct LayeringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func noFolderUsesATypeOfAFolderAboveIt() throws {
        let result = try runProcess(
            "/usr/bin/env", ["python3", Self.root + "/scripts/check-layers.py", Self.root + "/Sources/HookKit"])
        #expect(result.status == 0, "\(result.stdoutText)")
        #expect(result.stdoutText.contains(" 0 upward uses"), "\(result.stdoutText)")
    }

    @Test func theCheckFindsAnUpwardUse() throws {
        let directory = try makeTemporaryDirectory("check-layers")
        defer { removeTemporaryDirectory(directory) }
        for folder in ["Crypto", "Emit"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        try "package struct Stamp {}\n".write(
            toFile: directory + "/Emit/Stamp.swift", atomically: true, encoding: .utf8)
        try "package struct Digest { var stamp: Stamp }\n".write(
            toFile: directory + "/Crypto/Digest.swift", atomically: true, encoding: .utf8)
        let result = try runProcess("/usr/bin/env", ["python3", Self.root + "/scripts/check-layers.py", directory])
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("Crypto/ uses Stamp from Emit/, a layer above it"), "\(result.stdoutText)")
    }
}
