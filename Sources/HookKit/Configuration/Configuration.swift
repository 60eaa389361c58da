import HookKitSystem

/// Everything HookKit reads from the environment, read and checked once, in one place: where
/// events go, how they are signed, where they wait.
///
/// ``init()`` reads this process's environment (the `CLAUDE_OBSERVABILITY_*` variables that the
/// README's configuration table lists; unset and empty ones take the defaults);
/// ``init(environment:)`` reads a dictionary instead. Change the properties afterwards to set
/// things in code:
///
/// ```swift
/// var configuration = Configuration()
/// configuration.hub = "http://127.0.0.1:4000"
/// configuration.spoolDirectory = "/tmp/my-tool-spool"
/// let emitter = try EventEmitter(configuration: configuration)
/// ```
///
/// The hook, the flusher, `send-event status`, the TLS helper, `hook-hub` and ``EventEmitter``
/// all take their settings from here, so a bad value is noticed by whichever runs first: an
/// unusable hub URL or secret becomes a ``problems`` line that the hook prints on stderr (the
/// event is still queued) and `send-event status` shows as its last error.
public struct Configuration: Sendable {
    /// Where events are delivered (`CLAUDE_OBSERVABILITY_HUB`, default `http://localhost:4000`);
    /// `none` turns the hub off, for programs that deliver only to OpenTelemetry
    /// (`CLAUDE_OBSERVABILITY_OTLP_ENDPOINT`, see `docs/otlp.md`).
    ///
    /// The default ``spoolDirectory`` is named after the hub when the configuration is read;
    /// when you change the hub in code, set the spool folder too, so that each hub keeps its own
    /// queue.
    public var hub: String
    /// The Standard Webhooks signing secret (`CLAUDE_OBSERVABILITY_SECRET`), if any. Read from the
    /// environment only, never written to disk.
    public var secret: String?
    /// The spool folder (`CLAUDE_OBSERVABILITY_SPOOL`, default: one folder per hub under the
    /// user's state directory).
    public var spoolDirectory: String
    /// The largest payload kept whole, in bytes (`CLAUDE_OBSERVABILITY_MAX_PAYLOAD`, default 256 KiB).
    public var maxPayloadBytes: Int
    /// The project or app name (`CLAUDE_OBSERVABILITY_SOURCE_APP`), sent as `source_app`.
    public var sourceApp: String?
    /// The agent's version (`CLAUDE_AGENT_VERSION`), sent as `agent_version`.
    public var agentVersion: String?
    /// Which redaction rules run before an event is spooled (`CLAUDE_OBSERVABILITY_REDACT`:
    /// `secrets` (default), `strict` or `off`).
    public var redactMode: RedactionMode
    /// Literals always redacted as `[REDACTED:custom]` unless redaction is off
    /// (`CLAUDE_OBSERVABILITY_REDACT_WORDS`, comma-separated).
    public var redactWords: [String]
    /// Whether payload strings are kept (`CLAUDE_OBSERVABILITY_CONTENT`: `full` (default) or `metadata`).
    public var contentMode: ContentMode
    /// What is wrong with the environment, one line each (empty when nothing is). Settings with
    /// a problem fall back to their defaults, except the hub and the secret, which are kept so
    /// that nothing is sent anywhere unintended: delivery waits until they are fixed.
    public var problems: [String]

    /// Claude Code's project root (`CLAUDE_PROJECT_DIR`).
    package var projectDirectory: String?
    /// Claude Code's session id (`CLAUDE_CODE_SESSION_ID`), used when the input has none.
    package var sessionID: String?
    /// The W3C trace context Claude Code passes when its tracing is on (`TRACEPARENT`).
    package var traceParent: String?
    /// Batching, bounds, backoff and linger of delivery.
    package var delivery: DeliverySettings
    /// The OTLP sink's settings (`CLAUDE_OBSERVABILITY_OTLP_*`, `OTEL_SERVICE_NAME`,
    /// `OTEL_RESOURCE_ATTRIBUTES`), read with ``OTLPSettings/parse(lookup:)``: nil when
    /// `CLAUDE_OBSERVABILITY_OTLP_ENDPOINT` is unset, or when a value is invalid (a ``problems``
    /// line then says which and why, and the sink stays off).
    package var otlp: OTLPSettings?
    /// A PEM file of extra CA certificates for `https://` hubs (`CLAUDE_OBSERVABILITY_CA_FILE`).
    package var caFile: String?
    /// The TLS helper to run for `https://` hubs (`CLAUDE_OBSERVABILITY_TLS_HELPER`; default:
    /// `hookkit-tls` next to the running executable).
    package var tlsHelper: String?

    /// The default hub.
    public static let defaultHub = "http://localhost:4000"
    /// The ``hub`` that turns the hub sink off: `none` (any case).
    package static let noHub = "none"
    /// The default payload limit: 256 KiB.
    public static let defaultMaxPayloadBytes = 256 * 1024

    /// Reads the configuration from `environment` (for tests, and programs that build their own).
    public init(environment: [String: String]) {
        self.init { environment[$0] }
    }

    /// Reads the configuration of this process, with `getenv` (a dictionary of the whole
    /// environment would cost the hook more than everything else it does).
    public init() {
        self.init { name in getenv(name).map { String(cString: $0) } }
    }

    /// Reads the configuration from a variable lookup.
    package init(lookup: (String) -> String?) {
        var problems: [String] = []
        func value(_ name: String) -> String? {
            guard let value = lookup(name), !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String, minimum: Int64 = 0) -> Int64? {
            guard let text = value(name) else { return nil }
            guard let number = Int64(text), number >= minimum else {
                problems.append(
                    "\(name)='\(Self.shown(text))' is not a whole number of at least \(minimum); using the default")
                return nil
            }
            return number
        }
        hub = value("CLAUDE_OBSERVABILITY_HUB") ?? Self.defaultHub
        let hubIsOff = Self.isNoHub(hub)
        if !hubIsOff, let problem = Self.hubProblem(hub) {
            problems.append("CLAUDE_OBSERVABILITY_HUB='\(Self.shown(hub))' is not usable: \(problem)")
        }
        // The OTLP sink: read only when its endpoint is set (one lookup otherwise).
        do {
            otlp = try OTLPSettings.parse(lookup: lookup)
        } catch {
            otlp = nil
            problems.append("\(error); the OTLP sink is off")
        }
        let otlpEndpoint = value("CLAUDE_OBSERVABILITY_OTLP_ENDPOINT")
        if hubIsOff && otlpEndpoint == nil {
            problems.append(
                "CLAUDE_OBSERVABILITY_HUB=none turns the hub off and CLAUDE_OBSERVABILITY_OTLP_ENDPOINT is not set: "
                    + "events are queued but delivered nowhere")
        }
        secret = value("CLAUDE_OBSERVABILITY_SECRET")
        if let secret,
            case .failure(let error) = Result(catching: { () throws(StandardWebhooks.SecretError) in
                try StandardWebhooks.Key(secret: secret)
            })
        {
            problems.append("CLAUDE_OBSERVABILITY_SECRET is not usable: \(error)")
        }
        maxPayloadBytes =
            integer("CLAUDE_OBSERVABILITY_MAX_PAYLOAD", minimum: 1024).map { Int($0) } ?? Self.defaultMaxPayloadBytes
        sourceApp = value("CLAUDE_OBSERVABILITY_SOURCE_APP")
        projectDirectory = value("CLAUDE_PROJECT_DIR")
        agentVersion = value("CLAUDE_AGENT_VERSION")
        sessionID = value("CLAUDE_CODE_SESSION_ID")
        traceParent = value("TRACEPARENT")
        let redact = RedactionMode.parse(value("CLAUDE_OBSERVABILITY_REDACT"))
        let content = ContentMode.parse(value("CLAUDE_OBSERVABILITY_CONTENT"))
        (redactMode, contentMode) = (redact.mode, content.mode)
        redactWords = parseRedactWords(value("CLAUDE_OBSERVABILITY_REDACT_WORDS"))
        problems += [redact.problem, content.problem].compactMap { $0 }
        caFile = value("CLAUDE_OBSERVABILITY_CA_FILE")
        tlsHelper = value("CLAUDE_OBSERVABILITY_TLS_HELPER")
        // Without any home folder there is no private place for the spool: "" makes the spool
        // refuse to record anything, saying why (never a shared fallback such as /tmp).
        // Without a hub, the spool is named after the OTLP endpoint as given (so that fixing another
        // OTLP setting does not move it).
        let spoolFolder =
            hubIsOff
            ? otlpEndpoint.map { "otlp-" + Self.folderName(forHub: $0) } ?? "none" : Self.folderName(forHub: hub)
        spoolDirectory =
            value("CLAUDE_OBSERVABILITY_SPOOL")
            ?? Self.stateDirectory(lookup: value).map { $0 + "/" + spoolFolder } ?? ""

        var delivery = DeliverySettings()
        if let bytes = integer("CLAUDE_OBSERVABILITY_MAX_QUEUE_BYTES", minimum: 1024) { delivery.maxQueueBytes = bytes }
        if let seconds = integer("CLAUDE_OBSERVABILITY_MAX_AGE_SECONDS") {
            delivery.maxAgeMilliseconds = min(seconds, Int64.max / 1000) * 1000
        }
        delivery.backoff = Backoff(
            baseMilliseconds: integer("CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS", minimum: 1)
                ?? Backoff.standard.baseMilliseconds,
            capMilliseconds: integer("CLAUDE_OBSERVABILITY_BACKOFF_CAP_MS", minimum: 1)
                ?? Backoff.standard.capMilliseconds)
        if let linger = integer("CLAUDE_OBSERVABILITY_LINGER_MS") {
            delivery.lingerMilliseconds = Int(min(linger, 60_000))
        }
        if let giveUp = integer("CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS") { delivery.giveUpMilliseconds = giveUp }
        self.delivery = delivery
        self.problems = problems
    }

    /// The hub as an endpoint; `nil` when the hub sink is off (``hub`` is `none`) or ``hub`` is not
    /// a usable URL (see ``problems``).
    package var hubEndpoint: HTTPEndpoint? {
        !hubIsOn || Self.hubProblem(hub) != nil ? nil : HTTPEndpoint(url: hub)
    }

    /// Whether the hub sink is on: ``hub`` is not `none`.
    package var hubIsOn: Bool { !Self.isNoHub(hub) }

    /// Whether a flusher has anywhere to deliver: a usable hub, or the OTLP sink.
    package var deliversAnywhere: Bool { otlp != nil || hubEndpoint != nil }

    /// Whether `hub` turns the hub sink off (`none`, in any case).
    package static func isNoHub(_ hub: String) -> Bool {
        hub.utf8.count == 4 && hub.lowercased() == noHub
    }

    /// Why `url` cannot be a hub (one clause, for "... is not usable: <clause>"), or nil when it can: an `http://` or `https://` URL with a host,
    /// an optional port and path, and nothing that could break out of a quoted shell word or a
    /// header line (white space, control characters, quotes, backslashes), since installers write
    /// it into settings and scripts.
    package static func hubProblem(_ url: String) -> String? {
        let expected = "expected http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]"
        if url.isEmpty { return "it is empty" }
        // Plain comparisons, no range patterns: this runs in every hook, and a `Range<UInt8>`
        // pattern costs a generic metadata lookup at start-up.
        for byte in url.utf8 {
            if byte < 0x20 || byte == 0x7F { return "it contains a control character" }
            if byte == 0x20 { return "it contains a space" }
            if byte == 0x22 || byte == 0x27 || byte == 0x5C || byte == 0x60 {
                return "it contains a quote or a backslash"
            }
        }
        return HTTPEndpoint(url: url) == nil ? expected : nil
    }

    /// `url` without trailing slashes: `http://hub:4000/` and `http://hub:4000` are one hub (and
    /// the spool folder is named after the text).
    package static func normalizedHub(_ url: String) -> String {
        let keep = url.lowercased().hasPrefix("https://") ? 9 : 8  // never into the scheme's slashes
        var text = url
        while text.hasSuffix("/"), text.count > keep { text.removeLast() }
        return text
    }

    /// `text` made safe for one line of output: control characters escaped, at most 200 bytes.
    package static func shown(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += scalar.escaped(asASCII: true)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The user's state directory for HookKit: `$XDG_STATE_HOME/hookkit`, else
    /// `~/Library/Application Support/HookKit` on macOS and `~/.local/state/hookkit` elsewhere.
    /// Never inside a project's work tree.
    /// The home folder is `HOME`, else the password database's entry for the user; nil without
    /// either.
    static func stateDirectory(lookup value: (String) -> String?) -> String? {
        if let state = value("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/hookkit" }
        guard let home = value("HOME") ?? UserAccount.homeDirectory() else { return nil }
        return home + "/" + Platform.stateFolder
    }

    /// A readable folder name that keeps each hub's queue apart: `http://localhost:4000` becomes
    /// `http-localhost-4000`.
    static func folderName(forHub hub: String) -> String {
        var name = ""
        for character in hub.lowercased().unicodeScalars {
            let keep = ("a"..."z").contains(character) || ("0"..."9").contains(character) || character == "."
            if keep {
                name.unicodeScalars.append(character)
            } else if !name.isEmpty && !name.hasSuffix("-") {
                name += "-"
            }
        }
        while name.hasSuffix("-") { name.removeLast() }
        return name.isEmpty ? "default" : name
    }
}
