import Foundation
import Testing

/// The public API is documented: `scripts/check-docs.sh` finds a doc comment on every public
/// declaration, no public type named like a standard or common package type, and a DocC catalog
/// that builds without warnings.
@Suite struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let script = root + "/scripts/check-docs.sh"

    @Test func everyPublicDeclarationHasADocComment() throws {
        // The modules `swift test` has just built sit next to the executables.
        let result = try runProcess(Self.script, ["--modules", Executables.directory.path])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stderrText.contains(" 0 problems"), "\(result.stderrText)")
    }

    @Test func theCheckFindsAMissingDocCommentAndATakenName() throws {
        let directory = try makeTemporaryDirectory("check-docs")
        defer { removeTemporaryDirectory(directory) }
        try FileManager.default.createDirectory(
            atPath: directory + "/Sources/Fixture", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/modules", withIntermediateDirectories: true)
        let source = """
            /// Documented.
            public struct Documented {
                /// Documented too.
                public var fine = 1
                public func undocumented() {}
            }

            /// A documented type with a name a client already has.
            public enum Clock {}

            public let undocumentedConstant = 2
            """
        try source.write(toFile: directory + "/Sources/Fixture/Fixture.swift", atomically: true, encoding: .utf8)
        let compile = try runProcess(
            "/usr/bin/env",
            [
                "swiftc", "-emit-module", "-module-name", "Fixture", "-emit-module-path",
                directory + "/modules/Fixture.swiftmodule", directory + "/Sources/Fixture/Fixture.swift",
            ])
        try #require(compile.status == 0, "\(compile.stderrText)")
        let result = try runProcess(
            Self.script,
            ["--modules", directory + "/modules", "--sources", directory + "/Sources", "--no-docc", "Fixture"])
        #expect(result.status == 1)
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.count == 3, "\(result.stdoutText)")
        #expect(lines.contains { $0.hasPrefix("Fixture/Fixture.swift:5:") && $0.contains("undocumented()") })
        #expect(lines.contains { $0.hasPrefix("Fixture/Fixture.swift:9:") && $0.contains("named like") })
        #expect(lines.contains { $0.hasPrefix("Fixture/Fixture.swift:11:") && $0.contains("undocumentedConstant") })
    }
}
