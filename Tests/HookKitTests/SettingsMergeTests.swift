import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// The settings merge on its own (no files): what install adds, what it keeps, what uninstall
/// takes out.
@Suite struct SettingsMergeTests {
    let ours = HookEvents.command

    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    func entry(_ command: String, timeout: Int = 5) -> String {
        #"{"type":"command","command":"\#(command)","timeout":\#(timeout)}"#
    }

    /// The events of Claude Code 2.1.240's hooks reference.
    static let documentedEvents: Set<String> = [
        "SessionStart", "Setup", "SessionEnd", "UserPromptSubmit", "UserPromptExpansion", "MessageDisplay",
        "PreToolUse", "PermissionRequest", "PermissionDenied", "PostToolUse", "PostToolUseFailure", "PostToolBatch",
        "SubagentStart", "SubagentStop", "TaskCreated", "TaskCompleted", "TeammateIdle", "Stop", "StopFailure",
        "PreCompact", "PostCompact", "Notification", "InstructionsLoaded", "ConfigChange", "CwdChanged",
        "DirectoryAdded", "FileChanged", "WorktreeCreate", "WorktreeRemove", "Elicitation", "ElicitationResult",
    ]

    @Test func everyDocumentedEventIsInstalledOrExcludedWithAReason() {
        let installed = HookEvents.installed.map(\.name)
        let excluded = HookEvents.notInstalled.map(\.name)
        #expect(Set(installed).count == installed.count)
        #expect(Set(installed).isDisjoint(with: excluded))
        #expect(Set(installed).union(excluded) == Self.documentedEvents)
        #expect(HookEvents.notInstalled.allSatisfy { !$0.reason.isEmpty })
        let withMatcher = Set(HookEvents.installed.filter(\.takesMatcher).map(\.name))
        #expect(
            withMatcher == ["PreToolUse", "PermissionRequest", "PermissionDenied", "PostToolUse", "PostToolUseFailure"])
        #expect(HookEvents.installed.allSatisfy { $0.timeoutSeconds > 0 })
        #expect(HookEvents.installed.first { $0.name == "SessionEnd" }?.timeoutSeconds == 3)
    }

    @Test func anEmptyDocumentGetsOneGroupPerEventInListOrder() throws {
        let result = try SettingsMerge.install(into: .object([]))
        let hooks = try #require(result["hooks"]?.objectValue)
        #expect(hooks.map(\.key) == HookEvents.installed.map(\.name))
        for (member, spec) in zip(hooks, HookEvents.installed) {
            let groups = try #require(member.value.arrayValue)
            try #require(groups.count == 1)
            let group = try #require(groups[0].objectValue)
            #expect(group.map(\.key) == (spec.takesMatcher ? ["matcher", "hooks"] : ["hooks"]), "\(spec.name)")
            if spec.takesMatcher { #expect(groups[0]["matcher"] == .string("")) }
            let entries = try #require(groups[0]["hooks"]?.arrayValue)
            #expect(
                entries == [
                    .object([
                        .init("type", .string("command")), .init("command", .string(ours)),
                        .init("timeout", .number(String(spec.timeoutSeconds))),
                    ])
                ])
        }
        #expect(ours == #""$CLAUDE_PROJECT_DIR"/.claude/hooks/send-event"#)
    }

    @Test func settingsExampleJSONIsWhatInstallWritesIntoAnEmptyProject() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("settings.example.json")
        let file = try String(contentsOf: url, encoding: .utf8)
        #expect(
            file == Installer.exampleSettings,
            "settings.example.json drifted: regenerate it with `swift run send-event install --print-example > settings.example.json`"
        )
        #expect(try parse(file) == (try SettingsMerge.install(into: .object([]))))
    }

    @Test func existingKeysAndOtherHooksStayInTheirOrder() throws {
        let original = try parse(
            """
            {"model":"opus","permissions":{"allow":["Bash(npm test)"]},
             "hooks":{"Custom":[{"hooks":[\(entry("custom.sh"))]}],
                      "PreToolUse":[{"matcher":"Bash","hooks":[\(entry("guard.sh"))]}],
                      "Stop":[]},
             "env":{"A":"1"},"cleanupPeriodDays":30}
            """)
        let result = try SettingsMerge.install(into: original)
        #expect(result.objectValue?.map(\.key) == ["model", "permissions", "hooks", "env", "cleanupPeriodDays"])
        for key in ["model", "permissions", "env", "cleanupPeriodDays"] { #expect(result[key] == original[key]) }
        let hooks = try #require(result["hooks"]?.objectValue)
        // The user's events first, as they were; the events they lacked after them, in list order.
        let userEvents = ["Custom", "PreToolUse", "Stop"]
        #expect(Array(hooks.map(\.key).prefix(3)) == userEvents)
        #expect(
            Array(hooks.map(\.key).dropFirst(3)) == HookEvents.installed.map(\.name).filter { !userEvents.contains($0) }
        )
        #expect(result["hooks"]?["Custom"] == original["hooks"]?["Custom"])
        let preToolUse = try #require(result["hooks"]?["PreToolUse"]?.arrayValue)
        #expect(preToolUse.count == 2)
        #expect(preToolUse[0] == original["hooks"]?["PreToolUse"]?.arrayValue?[0])
        #expect(preToolUse[1] == SettingsMerge.group(for: HookEventSpec("PreToolUse", takesMatcher: true)))
        #expect(result["hooks"]?["Stop"]?.arrayValue == [SettingsMerge.group(for: HookEventSpec("Stop"))])
    }

    @Test func installingTwiceChangesNothing() throws {
        for text in ["{}", #"{"hooks":{}}"#, #"{"a":[1,2],"hooks":{"PreToolUse":[{"matcher":"Edit","hooks":[]}]}}"#] {
            let once = try SettingsMerge.install(into: try parse(text))
            let twice = try SettingsMerge.installReportingChanges(into: once)
            #expect(twice.settings == once, "\(text)")
            #expect(twice.added.isEmpty)
            #expect(twice.alreadyPresent == HookEvents.installed.map(\.name))
            #expect(twice.settings.serialized(pretty: true) == once.serialized(pretty: true))
        }
    }

    @Test func anEntryWithOurCommandAnywhereUnderTheEventCountsAsInstalled() throws {
        // The user narrowed our entry to Bash and gave it another timeout: a second install keeps that.
        let original = try parse(
            #"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[\#(entry("lint.sh")),\#(entry(#"\"$CLAUDE_PROJECT_DIR\"/.claude/hooks/send-event"#, timeout: 30))]}]}}"#
        )
        let outcome = try SettingsMerge.installReportingChanges(into: original)
        #expect(outcome.alreadyPresent == ["PreToolUse"])
        #expect(!outcome.added.contains("PreToolUse"))
        #expect(outcome.settings["hooks"]?["PreToolUse"] == original["hooks"]?["PreToolUse"])
    }

    @Test(arguments: [
        "{}",
        #"{"theme":"dark","hooks":{"Custom":[]},"x":null}"#,
        #"{"hooks":{"Stop":[{"hooks":[]}],"PostToolUse":[{"matcher":"Write","hooks":[{"type":"command","command":"fmt.sh"}]}]}}"#,
        #"{"hooks":{"Custom":"not ours to judge"},"n":1.50}"#,
    ])
    func uninstallGivesBackExactlyWhatWasThere(_ text: String) throws {
        let original = try parse(text)
        let installed = try SettingsMerge.install(into: original)
        let removal = SettingsMerge.uninstallReportingChanges(from: installed)
        #expect(removal.settings == original)
        #expect(removal.removed.sorted() == HookEvents.installed.map(\.name).sorted())
        // And a second uninstall has nothing left to do.
        #expect(SettingsMerge.uninstallReportingChanges(from: removal.settings).removed.isEmpty)
    }

    /// Uninstall cannot tell an empty `hooks` object or event array the user had from one that
    /// held only our entries, so both go; Claude Code reads either the same as no key at all.
    @Test func emptyContainersTheUserHadDoNotSurviveARoundTrip() throws {
        #expect(
            SettingsMerge.uninstall(from: try SettingsMerge.install(into: try parse(#"{"hooks":{}}"#))) == .object([]))
        let original = try parse(#"{"hooks":{"PreToolUse":[],"Custom":[]}}"#)
        #expect(
            SettingsMerge.uninstall(from: try SettingsMerge.install(into: original))
                == (try parse(#"{"hooks":{"Custom":[]}}"#)))
    }

    @Test func uninstallTakesOurEntryOutOfAGroupItSharesAndKeepsTheGroup() throws {
        let shared = try parse(
            #"{"hooks":{"Stop":[{"matcher":"","hooks":[\#(entry("say-done.sh")),{"type":"command","command":"\"$CLAUDE_PROJECT_DIR\"/.claude/hooks/send-event"},\#(entry("after.sh"))]}]}}"#
        )
        let result = SettingsMerge.uninstall(from: shared)
        #expect(
            result
                == (try parse(
                    #"{"hooks":{"Stop":[{"matcher":"","hooks":[\#(entry("say-done.sh")),\#(entry("after.sh"))]}]}}"#)))
    }

    @Test func uninstallLeavesOtherCommandsThatMerelyLookLikeOurs() throws {
        let text =
            #"{"hooks":{"Stop":[{"hooks":[\#(entry("/opt/hookkit/send-event")),\#(entry(#"$CLAUDE_PROJECT_DIR/.claude/hooks/send-event"#))]}]}}"#
        let settings = try parse(text)
        #expect(SettingsMerge.uninstall(from: settings) == settings)
    }

    @Test(arguments: ["[]", #""text""#, "null", "12", #"{"hooks":[]}"#, #"{"hooks":"x"}"#])
    func uninstallLeavesDocumentsOfAnotherShapeAlone(_ text: String) throws {
        let settings = try parse(text)
        #expect(SettingsMerge.uninstall(from: settings) == settings)
    }

    @Test func wrongShapesAreRefusedWithWhereAndWhat() throws {
        let cases: [(String, SettingsMergeError)] = [
            ("[]", .rootNotAnObject(found: "an array")),
            (#""x""#, .rootNotAnObject(found: "a string")),
            ("null", .rootNotAnObject(found: "null")),
            (#"{"hooks":"all"}"#, .wrongType(path: "hooks", expected: "an object", found: "a string")),
            (#"{"hooks":[]}"#, .wrongType(path: "hooks", expected: "an object", found: "an array")),
            (
                #"{"hooks":{"PreToolUse":{}}}"#,
                .wrongType(path: "hooks.PreToolUse", expected: "an array", found: "an object")
            ),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try SettingsMerge.install(into: try parse(text)) }
        }
        #expect(
            SettingsMergeError.wrongType(path: "hooks", expected: "an object", found: "a string").description
                == #""hooks" is a string, expected an object"#)
    }

    @Test func numbersAndStringsComeBackVerbatim() throws {
        let original = try parse(
            #"{"big":123456789012345678901234567890,"e":1e400,"f":1.50,"neg":-0,"s":"tab\there é \u2028","hooks":{}}"#)
        let text = try SettingsMerge.install(into: original).serialized(pretty: true)
        for number in ["123456789012345678901234567890", "1e400", "1.50", "-0"] {
            #expect(text.contains(": \(number),"), "\(number)")
        }
        #expect(try parse(text)["s"] == .string("tab\there é \u{2028}"))
    }

    @Test func withADuplicateHooksKeyTheLastOneIsChanged() throws {
        let original = try parse(#"{"hooks":{"Stop":1},"a":1,"hooks":{}}"#)
        let result = try SettingsMerge.install(into: original)
        let members = try #require(result.objectValue)
        #expect(members.map(\.key) == ["hooks", "a", "hooks"])
        #expect(members[0].value == (try parse(#"{"Stop":1}"#)))
        #expect(members[2].value.objectValue?.count == HookEvents.installed.count)
        // The emptied last `hooks` goes (see emptyContainersTheUserHadDoNotSurviveARoundTrip).
        #expect(SettingsMerge.uninstall(from: result) == (try parse(#"{"hooks":{"Stop":1},"a":1}"#)))
    }
}
