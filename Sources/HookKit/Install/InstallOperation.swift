import HookKitSystem

/// What `send-event install` is asked to do.
package struct InstallRequest: Sendable {
    /// Project or user.
    package var target: InstallTarget
    /// The hub URL to write into `env` (`--hub`, or the default a hub-served `install.sh` has).
    package var hub: String?
    /// The secret to write into the local settings (`CLAUDE_OBSERVABILITY_SECRET` of the
    /// installer's environment; never a command-line argument).
    package var secret: String?
    /// The user's home folder: a project install refuses when `~/.claude/settings.json` already
    /// runs HookKit, and a project install into the home folder itself is refused.
    package var home: String?
    /// For a user install: the current folder, refused when its project runs HookKit.
    package var currentDirectory: String?

    /// Creates a request.
    package init(
        target: InstallTarget, hub: String? = nil, secret: String? = nil, home: String? = nil,
        currentDirectory: String? = nil
    ) {
        self.target = target
        self.hub = hub
        self.secret = secret
        self.home = home
        self.currentDirectory = currentDirectory
    }
}

/// What one install or uninstall did, beyond the hook entries.
package struct InstallOutcome: Sendable, Equatable {
    /// The hook entries (``Installer``'s report for `settings.json`).
    package var report: Installer.Report
    /// What happened to `CLAUDE_OBSERVABILITY_HUB` in `settings.json`.
    package var hub: SettingsEnv.Change?
    /// What happened to `CLAUDE_OBSERVABILITY_SECRET`, and in which file.
    package var secret: SettingsEnv.Change?
    /// The file holding the secret.
    package var secretPath: String?
    /// The `.gitignore` that got lines added, if any.
    package var gitIgnoreUpdated: String?
    /// Variables an uninstall removed (`file: NAME`).
    package var removedVariables: [String] = []
    /// Files an uninstall removed because the install had created them and they became empty.
    package var removedFiles: [String] = []
    /// Things that did not stop the install but deserve a line.
    package var warnings: [String] = []
}

/// `send-event install` and `send-event install --uninstall` as a whole: the hook entries (through
/// ``Installer``), the hub URL and secret in `env`, the git-ignore of the secret's file, and the
/// record of what was added.
///
/// An install changes nothing when anything is wrong before the last write: every file is read
/// and checked first, then the writes go `.gitignore`, the local settings, and `settings.json`
/// last; when that last write fails, the earlier ones are put back.
package enum InstallOperation {
    /// Adds HookKit to `request.target`.
    package static func install(_ request: InstallRequest) throws(InstallOperationError) -> InstallOutcome {
        let target = request.target
        try checkBase(target, home: request.home)
        let hub = try request.hub.map { url throws(InstallOperationError) in
            if let problem = Configuration.hubProblem(url) { throw .unusableHub(url, problem) }
            return Configuration.normalizedHub(url)
        }
        if let secret = request.secret, (try? StandardWebhooks.Key(secret: secret)) == nil {
            throw .unusableSecret
        }
        try refuseOtherKind(request)
        var record = try InstallRecord.load(target.recordPath)
        let originalRecord = record

        // Plan the files written before settings.json, and keep them for a rollback.
        var written: [SettingsFile] = []
        var outcome = InstallOutcome(report: Installer.Report(settingsPath: target.settingsPath))
        var localPlan: (file: SettingsFile, bytes: [UInt8])?
        var gitIgnorePlan: (file: SettingsFile, bytes: [UInt8])?
        var userSettingsPrepared: SettingsFile?
        if let secret = request.secret {
            outcome.secretPath = target.secretSettingsPath
            if let localPath = target.localSettingsPath {
                let local = try SettingsFile(localPath, defaultMode: 0o600)
                let document = try local.document()
                let updated: (settings: JSONValue, change: SettingsEnv.Change)
                do throws(SettingsMergeError) {
                    updated = try SettingsEnv.set(SettingsEnv.secretVariable, to: secret, in: document)
                } catch {
                    throw .unexpectedShape(path: localPath, error)
                }
                outcome.secret = updated.change
                if updated.change != .unchanged || local.mode & 0o077 != 0 {
                    localPlan = (local, SettingsFile.render(updated.settings))
                }
                if updated.change != .unchanged {
                    record.record(SettingsEnv.secretVariable, in: "settings.local.json", value: secret)
                }
                if !local.exists { record.createdFiles.append("settings.local.json") }
                gitIgnorePlan = try planGitIgnore(target)
            } else {
                // A user install: the secret goes into ~/.claude/settings.json, which must be the
                // user's alone before the secret is written into it.
                userSettingsPrepared = try SettingsFile(target.settingsPath, defaultMode: 0o600)
            }
        }

        // Writes.
        do throws(InstallOperationError) {
            if let plan = gitIgnorePlan {
                written.append(plan.file)
                try plan.file.write(plan.bytes, mode: plan.file.mode)
                outcome.gitIgnoreUpdated = plan.file.path
            }
            if let plan = localPlan {
                written.append(plan.file)
                try plan.file.write(plan.bytes, mode: 0o600)
            }
            if let settings = userSettingsPrepared {
                written.append(settings)
                if let original = settings.original {
                    try settings.write(original, mode: 0o600)
                } else {
                    try settings.write(Array("{}\n".utf8), mode: 0o600)
                }
            }
            var hubChange: SettingsEnv.Change?
            var secretChange: SettingsEnv.Change?
            let secretInSettings = target.localSettingsPath == nil ? request.secret : nil
            do {
                outcome.report = try Installer.update(projectDirectory: target.baseDirectory, backup: true) {
                    settings, report throws(InstallerError) in
                    do throws(SettingsMergeError) {
                        let merged = try SettingsMerge.installReportingChanges(into: settings, command: target.command)
                        report.added = merged.added
                        report.alreadyPresent = merged.alreadyPresent
                        var document = merged.settings
                        if let hub {
                            let set = try SettingsEnv.set(SettingsEnv.hubVariable, to: hub, in: document)
                            document = set.settings
                            hubChange = set.change
                        }
                        if let secret = secretInSettings {
                            let set = try SettingsEnv.set(SettingsEnv.secretVariable, to: secret, in: document)
                            document = set.settings
                            secretChange = set.change
                        }
                        if document == settings { return nil }  // not `? nil :`: that nil would be JSON null
                        return document
                    } catch {
                        throw .unexpectedShape(path: report.settingsPath, error)
                    }
                }
            } catch {
                throw InstallOperationError.installer(error)
            }
            outcome.hub = hubChange
            if let hub, let hubChange, hubChange != .unchanged {
                record.record(SettingsEnv.hubVariable, in: "settings.json", value: hub)
            }
            if let secretChange {
                outcome.secret = secretChange
                if let secret = secretInSettings, secretChange != .unchanged {
                    record.record(SettingsEnv.secretVariable, in: "settings.json", value: secret)
                }
            }
        } catch {
            for file in written.reversed() { file.restore() }
            throw error
        }

        // The record comes last: without it an uninstall leaves the variables, nothing worse.
        if record != originalRecord {
            do {
                let file = try SettingsFile(target.recordPath, defaultMode: 0o600)
                try file.write(record.rendered(), mode: 0o600)
            } catch {
                outcome.warnings.append(
                    "could not record the env variables added (\(error)); --uninstall will leave them in place")
            }
        }
        return outcome
    }

    /// Takes out what ``install(_:)`` added: the hook entries, and each recorded variable whose
    /// value is still the one written.
    package static func uninstall(_ target: InstallTarget) throws(InstallOperationError) -> InstallOutcome {
        try checkBase(target, home: nil)
        let record = try InstallRecord.load(target.recordPath)
        var outcome = InstallOutcome(report: Installer.Report(settingsPath: target.settingsPath))
        var removed: [String] = []
        do {
            outcome.report = try Installer.update(projectDirectory: target.baseDirectory, backup: false) {
                settings, report in
                let removal = SettingsMerge.uninstallReportingChanges(from: settings, command: target.command)
                report.removed = removal.removed
                var document = removal.settings
                for variable in record.variables where variable.file == "settings.json" {
                    let result = SettingsEnv.remove(variable.name, from: document) {
                        InstallRecord.digest($0) == variable.digest
                    }
                    document = result.settings
                    if result.removed { removed.append("settings.json: \(variable.name)") }
                }
                if document == settings { return nil }  // not `? nil :`: that nil would be JSON null
                return document
            }
        } catch {
            throw .installer(error)
        }
        if let localPath = target.localSettingsPath {
            let local = try SettingsFile(localPath, defaultMode: 0o600)
            if local.exists {
                let original = try local.document()
                var document = original
                for variable in record.variables where variable.file == "settings.local.json" {
                    let result = SettingsEnv.remove(variable.name, from: document) {
                        InstallRecord.digest($0) == variable.digest
                    }
                    document = result.settings
                    if result.removed { removed.append("settings.local.json: \(variable.name)") }
                }
                if document == .object([]), record.createdFiles.contains("settings.local.json") {
                    FileSystem.remove(local.target)
                    outcome.removedFiles.append(localPath)
                } else if document != original {
                    try local.write(SettingsFile.render(document), mode: local.mode)
                }
            }
        }
        outcome.removedVariables = removed
        FileSystem.remove(target.recordPath)
        return outcome
    }

    // MARK: Checks

    private static func checkBase(_ target: InstallTarget, home: String?) throws(InstallOperationError) {
        let base = target.baseDirectory
        if InstallTarget.hasControlCharacter(base) { throw .controlCharacter(base) }
        guard let status = try? FileSystem.status(base), status.st_mode & S_IFMT == S_IFDIR else {
            throw target.kind == .user ? .homeNotFound(base) : .projectNotFound(base)
        }
        if target.kind == .project, let home, !home.isEmpty, sameFolder(base, home) {
            throw .projectIsHome(base)
        }
    }

    /// A project install is refused when the user settings run HookKit, and a user install when
    /// the current folder's project does: Claude Code would run both, and record every event
    /// twice.
    private static func refuseOtherKind(_ request: InstallRequest) throws(InstallOperationError) {
        switch request.target.kind {
        case .project:
            guard let home = request.home, !home.isEmpty else { return }
            let user = InstallTarget.user(home: home)
            if let events = hookKitEvents(in: user.settingsPath), !events.isEmpty {
                throw .otherKindInstalled(existing: .user, settingsPath: user.settingsPath)
            }
        case .user:
            // The current folder, and every project Claude Code has been opened in (the keys of
            // "projects" in ~/.claude.json, its own state file; best effort, skipped when absent).
            var candidates: [String] = []
            if let current = request.currentDirectory { candidates.append(current) }
            candidates += knownProjects(home: request.target.baseDirectory)
            for candidate in candidates where !sameFolder(candidate, request.target.baseDirectory) {
                let project = InstallTarget.project(candidate)
                for path in [project.settingsPath, project.localSettingsPath].compactMap({ $0 }) {
                    if let events = hookKitEvents(in: path), !events.isEmpty {
                        throw .otherKindInstalled(existing: .project, settingsPath: path)
                    }
                }
            }
        }
    }

    /// The project folders Claude Code keeps state for: the keys of `projects` in
    /// `~/.claude.json` (at most 5,000; none when the file is missing or unreadable).
    static func knownProjects(home: String) -> [String] {
        guard let bytes = try? FileSystem.contents(of: home + "/.claude.json", limit: 256 << 20),
            let state = try? JSONValue.parse(bytes), let projects = state["projects"]?.objectValue
        else { return [] }
        return projects.prefix(5_000).map(\.key).filter { $0.hasPrefix("/") }
    }

    /// The events with a HookKit entry in the settings at `path`; `nil` when the file is missing
    /// or unreadable (then there is nothing to say about it here).
    static func hookKitEvents(in path: String) -> [String]? {
        guard let bytes = try? FileSystem.contents(of: path, limit: 16 << 20),
            let settings = try? JSONValue.parse(bytes)
        else { return nil }
        return InstallTarget.eventsWithHookKitEntries(settings)
    }

    /// The `.gitignore` change that keeps the secret's file (and the record holding its digest)
    /// out of commits, or `nil` when git ignores them already or there is no repository. A
    /// local settings file git already tracks is refused: ignoring it would not stop the commit.
    private static func planGitIgnore(
        _ target: InstallTarget
    ) throws(InstallOperationError) -> (file: SettingsFile, bytes: [UInt8])? {
        let git = GitIgnoreCheck(directory: target.baseDirectory)
        var lines: [String] = []
        let local = ".claude/settings.local.json"
        switch git.answer(for: local) {
        case .notInRepository: return nil
        case .tracked: throw .secretFileTracked(target.baseDirectory + "/" + local)
        case .notIgnored: lines.append(local)
        case .ignored: break
        }
        let record = ".claude/hooks/" + InstallRecord.fileName
        if git.answer(for: record) == .notIgnored { lines.append(record) }
        guard !lines.isEmpty else { return nil }
        let file = try SettingsFile(target.baseDirectory + "/.gitignore", defaultMode: 0o644)
        var bytes = file.original ?? []
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes += Array("# HookKit: the hub secret stays on this machine\n".utf8)
        for line in lines { bytes += Array((line + "\n").utf8) }
        return (file, bytes)
    }

    private static func sameFolder(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}

/// Why `send-event install` changed nothing.
package enum InstallOperationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// From the hook entries' part (``Installer``).
    case installer(InstallerError)
    /// The project folder does not exist.
    case projectNotFound(String)
    /// The home folder does not exist (user install).
    case homeNotFound(String)
    /// The path has a control character.
    case controlCharacter(String)
    /// The project is the home folder, whose `.claude/settings.json` is the user settings.
    case projectIsHome(String)
    /// The hub URL cannot be used.
    case unusableHub(String, String)
    /// The secret cannot be used (a `whsec_` secret with bad base64).
    case unusableSecret
    /// The other kind of install is present.
    case otherKindInstalled(existing: InstallTarget.Kind, settingsPath: String)
    /// A settings file is not valid JSON.
    case invalidJSON(path: String, JSONSyntaxError)
    /// A settings file has a shape HookKit will not guess at.
    case unexpectedShape(path: String, SettingsMergeError)
    /// A file could not be read or written.
    case fileSystem(path: String, action: String, Errno)
    /// The install record is not what HookKit writes.
    case invalidRecord(path: String)
    /// The secret's file is committed to git.
    case secretFileTracked(String)

    /// One line saying what is wrong, ending in "nothing changed".
    package var description: String {
        switch self {
        case .installer(let error): error.description
        case .projectNotFound(let path): "\(path) is not a folder; nothing changed"
        case .homeNotFound(let path): "the home folder \(path) does not exist (HOME); nothing changed"
        case .controlCharacter(let path):
            "the path \(InstallOperationError.visible(path)) contains a control character (a pasted newline?); nothing changed"
        case .projectIsHome(let path):
            "\(path) is your home folder: its .claude/settings.json is the user settings; use --user for every project; nothing changed"
        case .unusableHub(let url, let problem):
            "hub URL '\(InstallOperationError.visible(url))' is not usable: \(problem); nothing changed"
        case .unusableSecret:
            "CLAUDE_OBSERVABILITY_SECRET is not usable: a whsec_ secret must be base64 after the prefix; nothing changed"
        case .otherKindInstalled(let existing, let path):
            existing == .user
                ? "HookKit is already installed for the user in \(path) (it reports every project); a project install would record each event twice: keep that, or remove it first with install.sh --uninstall --user; nothing changed"
                : "HookKit is already installed in a project (\(path)); a user install would record its events twice: remove the project install first (install.sh --uninstall PROJECT); nothing changed"
        case .invalidJSON(let path, let error):
            "\(path) is not valid JSON (\(error)); fix it, then run this again; nothing changed"
        case .unexpectedShape(let path, let error): "\(path): \(error); nothing changed"
        case .fileSystem(let path, let action, let error): "cannot \(action) \(path): \(error); nothing changed"
        case .invalidRecord(let path): "\(path) is not a HookKit install record; remove it, then run this again"
        case .secretFileTracked(let path):
            "\(path) is committed to git, so the secret would be too: run git rm --cached on it first; nothing changed"
        }
    }

    /// `text` with control characters shown as `\n`, `\u{1B}`, ...: a message stays one line.
    static func visible(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0..<0x20, 0x7F: result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
