// send-event: the command Claude Code runs for every hook event. See `send-event --help`.
import HookKitSystem
import HookKit

let usage = """
    send-event \(HookKitVersion.current): queue a Claude Code hook event for delivery to a hub.

    USAGE
      send-event [--source-app NAME] [--event-type TYPE]   (as a hook: event JSON on stdin)
      send-event flush [--retry-dead]
      send-event status [--json]
      send-event install [PROJECT_DIR | --user] [--hub URL] [--uninstall] [--print-example]
      send-event doctor [PROJECT_DIR] [--json]
      send-event redact [--mode secrets|strict|off] [--content full|metadata]
      send-event --help | --version

    As a hook it reads the event from stdin, stamps it (UUIDv7, machine, agent lineage),
    appends it to the spool and makes sure a detached background flusher will deliver it,
    printing nothing on stdout and always exiting 0.

    COMMANDS
      flush               deliver everything queued now to every sink (the hub, and the OTLP
                          receiver when one is set), in the foreground; exit 0 when nothing is
                          left for any sink afterwards, else 1 with the reason per sink
      flush --retry-dead  send each sink's dead-lettered events to that sink again, then flush
      status [--json]     per sink: where it delivers, queued, dead letters, oldest age, last
                          error, next attempt (and for OTLP: spans, log records, open spans)
      install [DIR]       add the hook entries to DIR/.claude/settings.json (default: the current
                          folder), keeping every other key and hook and a backup of the original
                          (settings.json.hookkit-backup); a second run changes nothing; exit 1
                          without touching the file when it is not valid JSON
      install --hub URL   also set CLAUDE_OBSERVABILITY_HUB=URL in the settings' env (Claude
                          Code passes it to every hook); CLAUDE_OBSERVABILITY_SECRET, when set in
                          this command's environment, goes into .claude/settings.local.json
                          (mode 0600, git-ignored), never into settings.json
      install --user      install for every project: ~/.claude/settings.json, running
                          ~/.claude/hooks/send-event; refused where a project install exists
                          (and a project install where a user install exists)
      install --uninstall [DIR | --user]   remove exactly the entries and env variables
                          install added (a variable only while it has the value written)
      install --print-example     print the settings install writes into a project without any
                          (settings.example.json)
      doctor [DIR] [--json]   check the installation, the hub URL, that the hub answers and
                          accepts the secret, the spool and the queue; one line per check
                          with the fix for each failure; exit 0 when all pass, else 1
      redact              preview what would leave the machine: reads JSON (or plain text) on
                          stdin, prints it redacted on stdout and the count per rule on stderr;
                          --mode and --content default to the variables below

    OPTIONS
      --source-app NAME   project name (default: $CLAUDE_OBSERVABILITY_SOURCE_APP, else the
                          name of $CLAUDE_PROJECT_DIR or of the input's cwd)
      --event-type TYPE   event type (default: the input's hook_event_name)

    ENVIRONMENT
      CLAUDE_OBSERVABILITY_HUB          hub URL, http:// or https:// (default \(Configuration.defaultHub));
                                        none: no hub, only the OTLP receiver
      CLAUDE_OBSERVABILITY_OTLP_ENDPOINT  also deliver to OpenTelemetry: an OTLP/HTTP receiver's
                                        base URL (http://localhost:4318); see docs/otlp.md for
                                        the other CLAUDE_OBSERVABILITY_OTLP_* settings
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
    let configuration = Configuration()
    for problem in configuration.problems { writeError("send-event: \(problem)") }
    let envelope = EventEnvelope(
        configuration: configuration, machineID: MachineID.current(), sourceAppOverride: sourceApp,
        eventTypeOverride: eventType)
    let input = StandardInputReader.read()
    let spool = configuration.spool
    let outcome = Hook.record(input, envelope: envelope, spool: spool)
    for message in outcome.messages { writeError(message) }
    // With nowhere usable to deliver (an unusable hub URL and no OTLP sink) a flusher could only
    // fail: the event waits until the configuration is fixed.
    if outcome.eventID != nil, configuration.deliversAnywhere {
        FlusherLauncher.ensureRunning(
            spool, hub: configuration.hubIsOn, otlp: configuration.otlp != nil,
            executable: Platform.currentExecutable())
    }
    exit(0)
}

func runFlush(_ arguments: ArraySlice<String>) -> Int32 {
    let configuration = Configuration()
    switch Array(arguments) {
    case ["--background"]:
        Platform.closeInheritedDescriptors()
        TerminationRequest.install()
        FlushRunner.runBackground(configuration: configuration)
        return 0
    case [], ["--retry-dead"]:
        let onTerminal = isatty(2) == 1
        do {
            if arguments.first == "--retry-dead" {
                let reports = try FlushRunner.retryDead(configuration: configuration)
                if reports.allSatisfy({ $0.tried == 0 }) { writeError("send-event: no dead-lettered events") }
                for report in reports where report.tried > 0 {
                    let sink = report.sink == .hub ? "the hub" : "the OTLP receiver"
                    var line =
                        "send-event: \(report.delivered) of \(report.tried) dead-lettered events delivered to \(sink)"
                    if report.refused > 0 { line += ", \(report.refused) refused again" }
                    if let failure = report.failure { line += "; the others stay dead-lettered: \(failure)" }
                    writeError(line)
                }
            }
            let reports = try FlushRunner.drainSinks(configuration: configuration) { done, total in
                if onTerminal { writeError("\u{1B}[2K\rdelivered \(done) of \(total)", newline: false) }
            }
            if onTerminal { writeError("") }
            var failed = false
            // "queue empty" with one sink; with two, each says it has nothing left.
            let done = reports.count > 1 ? "nothing left for it" : "queue empty"
            for report in reports {
                if let failure = report.failure {
                    failed = true
                    let prefix = reports.count > 1 ? (report.sink == .hub ? "hub" : "OTLP") + " \(report.target): " : ""
                    writeError("send-event flush: \(prefix)\(failure)")
                } else if report.sink == .hub {
                    writeError("send-event: delivered \(report.delivered) events to \(report.target); \(done)")
                } else {
                    writeError(
                        "send-event: delivered \(report.delivered) events to the OTLP receiver \(report.target) "
                            + "(\(report.spans ?? 0) spans, \(report.logs ?? 0) log records); \(done)")
                }
            }
            return failed ? 1 : 0
        } catch {
            if onTerminal { writeError("") }
            writeError("send-event flush: \(error)")
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
    let configuration = Configuration()
    var status = SpoolStatus(configuration: configuration)
    // A configuration problem stops delivery before any attempt: it is the error to show.
    if !configuration.problems.isEmpty {
        status.lastError = (configuration.problems + [status.lastError].compactMap { $0 }).joined(separator: "; ")
    }
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

/// `send-event redact`: the hook's redaction, as a filter from stdin to stdout.
func runRedact(_ arguments: ArraySlice<String>) -> Int32 {
    let configuration = Configuration()
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
// As a hook (no arguments) skip building `CommandLine.arguments`: its array costs start-up time.
if CommandLine.argc == 1 { runHook([]) }
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "--help", "-h", "help": writeOutput(usage)
case "--version": writeOutput("send-event \(HookKitVersion.current)")
case "status": exit(runStatus(arguments.dropFirst()))
case "flush": exit(runFlush(arguments.dropFirst()))
case "install": exit(runInstallCommand(arguments.dropFirst()))
case "doctor": exit(runDoctorCommand(arguments.dropFirst()))
case "redact": exit(runRedact(arguments.dropFirst()))
default: runHook(arguments)
}
