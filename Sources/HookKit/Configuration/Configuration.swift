import HookKitSystem

/// Everything HookKit reads from the environment, read and checked once, in one place.
///
/// The hook, the flusher, `send-event status`, the TLS helper, `hook-hub` and ``EventEmitter``
/// all take their settings from here, so a bad value is noticed by whichever runs first: an
/// unusable hub URL or secret becomes a ``problems`` line that the hook prints on stderr (the
/// event is still queued) and `send-event status` shows as its last error. Unset and empty
/// variables take the defaults that the README's configuration table lists.
public struct Configuration: Sendable {
    /// Where events are delivered (`CLAUDE_OBSERVABILITY_HUB`, default `http://localhost:4000`).
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
    /// A PEM file of extra CA certificates for `https://` hubs (`CLAUDE_OBSERVABILITY_CA_FILE`).
    package var caFile: String?
    /// The TLS helper to run for `https://` hubs (`CLAUDE_OBSERVABILITY_TLS_HELPER`; default:
    /// `hookkit-tls` next to the running executable).
    package var tlsHelper: String?

    /// The default hub.
    public static let defaultHub = "http://localhost:4000"
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
                problems.append("\(name)='\(Self.shown(text))' is not a whole number of at least \(minimum); using the default")
                return nil
            }
            return number
        }
        hub = value("CLAUDE_OBSERVABILITY_HUB") ?? Self.defaultHub
        if let problem = Self.hubProblem(hub) { problems.append("CLAUDE_OBSERVABILITY_HUB: \(problem)") }
        secret = value("CLAUDE_OBSERVABILITY_SECRET")
        if let secret, case .failure(let error) = Result(catching: { () throws(StandardWebhooks.SecretError) in
            try StandardWebhooks.Key(secret: secret)
        }) {
            problems.append("CLAUDE_OBSERVABILITY_SECRET is not usable: \(error)")
        }
        maxPayloadBytes = integer("CLAUDE_OBSERVABILITY_MAX_PAYLOAD", minimum: 1024).map { Int($0) } ?? Self.defaultMaxPayloadBytes
        sourceApp = value("CLAUDE_OBSERVABILITY_SOURCE_APP")
        projectDirectory = value("CLAUDE_PROJECT_DIR")
        agentVersion = value("CLAUDE_AGENT_VERSION")
        sessionID = value("CLAUDE_CODE_SESSION_ID")
        traceParent = value("TRACEPARENT")
        caFile = value("CLAUDE_OBSERVABILITY_CA_FILE")
        tlsHelper = value("CLAUDE_OBSERVABILITY_TLS_HELPER")
        // Without any home folder there is no private place for the spool: "" makes the spool
        // refuse to record anything, saying why (never a shared fallback such as /tmp).
        let spoolFolder = Self.folderName(forHub: hub)
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
        if let linger = integer("CLAUDE_OBSERVABILITY_LINGER_MS") { delivery.lingerMilliseconds = Int(min(linger, 60_000)) }
        if let giveUp = integer("CLAUDE_OBSERVABILITY_GIVE_UP_AFTER_MS") { delivery.giveUpMilliseconds = giveUp }
        self.delivery = delivery
        self.problems = problems
    }

    /// The spool of this configuration: its folder, used only for its hub (see ``Spool/prepare()``).
    package var spool: Spool { Spool(directory: spoolDirectory, hub: hub) }

    /// The hub as an endpoint; `nil` when ``hub`` is not a usable URL (see ``problems``).
    package var hubEndpoint: HTTPEndpoint? { Self.hubProblem(hub) == nil ? HTTPEndpoint(url: hub) : nil }

    /// Why `url` cannot be a hub, or nil when it can: an `http://` or `https://` URL with a host,
    /// an optional port and path, and no white space or control characters.
    package static func hubProblem(_ url: String) -> String? {
        let expected = "expected http://host[:port][/path] or https://..."
        if url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "'\(shown(url))' contains spaces or control characters (\(expected))"
        }
        guard HTTPEndpoint(url: url) != nil else { return "'\(shown(url))' is not a hub URL (\(expected))" }
        return nil
    }

    /// `text` made safe for one line of output: control characters escaped, at most 200 bytes.
    static func shown(_ text: String) -> String {
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
