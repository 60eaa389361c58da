import HookKitSystem

/// One check of `send-event doctor`.
package struct DoctorCheck: Sendable, Equatable {
    /// A stable identifier for scripts (`hooks`, `hub_reachable`, ...).
    package var name: String
    /// Whether it passed.
    package var passed: Bool
    /// What was found, one line.
    package var detail: String
    /// What to do about a failure, one line.
    package var fix: String?

    /// A passed check.
    package static func pass(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, passed: true, detail: detail, fix: nil)
    }

    /// A failed check with its fix.
    package static func fail(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, passed: false, detail: detail, fix: fix)
    }
}

/// Everything `send-event doctor` found.
package struct DoctorReport: Sendable, Equatable {
    /// The project looked at.
    package var projectDirectory: String
    /// The checks, in the order they ran.
    package var checks: [DoctorCheck]

    /// Whether every check passed (the exit status is 0 then, else 1).
    package var passed: Bool { checks.allSatisfy(\.passed) }

    /// One line per check (`ok` or `FAIL`, the name, what was found) and, under a failure, its fix.
    package func text() -> String {
        let width = checks.map(\.name.count).max() ?? 0
        var lines = ["send-event doctor: \(projectDirectory)"]
        for check in checks {
            let name = check.name + String(repeating: " ", count: width - check.name.count)
            lines.append("\(check.passed ? "ok  " : "FAIL")  \(name)  \(check.detail)")
            if let fix = check.fix { lines.append("      " + String(repeating: " ", count: width) + "  fix: \(fix)") }
        }
        let failed = checks.count { !$0.passed }
        lines.append(failed == 0 ? "all \(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed")
        return lines.joined(separator: "\n")
    }

    /// `{"ok": Bool, "project": "...", "checks": [{"name", "ok", "detail", "fix"}]}`.
    package func json() -> String {
        JSONValue.object([
            .init("ok", .bool(passed)),
            .init("project", .string(projectDirectory)),
            .init(
                "checks",
                .array(
                    checks.map { check in
                        .object([
                            .init("name", .string(check.name)),
                            .init("ok", .bool(check.passed)),
                            .init("detail", .string(check.detail)),
                            .init("fix", check.fix.map(JSONValue.string) ?? .null),
                        ])
                    })),
        ]).serialized()
    }
}
