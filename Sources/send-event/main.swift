// send-event: the command Claude Code runs for every hook event. See `send-event --help`.
import HookKit

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

let usage = """
    send-event \(HookKitVersion.current): queue a Claude Code hook event for delivery to a hub.

    USAGE
      send-event [--source-app NAME] [--event-type TYPE]   (as a hook: event JSON on stdin)
      send-event flush [--retry-dead]
      send-event status [--json]
      send-event install [PROJECT_DIR] [--uninstall] [--print-example]
      send-event redact [--mode secrets|strict|off] [--content full|metadata]
      send-event --help | --version

    As a hook it reads the event from stdin, stamps it (UUIDv7, machine, agent lineage),
    appends it to the spool and makes sure a detached background flusher will deliver it,
    printing nothing on stdout and always exiting 0.

    COMMANDS
      flush               deliver everything queued now, in the foreground; exit 0 when the
                          queue is empty afterwards, else 1 with the reason
      flush --retry-dead  put dead-lettered events back in the queue, then flush
      status [--json]     hub, queued, dead letters, oldest age, last error, next attempt
      install [DIR]       add the hook entries to DIR/.claude/settings.json (default: the current
                          folder), keeping every other key and hook and a backup of the original
                          (settings.json.hookkit-backup); a second run changes nothing; exit 1
                          without touching the file when it is not valid JSON
      install --uninstall [DIR]   remove exactly the entries install added
      install --print-example     print the settings install writes into a project without any
                          (settings.example.json)
      redact              preview what would leave the machine: reads JSON (or plain text) on
                          stdin, prints it redacted on stdout and the count per rule on stderr;
                          --mode and --content default to the variables below

    OPTIONS
      --source-app NAME   project name (default: $CLAUDE_OBSERVABILITY_SOURCE_APP, else the
                          name of $CLAUDE_PROJECT_DIR or of the input's cwd)
      --event-type TYPE   event type (default: the input's hook_event_name)

    ENVIRONMENT
      CLAUDE_OBSERVABILITY_HUB          hub URL, http:// or https:// (default \(Configuration.defaultHub))
      CLAUDE_OBSERVABILITY_CA_FILE      https: PEM file of extra CA certificates to trust
      CLAUDE_OBSERVABILITY_TLS_HELPER   https: path of hookkit-tls (default: next to send-event)
      CLAUDE_OBSERVABILITY_SECRET       Standard Webhooks signing secret (whsec_... or any string)
      CLAUDE_OBSERVABILITY_SPOOL        spool folder (default: per hub, in the user's state folder)
      CLAUDE_OBSERVABILITY_MAX_PAYLOAD  largest payload kept whole, bytes (default 262144)
      CLAUDE_OBSERVABILITY_SOURCE_APP   project name
      CLAUDE_AGENT_VERSION              sent as agent_version
      CLAUDE_OBSERVABILITY_REDACT       secrets (default), strict or off: secrets masked before spooling
      CLAUDE_OBSERVABILITY_REDACT_WORDS comma-separated literals always masked (unless off)
      CLAUDE_OBSERVABILITY_CONTENT      full (default) or metadata: keep only ids, names, numbers
    """

func writeError(_ text: String, newline: Bool = true) {
    var line = Array(text.utf8)
    if newline { line.append(UInt8(ascii: "\n")) }
    try? FileDescriptor.standardError.writeAll(line)
}

func writeOutput(_ text: String) {
    try? FileDescriptor.standardOutput.writeAll(Array((text + "\n").utf8))
}

/// The hook: whatever happens, nothing on stdout and exit status 0.
func runHook(_ arguments: ArraySlice<String>) -> Never {
    var sourceApp: String?
    var eventType: String?
    var rest = arguments
    while let argument = rest.popFirst() {
        switch argument {
        case "--source-app": sourceApp = rest.popFirst()
        case "--event-type": eventType = rest.popFirst()
        default: writeError("send-event: ignoring unknown argument '\(argument)' (see --help)")
        }
    }
    if isatty(0) == 1 {
        writeError("send-event: expects a hook event as JSON on stdin (see --help); nothing recorded")
        exit(0)
    }
    let configuration = Configuration.fromProcessEnvironment()
    for problem in configuration.problems { writeError("send-event: \(problem)") }
    let envelope = EventEnvelope(
        configuration: configuration, machineID: MachineID.current(), sourceAppOverride: sourceApp,
        eventTypeOverride: eventType)
    let input = StandardInputReader.read()
    let spool = Spool(directory: configuration.spoolDirectory)
    let outcome = Hook.record(input, envelope: envelope, spool: spool)
    for message in outcome.messages { writeError(message) }
    if outcome.eventID != nil { FlusherLauncher.ensureRunning(spool) }
    exit(0)
}

func runFlush(_ arguments: ArraySlice<String>) -> Int32 {
    let environment = ProcessEnvironment.current()
    let configuration = Configuration(environment: environment)
    let settings = DeliverySettings { environment[$0] }
    switch Array(arguments) {
    case ["--background"]:
        FlusherLauncher.closeInheritedDescriptors()
        FlushRunner.runBackground(configuration: configuration, settings: settings)
        return 0
    case [], ["--retry-dead"]:
        if arguments.first == "--retry-dead" {
            switch FlushRunner.retryDead(configuration: configuration) {
            case .success(let count): writeError("send-event: \(count) dead-lettered events queued again")
            case .failure(let failure):
                writeError("send-event flush: \(failure)")
                return 1
            }
        }
        let onTerminal = isatty(2) == 1
        let result = FlushRunner.drain(configuration: configuration, settings: settings) { done, total in
            if onTerminal { writeError("\u{1B}[2K\rdelivered \(done) of \(total)", newline: false) }
        }
        if onTerminal { writeError("") }
        switch result {
        case .success(let count):
            writeError("send-event: delivered \(count) events to \(configuration.hub); queue empty")
            return 0
        case .failure(let failure):
            writeError("send-event flush: \(failure)")
            return 1
        }
    default:
        writeError(
            "send-event flush: unknown arguments \(arguments.joined(separator: " ")) (usage: send-event flush [--retry-dead])"
        )
        return 64
    }
}

func runStatus(_ arguments: ArraySlice<String>) -> Int32 {
    let configuration = Configuration.fromProcessEnvironment()
    let status = SpoolStatus(spool: Spool(directory: configuration.spoolDirectory), hub: configuration.hub)
    switch Array(arguments) {
    case []: writeOutput(status.text())
    case ["--json"]: writeOutput(status.json())
    default:
        writeError(
            "send-event status: unknown arguments \(arguments.joined(separator: " ")) (usage: send-event status [--json])"
        )
        return 64
    }
    return 0
}

func runInstall(_ arguments: ArraySlice<String>) -> Int32 {
    var project: String?
    var uninstall = false
    var printExample = false
    for argument in arguments {
        switch argument {
        case "--uninstall": uninstall = true
        case "--print-example": printExample = true
        case _ where argument.hasPrefix("-") || project != nil:
            writeError(
                "send-event install: unexpected argument '\(argument)' (usage: send-event install [PROJECT_DIR] [--uninstall] [--print-example])"
            )
            return 64
        default: project = argument
        }
    }
    if printExample {
        try? FileDescriptor.standardOutput.writeAll(Array(Installer.exampleSettings.utf8))
        return 0
    }
    let directory = project ?? currentDirectory()
    do {
        let report =
            uninstall
            ? try Installer.uninstall(projectDirectory: directory) : try Installer.install(projectDirectory: directory)
        writeOutput(installSummary(report, uninstall: uninstall))
        return 0
    } catch {
        writeError("send-event install: \(error)")
        return 1
    }
}

func installSummary(_ report: Installer.Report, uninstall: Bool) -> String {
    var lines: [String] = []
    if uninstall {
        lines.append(
            report.removed.isEmpty
                ? "\(report.settingsPath): no HookKit hook entries; nothing changed"
                : "\(report.settingsPath): removed \(report.removed.count) HookKit hook entries")
    } else if report.added.isEmpty {
        let count = report.alreadyPresent.count
        lines.append("\(report.settingsPath): hooks already installed for all \(count) events; nothing changed")
    } else {
        let verb = report.createdSettings ? "created with" : "added"
        var line = "\(report.settingsPath): \(verb) hook entries for \(report.added.count) events"
        if !report.alreadyPresent.isEmpty { line += " (\(report.alreadyPresent.count) already had one)" }
        lines.append(line)
    }
    if report.createdBackup, let backup = report.backupPath { lines.append("original settings kept in \(backup)") }
    return lines.joined(separator: "\n")
}

/// `send-event redact`: the hook's redaction, as a filter from stdin to stdout.
func runRedact(_ arguments: ArraySlice<String>) -> Int32 {
    let configuration = Configuration.fromProcessEnvironment()
    var mode = configuration.redactMode
    var content = configuration.contentMode
    var rest = arguments
    let usageLine = "usage: send-event redact [--mode secrets|strict|off] [--content full|metadata]"
    while let argument = rest.popFirst() {
        switch argument {
        case "--mode":
            guard let value = rest.popFirst().flatMap(RedactionMode.init(rawValue:)) else {
                writeError("send-event redact: --mode takes secrets, strict or off (\(usageLine))")
                return 64
            }
            mode = value
        case "--content":
            guard let value = rest.popFirst().flatMap(ContentMode.init(rawValue:)) else {
                writeError("send-event redact: --content takes full or metadata (\(usageLine))")
                return 64
            }
            content = value
        default:
            writeError("send-event redact: unexpected argument '\(argument)' (\(usageLine))")
            return 64
        }
    }
    for problem in configuration.problems { writeError("send-event redact: \(problem)") }
    let input: [UInt8]
    do {
        input = try FileDescriptor.standardInput.readAll(limit: StandardInputReader.defaultLimit)
    } catch {
        writeError("send-event redact: cannot read stdin: \(error)")
        return 1
    }
    let filter = PayloadFilter(
        redactor: Redactor(mode: mode, customWords: configuration.redactWords), contentMode: content)
    var counts = RedactionCounts()
    let output: [UInt8]
    if (try? JSONScanner.scan(input)) != nil {
        output = filter.apply(input, counts: &counts) ?? input
    } else {
        output = filter.applyText(input, counts: &counts)
    }
    try? FileDescriptor.standardOutput.writeAll(output)
    var summary = "send-event redact (mode \(mode.rawValue), content \(content.rawValue)): "
    summary += counts.isEmpty ? "nothing redacted" : "\(counts.total) redacted"
    for (rule, count) in counts.nonZero { summary += "\n  \(rule.id): \(count)" }
    writeError(summary)
    return 0
}

func currentDirectory() -> String {
    guard let path = getcwd(nil, 0) else { return "." }
    defer { free(path) }
    return String(cString: path)
}

CrashGuard.install()
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "--help", "-h", "help": writeOutput(usage)
case "--version": writeOutput("send-event \(HookKitVersion.current)")
case "status": exit(runStatus(arguments.dropFirst()))
case "flush": exit(runFlush(arguments.dropFirst()))
case "install": exit(runInstall(arguments.dropFirst()))
case "redact": exit(runRedact(arguments.dropFirst()))
default: runHook(arguments)
}
