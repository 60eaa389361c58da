import HookKitSystem

/// `send-event doctor`: checks, one by one, what a working HookKit needs, and says how to fix
/// what is wrong.
///
/// The configuration it checks is the one a hook gets: Claude Code applies the `env` of its
/// settings to each session (`.claude/settings.local.json` over `.claude/settings.json` over
/// `~/.claude/settings.json`) on top of the environment it was started in, so the doctor reads
/// those files and hands that layered lookup to ``Configuration``.
///
/// Checks: `version`, `hooks` (entries in the project or the user settings, not both, and the
/// binary they run), `hub_url`, `hub_reachable` (`GET /healthz` within the timeout), `signature`
/// (an empty batch `POST /events/batch` with `[]`, signed when a secret is set: a hub answers it
/// 200 without storing anything, 401 when the signature is refused), `tls` (https hubs:
/// `hookkit-tls --check`), `spool` (owned by the user, mode 0700) and `queue` (dead letters, last
/// delivery error).
package enum Doctor {
    /// What the doctor looks at.
    package struct Inputs: Sendable {
        /// The project folder.
        package var projectDirectory: String
        /// The home folder (for `~/.claude/settings.json`).
        package var home: String?
        /// This process's environment.
        package var environment: @Sendable (String) -> String?
        /// The running `send-event`.
        package var executablePath: String?
        /// Time allowed for each network check.
        package var timeoutMilliseconds: Int

        /// Inputs for `projectDirectory`, the process environment and a 2 s network timeout.
        package init(
            projectDirectory: String, home: String?,
            environment: @escaping @Sendable (String) -> String? = { name in getenv(name).map { String(cString: $0) } },
            executablePath: String? = Platform.currentExecutable(), timeoutMilliseconds: Int = 2_000
        ) {
            self.projectDirectory = projectDirectory
            self.home = home
            self.environment = environment
            self.executablePath = executablePath
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    /// Runs every check.
    package static func run(_ inputs: Inputs) -> DoctorReport {
        let layers = SettingsLayers(project: inputs.projectDirectory, home: inputs.home)
        let lookup: (String) -> String? = { name in
            if let (value, _) = layers.value(name) { return value }
            return inputs.environment(name)
        }
        let configuration = Configuration(lookup: lookup)
        var checks: [DoctorCheck] = []
        checks.append(
            .pass(
                "version",
                "send-event \(HookKitVersion.current)" + (inputs.executablePath.map { " (\($0))" } ?? "")))
        checks.append(hooksCheck(layers))

        let hub = configuration.hub
        let hubSource =
            layers.value(SettingsEnv.hubVariable).map { "env of \($0.1)" }
            ?? (inputs.environment(SettingsEnv.hubVariable)?.isEmpty == false ? "environment" : "default")
        let endpoint: HTTPEndpoint?
        if !configuration.hubIsOn {
            endpoint = nil
            if configuration.otlp != nil {
                checks.append(.pass("hub_url", "none (\(hubSource)): no hub, the OTLP receiver only"))
            } else {
                checks.append(
                    .fail(
                        "hub_url",
                        "none (\(hubSource)) turns the hub off, and no usable OTLP endpoint is set: events go nowhere",
                        fix: "set CLAUDE_OBSERVABILITY_OTLP_ENDPOINT (see docs/otlp.md), or a hub URL"))
            }
        } else if let problem = Configuration.hubProblem(hub) {
            endpoint = nil
            checks.append(
                .fail(
                    "hub_url", "'\(InstallOperationError.visible(hub))' (\(hubSource)) is not usable: \(problem)",
                    fix: "install.sh --hub http://HOST:PORT \(inputs.projectDirectory), or fix CLAUDE_OBSERVABILITY_HUB"
                ))
        } else {
            endpoint = HTTPEndpoint(url: hub)
            checks.append(.pass("hub_url", "\(hub) (\(hubSource))"))
        }

        if let endpoint {
            var tlsHelper: String?
            if endpoint.isTLS {
                tlsHelper = TLSTunnel.helperPath(configured: configuration.tlsHelper)
                checks.append(tlsCheck(helper: tlsHelper, timeoutMilliseconds: inputs.timeoutMilliseconds))
            }
            let client = HTTPClient(
                endpoint: endpoint,
                configuration: HTTPClientConfiguration(
                    connectTimeoutMilliseconds: inputs.timeoutMilliseconds,
                    requestTimeoutMilliseconds: inputs.timeoutMilliseconds, maxIdleConnections: 1),
                connector: endpoint.isTLS ? TLSTunnel(configuration) : nil)
            let reachable = reachabilityCheck(client, hub: hub, timeoutMilliseconds: inputs.timeoutMilliseconds)
            checks.append(reachable)
            if reachable.passed {
                let secretSource = layers.value(SettingsEnv.secretVariable).map { "env of \($0.1)" } ?? "environment"
                checks.append(
                    signatureCheck(
                        client, secret: configuration.secret, source: secretSource, project: inputs.projectDirectory))
            } else {
                checks.append(
                    .fail("signature", "not checked: the hub is not reachable", fix: "fix hub_reachable first"))
            }
            client.closeIdleConnections()
        } else if !configuration.hubIsOn {
            checks.append(.pass("hub_reachable", "not checked: the hub is off"))
        } else {
            checks.append(.fail("hub_reachable", "not checked: no usable hub URL", fix: "fix hub_url first"))
        }
        if lookup("CLAUDE_OBSERVABILITY_OTLP_ENDPOINT")?.isEmpty == false { checks.append(otlpCheck(configuration)) }
        checks.append(spoolCheck(configuration.spoolDirectory))
        checks.append(queueCheck(configuration))
        return DoctorReport(projectDirectory: inputs.projectDirectory, checks: checks)
    }

    // MARK: Checks

    static func hooksCheck(_ layers: SettingsLayers) -> DoctorCheck {
        var broken: [String] = []
        for layer in layers.all { if let error = layer.error { broken.append("\(layer.path): \(error)") } }
        if !broken.isEmpty {
            return .fail(
                "hooks", broken.joined(separator: "; "),
                fix: "fix the settings file (Claude Code ignores a file it cannot read)")
        }
        let projectLayers = layers.all.filter { $0.scope == .project }
        let userLayers = layers.all.filter { $0.scope == .user }
        let projectEvents = Set(
            projectLayers.flatMap { InstallTarget.eventsWithHookKitEntries($0.document ?? .object([])) })
        let userEvents = Set(userLayers.flatMap { InstallTarget.eventsWithHookKitEntries($0.document ?? .object([])) })
        let total = HookEvents.installed.count
        switch (projectEvents.isEmpty, userEvents.isEmpty) {
        case (true, true):
            return .fail(
                "hooks", "no HookKit hook entries in \(layers.projectSettingsPath) nor in \(layers.userSettingsPath)",
                fix: "install.sh \(layers.project) (this project) or install.sh --user (every project)")
        case (false, false):
            return .fail(
                "hooks",
                "HookKit runs from both \(layers.projectSettingsPath) and \(layers.userSettingsPath): every event is recorded twice",
                fix: "remove one: install.sh --uninstall \(layers.project), or install.sh --uninstall --user")
        default:
            let isProject = !projectEvents.isEmpty
            let events = isProject ? projectEvents : userEvents
            let scopeLayers = isProject ? projectLayers : userLayers
            let commands = scopeLayers.flatMap { InstallTarget.hookKitCommands($0.document ?? .object([])) }
            let binaries = commands.map { binaryPath(of: $0, project: layers.project) }
            if let missing = binaries.first(where: { access($0, X_OK) != 0 }) {
                return .fail(
                    "hooks", "the hook entries run \(missing), which is missing or not executable",
                    fix: isProject ? "install.sh \(layers.project)" : "install.sh --user")
            }
            let missingEvents = HookEvents.installed.map(\.name).filter { !events.contains($0) }
            var detail =
                "\(isProject ? "project" : "user") install: entries for \(total - missingEvents.count) of \(total) events, running \(binaries.first ?? "?")"
            if !missingEvents.isEmpty { detail += " (none for \(missingEvents.joined(separator: ", ")))" }
            return .pass("hooks", detail)
        }
    }

    static func reachabilityCheck(_ client: HTTPClient, hub: String, timeoutMilliseconds: Int) -> DoctorCheck {
        let started = Clock.monotonicNanoseconds()
        do {
            let response = try client.get("/healthz")
            let elapsed = (Clock.monotonicNanoseconds() - started) / 1_000_000
            guard response.status == 200 else {
                return .fail(
                    "hub_reachable", "GET \(hub)/healthz answered \(response.status): \(snippet(response.bodyText))",
                    fix: "look at the hub's log; a 503 means it cannot write its store")
            }
            return .pass("hub_reachable", "GET /healthz answered 200 in \(elapsed) ms")
        } catch {
            return .fail(
                "hub_reachable", "cannot reach \(hub) within \(timeoutMilliseconds) ms: \(error)",
                fix: "start the hub, or point CLAUDE_OBSERVABILITY_HUB at a running one (install.sh --hub URL)")
        }
    }

    /// The probe: an empty batch. A hub of the wire contract answers it 200 with nothing stored
    /// (and checks its signature first, like any POST), so it proves the secret without leaving
    /// a test event behind.
    static func signatureCheck(_ client: HTTPClient, secret: String?, source: String, project: String) -> DoctorCheck {
        let body = Array("[]".utf8)
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let secret {
            let signer: StandardWebhooks.Signer
            do {
                signer = try StandardWebhooks.Signer(secrets: [secret])
            } catch {
                return .fail(
                    "signature", "CLAUDE_OBSERVABILITY_SECRET (\(source)) is not usable: \(error)",
                    fix: "a whsec_ secret must be base64 after the prefix; copy it from the hub again")
            }
            let id = UUIDv7.generate().description
            let timestamp = Clock.unixSeconds()
            headers.add(StandardWebhooks.idHeader, id)
            headers.add(StandardWebhooks.timestampHeader, String(timestamp))
            headers.add(
                StandardWebhooks.signatureHeader, signer.signatureHeader(id: id, timestamp: timestamp, body: body))
        }
        let response: HTTPResponse
        do {
            response = try client.post("/events/batch", body: body, headers: headers)
        } catch {
            return .fail("signature", "the probe failed: \(error)", fix: "check hub_reachable, then run doctor again")
        }
        switch response.status {
        case 200..<300:
            return .pass(
                "signature",
                secret == nil
                    ? "no secret set; the hub accepts unsigned events"
                    : "a signed probe was accepted (secret from \(source))")
        case 401:
            return secret == nil
                ? .fail(
                    "signature", "the hub requires signed events and no CLAUDE_OBSERVABILITY_SECRET is set",
                    fix: "CLAUDE_OBSERVABILITY_SECRET=<the hub's secret> install.sh \(project)")
                : .fail(
                    "signature",
                    "secret rejected by the hub (401: \(snippet(response.bodyText)); secret from \(source))",
                    fix: "use the hub's secret: CLAUDE_OBSERVABILITY_SECRET=<secret> install.sh \(project)")
        case 404, 405:
            return .pass("signature", "not probed: the hub has no batch endpoint (\(response.status))")
        default:
            return .fail(
                "signature", "the probe got \(response.status): \(snippet(response.bodyText))",
                fix: "look at the hub's log")
        }
    }

    static func tlsCheck(helper: String?, timeoutMilliseconds: Int) -> DoctorCheck {
        guard let helper else {
            return .fail(
                "tls", "cannot locate \(TLSTunnel.helperName)", fix: "set \(TLSTunnel.helperVariable) to its path")
        }
        guard access(helper, X_OK) == 0 else {
            return .fail(
                "tls", "\(helper) is missing or not executable; https hubs need it",
                fix: "install again (install.sh puts \(TLSTunnel.helperName) next to send-event)")
        }
        let (status, output) = HelperCheck.run([helper, "--check"], timeoutMilliseconds: timeoutMilliseconds)
        guard status == 0 else {
            return .fail(
                "tls", output.isEmpty ? "\(helper) --check failed (status \(status))" : output,
                fix: "install OpenSSL 3 or 1.1 (libssl), e.g. apt-get install libssl3")
        }
        return .pass("tls", output.isEmpty ? "\(helper) works" : "\(output) (\(helper))")
    }

    static func spoolCheck(_ directory: String) -> DoctorCheck {
        let info: stat?
        do {
            info = try FileSystem.status(directory)
        } catch {
            return .fail("spool", "cannot look at \(directory): \(error)", fix: "check the folder's permissions")
        }
        guard let info else { return .pass("spool", "\(directory) not created yet (the first event makes it, 0700)") }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return .fail("spool", "\(directory) is not a folder", fix: "move it away; the next event makes the folder")
        }
        guard info.st_uid == getuid() else {
            return .fail(
                "spool", "\(directory) belongs to uid \(info.st_uid), not to you (\(getuid()))",
                fix: "chown -R \(getuid()) '\(directory)' (or set CLAUDE_OBSERVABILITY_SPOOL)")
        }
        let mode = info.st_mode & 0o777
        guard mode == 0o700 else {
            return .fail(
                "spool", "\(directory) has mode \(String(mode, radix: 8)), expected 700 (events hold prompts and code)",
                fix: "chmod 700 '\(directory)'")
        }
        return .pass("spool", "\(directory) (yours, 0700)")
    }

    /// The OTLP sink's settings (no request is made: a receiver has no standard probe).
    static func otlpCheck(_ configuration: Configuration) -> DoctorCheck {
        guard let settings = configuration.otlp else {
            let problem = configuration.problems.first { $0.contains("OTLP") || $0.hasPrefix("OTEL_") } ?? "unusable"
            return .fail("otlp", problem, fix: "fix the variable it names (see docs/otlp.md)")
        }
        return .pass(
            "otlp", "\(settings.endpoint) (\(settings.wireProtocol.rawValue)): spans to /v1/traces, logs to /v1/logs")
    }

    static func queueCheck(_ configuration: Configuration) -> DoctorCheck {
        let status = SpoolStatus(configuration: configuration)
        var detail = "\(status.queued) queued, \(status.dead) dead letters"
        if let lastError = status.lastError { detail += ", last error: \(lastError)" }
        if let otlp = status.otlp {
            detail += "; OTLP: \(otlp.queued) queued, \(otlp.dead) dead letters"
            if let lastError = otlp.lastError { detail += ", last error: \(lastError)" }
            if otlp.dead > 0 {
                return .fail(
                    "queue", detail,
                    fix:
                        "see \(configuration.spool.otlpDeadLetterPath) for the reasons; after fixing the cause: send-event flush --retry-dead"
                )
            }
            if otlp.lastError != nil {
                return .fail("queue", detail, fix: "send-event flush delivers now and says why it cannot")
            }
        }
        if status.dead > 0 {
            return .fail(
                "queue", detail,
                fix:
                    "see \(configuration.spool.deadLetterPath) for the reasons; after fixing the cause: send-event flush --retry-dead"
            )
        }
        if status.lastError != nil {
            return .fail("queue", detail, fix: "send-event flush delivers now and says why it cannot")
        }
        return .pass("queue", detail)
    }

    // MARK: Helpers

    /// The file a hook command runs: quotes taken out, `$CLAUDE_PROJECT_DIR` replaced.
    static func binaryPath(of command: String, project: String) -> String {
        var path = command.filter { $0 != "\"" && $0 != "'" }
        for variable in ["${CLAUDE_PROJECT_DIR}", "$CLAUDE_PROJECT_DIR"] {
            if path.hasPrefix(variable) { path = project + path.dropFirst(variable.count) }
        }
        return path
    }

    static func snippet(_ text: String) -> String {
        let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(200)) + "..." : line
    }
}

/// The settings files whose `env` and hooks apply to a project, highest precedence first.
struct SettingsLayers {
    enum Scope { case project, user }

    struct Layer {
        var scope: Scope
        var path: String
        var document: JSONValue?
        var error: String?
    }

    let project: String
    let all: [Layer]
    let projectSettingsPath: String
    let userSettingsPath: String

    init(project: String, home: String?) {
        self.project = project
        let projectTarget = InstallTarget.project(project)
        projectSettingsPath = projectTarget.settingsPath
        var paths: [(Scope, String)] = []
        let userTarget = home.map { InstallTarget.user(home: $0) }
        userSettingsPath = userTarget?.settingsPath ?? "~/.claude/settings.json"
        // A project that is the home folder has only the user settings.
        if userTarget.map({ Self.sameFile($0.baseDirectory, project) }) != true {
            paths.append((.project, projectTarget.localSettingsPath ?? ""))
            paths.append((.project, projectTarget.settingsPath))
        }
        if let userTarget { paths.append((.user, userTarget.settingsPath)) }
        all = paths.map { scope, path in
            do {
                guard let bytes = try FileSystem.contents(of: path, limit: 16 << 20) else {
                    return Layer(scope: scope, path: path)
                }
                if !bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) {
                    return Layer(scope: scope, path: path, document: .object([]))
                }
                return Layer(scope: scope, path: path, document: try JSONValue.parse(bytes))
            } catch {
                return Layer(scope: scope, path: path, error: "\(error)")
            }
        }
    }

    /// The value of `env.name` in the first layer that sets it, with that layer's path.
    func value(_ name: String) -> (String, String)? {
        for layer in all {
            if let document = layer.document, let value = SettingsEnv.value(name, in: document), !value.isEmpty {
                return (value, layer.path)
            }
        }
        return nil
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}

/// Runs a short helper command and collects its output (stdout and stderr together), within a
/// deadline.
enum HelperCheck {
    static func run(_ arguments: [String], timeoutMilliseconds: Int) -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return (-1, "cannot make a pipe: \(Errno.current)") }
        let reader = fds[0]
        let writer = fds[1]
        // Only the child's copies (dup2 onto 1 and 2) cross the exec.
        _ = fcntl(reader, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writer, F_SETFD, FD_CLOEXEC)
        let spawned = ProcessSpawn.spawn(
            arguments, stdio: [.devNull, .descriptor(writer), .descriptor(writer)], newSession: false)
        close(writer)
        defer { close(reader) }
        guard case .success(let pid) = spawned else {
            if case .failure(let error) = spawned { return (-1, "cannot run \(arguments[0]): \(error)") }
            return (-1, "cannot run \(arguments[0])")
        }
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(timeoutMilliseconds, 1)) * 1_000_000
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reachedEnd = false
        while !reachedEnd, output.count < 64 * 1024 {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { break }
            var poller = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { reachedEnd = true } else { output += buffer[0..<count] }
        }
        var status: Int32 = 0
        // Its output closed: it is leaving. Otherwise it overran the deadline (or wrote too much).
        if !reachedEnd, waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (-1, "\(arguments[0]) did not answer within \(timeoutMilliseconds) ms")
        }
        if reachedEnd { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        let text = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return (status & 0x7F == 0 ? (status >> 8) & 0xFF : -1, text)
    }
}
