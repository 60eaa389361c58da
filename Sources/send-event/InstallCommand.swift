// `send-event install` and `send-event doctor`: argument parsing and printing; the work is in
// HookKit's InstallOperation and Doctor.
import HookKitSystem
import HookKit

let installUsage =
    "usage: send-event install [PROJECT_DIR | --user] [--hub URL] [--uninstall] [--print-example]"

func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { return nil }
    return value
}

func runInstallCommand(_ arguments: ArraySlice<String>) -> Int32 {
    var project: String?
    var hub: String?
    var user = false
    var uninstall = false
    var printExample = false
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--uninstall": uninstall = true
        case "--print-example": printExample = true
        case "--user": user = true
        case "--hub":
            guard let value = rest.popFirst() else {
                writeError("send-event install: --hub needs a URL (\(installUsage))")
                return 64
            }
            hub = value
        case _ where argument.hasPrefix("--hub="): hub = String(argument.dropFirst("--hub=".count))
        case _ where argument.hasPrefix("-") || project != nil:
            writeError("send-event install: unexpected argument '\(argument)' (\(installUsage))")
            return 64
        default: project = argument
        }
    }
    if printExample {
        try? FileDescriptor.standardOutput.writeAll(Array(Installer.exampleSettings.utf8))
        return 0
    }
    let home = environmentValue("HOME")
    let target: InstallTarget
    if user {
        guard project == nil else {
            writeError(
                "send-event install: --user installs for every project and takes no PROJECT_DIR (\(installUsage))")
            return 64
        }
        guard let home, home.hasPrefix("/") else {
            writeError("send-event install: --user needs HOME set to an absolute path; nothing changed")
            return 1
        }
        target = .user(home: home)
    } else {
        target = .project(project ?? currentDirectory())
    }
    do {
        if uninstall {
            if hub != nil {
                writeError("send-event install: --uninstall takes no --hub (it removes what install added)")
                return 64
            }
            let outcome = try InstallOperation.uninstall(target)
            writeOutput(uninstallSummary(outcome))
        } else {
            let request = InstallRequest(
                target: target, hub: hub, secret: environmentValue(SettingsEnv.secretVariable), home: home,
                currentDirectory: currentDirectory())
            let outcome = try InstallOperation.install(request)
            writeOutput(installSummary(outcome, target: target))
            for warning in outcome.warnings { writeError("send-event install: warning: \(warning)") }
        }
        return 0
    } catch {
        writeError("send-event install: \(error)")
        return 1
    }
}

func installSummary(_ outcome: InstallOutcome, target: InstallTarget) -> String {
    let report = outcome.report
    var lines: [String] = []
    if report.added.isEmpty {
        let count = report.alreadyPresent.count
        lines.append(
            report.wroteSettings
                ? "\(report.settingsPath): hooks already installed for all \(count) events"
                : "\(report.settingsPath): hooks already installed for all \(count) events; nothing changed")
    } else {
        let verb = report.createdSettings ? "created with" : "added"
        var line = "\(report.settingsPath): \(verb) hook entries for \(report.added.count) events"
        if !report.alreadyPresent.isEmpty { line += " (\(report.alreadyPresent.count) already had one)" }
        lines.append(line)
    }
    if report.createdBackup, let backup = report.backupPath { lines.append("original settings kept in \(backup)") }
    switch outcome.hub {
    case .added?: lines.append("\(report.settingsPath): env \(SettingsEnv.hubVariable) set")
    case .replaced(let previous)?:
        lines.append(
            "\(report.settingsPath): env \(SettingsEnv.hubVariable) set (it was \(previous.map { "'\($0)'" } ?? "not a string"))"
        )
    case .unchanged?: lines.append("\(report.settingsPath): env \(SettingsEnv.hubVariable) already set to this hub")
    case nil: break
    }
    if let path = outcome.secretPath, let change = outcome.secret {
        let where_ = target.kind == .user ? "\(path) (made readable by you only, 0600)" : "\(path) (mode 0600)"
        lines.append(
            change == .unchanged
                ? "\(SettingsEnv.secretVariable) already in \(where_)"
                : "\(SettingsEnv.secretVariable) from the environment written to \(where_)")
    }
    if let gitIgnore = outcome.gitIgnoreUpdated {
        lines.append("\(gitIgnore): added .claude/settings.local.json, so git never commits the secret")
    }
    return lines.joined(separator: "\n")
}

func uninstallSummary(_ outcome: InstallOutcome) -> String {
    let report = outcome.report
    var lines = [
        report.removed.isEmpty
            ? "\(report.settingsPath): no HookKit hook entries"
                + (outcome.removedVariables.isEmpty ? "; nothing changed" : "")
            : "\(report.settingsPath): removed \(report.removed.count) HookKit hook entries"
    ]
    for variable in outcome.removedVariables { lines.append("removed env \(variable)") }
    for file in outcome.removedFiles { lines.append("removed \(file) (the install created it)") }
    return lines.joined(separator: "\n")
}

func runDoctorCommand(_ arguments: ArraySlice<String>) -> Int32 {
    var project: String?
    var json = false
    for argument in arguments {
        switch argument {
        case "--json": json = true
        case _ where argument.hasPrefix("-") || project != nil:
            writeError(
                "send-event doctor: unexpected argument '\(argument)' (usage: send-event doctor [PROJECT_DIR] [--json])"
            )
            return 64
        default: project = argument
        }
    }
    var directory = project ?? currentDirectory()
    while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
    let report = Doctor.run(Doctor.Inputs(projectDirectory: directory, home: environmentValue("HOME")))
    writeOutput(json ? report.json() : report.text())
    return report.passed ? 0 : 1
}
