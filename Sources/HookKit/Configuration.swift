#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// Everything HookKit reads from the environment, resolved once.
///
/// Built from a plain dictionary so that tests and embedding programs can pass their own; the
/// command-line tools use ``fromProcessEnvironment()``. The README's configuration table lists the
/// same variables.
public struct Configuration: Sendable {
    /// Where events are delivered (`CLAUDE_OBSERVABILITY_HUB`, default `http://localhost:4000`).
    public var hub: String
    /// The Standard Webhooks signing secret (`CLAUDE_OBSERVABILITY_SECRET`), if any.
    public var secret: String?
    /// The spool directory (`CLAUDE_OBSERVABILITY_SPOOL`, default: one folder per hub under the
    /// user's state directory).
    public var spoolDirectory: String
    /// The largest payload kept whole, in bytes (`CLAUDE_OBSERVABILITY_MAX_PAYLOAD`, default 256 KiB).
    public var maxPayloadBytes: Int
    /// The project / app name from `CLAUDE_OBSERVABILITY_SOURCE_APP`.
    public var sourceApp: String?
    /// Claude Code's project root (`CLAUDE_PROJECT_DIR`).
    public var projectDirectory: String?
    /// The agent's version (`CLAUDE_AGENT_VERSION`), sent as `agent_version`.
    public var agentVersion: String?
    /// Claude Code's session id from the environment (`CLAUDE_CODE_SESSION_ID`), used when the
    /// input has none.
    public var sessionID: String?
    /// The W3C trace context Claude Code passes when its tracing is on (`TRACEPARENT`).
    public var traceParent: String?
    /// Which redaction rules run before an event is spooled (`CLAUDE_OBSERVABILITY_REDACT`:
    /// `secrets` (default), `strict` or `off`).
    public var redactMode: RedactionMode
    /// Literals always redacted as `[REDACTED:custom]` unless redaction is off
    /// (`CLAUDE_OBSERVABILITY_REDACT_WORDS`, comma-separated).
    public var redactWords: [String]
    /// Whether payload strings are kept (`CLAUDE_OBSERVABILITY_CONTENT`: `full` (default) or `metadata`).
    public var contentMode: ContentMode
    /// Settings that could not be understood, with what is used instead: one line each for stderr.
    public var problems: [String]

    /// The default hub.
    public static let defaultHub = "http://localhost:4000"
    /// The default payload limit: 256 KiB.
    public static let defaultMaxPayloadBytes = 256 * 1024

    /// Resolves the configuration from `environment`.
    public init(environment: [String: String]) {
        self.init { environment[$0] }
    }

    /// Resolves the configuration from a variable lookup (`getenv` for this process).
    public init(lookup: (String) -> String?) {
        func value(_ name: String) -> String? {
            guard let value = lookup(name), !value.isEmpty else { return nil }
            return value
        }
        hub = value("CLAUDE_OBSERVABILITY_HUB") ?? Self.defaultHub
        secret = value("CLAUDE_OBSERVABILITY_SECRET")
        maxPayloadBytes =
            value("CLAUDE_OBSERVABILITY_MAX_PAYLOAD").flatMap { Int($0) }.map { max(1024, $0) }
            ?? Self.defaultMaxPayloadBytes
        sourceApp = value("CLAUDE_OBSERVABILITY_SOURCE_APP")
        projectDirectory = value("CLAUDE_PROJECT_DIR")
        agentVersion = value("CLAUDE_AGENT_VERSION")
        sessionID = value("CLAUDE_CODE_SESSION_ID")
        traceParent = value("TRACEPARENT")
        let redact = RedactionMode.parse(value("CLAUDE_OBSERVABILITY_REDACT"))
        let content = ContentMode.parse(value("CLAUDE_OBSERVABILITY_CONTENT"))
        (redactMode, contentMode) = (redact.mode, content.mode)
        redactWords = parseRedactWords(value("CLAUDE_OBSERVABILITY_REDACT_WORDS"))
        problems = [redact.problem, content.problem].compactMap { $0 }
        spoolDirectory =
            value("CLAUDE_OBSERVABILITY_SPOOL")
            ?? Self.stateDirectory(lookup: value) + "/" + Self.folderName(forHub: hub)
    }

    /// The configuration of this process, read with `getenv` (a dictionary of the whole
    /// environment would cost the hook more than everything else it does).
    public static func fromProcessEnvironment() -> Configuration {
        Configuration { name in getenv(name).map { String(cString: $0) } }
    }

    /// The user's state directory for HookKit: `$XDG_STATE_HOME/hookkit`, else
    /// `~/Library/Application Support/HookKit` on macOS and `~/.local/state/hookkit` elsewhere.
    /// Never inside a project's work tree.
    static func stateDirectory(lookup value: (String) -> String?) -> String {
        if let state = value("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/hookkit" }
        let home = value("HOME") ?? "/tmp/hookkit-\(getuid())"
        #if canImport(Darwin)
        return home + "/Library/Application Support/HookKit"
        #else
        return home + "/.local/state/hookkit"
        #endif
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

/// The process environment as a dictionary.
public enum ProcessEnvironment {
    /// Reads `environ`.
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        guard var entry = _NSGetEnviron()?.pointee else { return result }
        #else
        guard var entry = environ as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? else { return result }
        #endif
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
