import HookKitSystem

/// A hook's input as read: the bytes, and why they may be incomplete.
package struct HookInput: Sendable {
    /// The bytes read (at most the read limit).
    package var bytes: [UInt8]
    /// How many bytes the input really had (more than `bytes.count` when it was cut).
    package var originalByteCount: Int
    /// Why the input is incomplete ("input larger than 64 MiB", "stdin still open after 1 s"),
    /// or nil when it was read to the end.
    package var readProblem: String?

    /// Wraps input that was read completely.
    package init(bytes: [UInt8]) {
        self.init(bytes: bytes, originalByteCount: bytes.count, readProblem: nil)
    }

    /// Wraps input with its original size and read problem.
    package init(bytes: [UInt8], originalByteCount: Int, readProblem: String?) {
        self.bytes = bytes
        self.originalByteCount = originalByteCount
        self.readProblem = readProblem
    }
}

/// Turns a hook's input into one event line of the wire contract (without the newline).
///
/// Whatever the input, the result is one valid JSON object: a valid input object becomes the
/// `payload` as received (minified, numbers and duplicate keys verbatim, shortened only past the
/// size limit); anything else is kept as a sanitised, capped string with `payload_error` saying
/// why, so nothing is dropped silently.
package struct EventEnvelope: Sendable {
    /// The process-wide facts: configuration and machine id.
    package var configuration: Configuration
    /// The hashed machine id.
    package var machineID: String
    /// `--source-app`: wins over the environment and the project folder.
    package var sourceAppOverride: String?
    /// `--event-type`: wins over the input's `hook_event_name`.
    package var eventTypeOverride: String?

    /// How much of an input that is not valid JSON is kept, before escaping.
    package static let rawInputCap = 64 * 1024
    /// The deepest nesting kept as a JSON payload (the payload object is level 1): many JSON
    /// readers refuse deeper texts (serde_json stops at 128, Python at its recursion limit), and a
    /// hub that stores one would break every read that includes it. Deeper input is kept as
    /// `payload.raw` with `payload_error`.
    package static let maxPayloadDepth = 256

    /// Creates an envelope for events of this process.
    package init(
        configuration: Configuration, machineID: String, sourceAppOverride: String? = nil,
        eventTypeOverride: String? = nil
    ) {
        self.configuration = configuration
        self.machineID = machineID
        self.sourceAppOverride = sourceAppOverride
        self.eventTypeOverride = eventTypeOverride
    }

    /// An encoded event.
    package struct Encoded: Sendable {
        /// The event as one line of JSON, without the newline.
        package var line: [UInt8]
        /// Why the input could not be kept as a JSON payload, if it could not.
        package var payloadError: String?
        /// Whether the payload was shortened to fit the size limit.
        package var payloadTruncated: Bool
    }

    /// Encodes `input` as an event stamped with `id` (whose timestamp is the event's).
    package func encode(_ input: HookInput, id: UUIDv7) -> Encoded {
        let payload = Payload(input, maxBytes: configuration.maxPayloadBytes)
        let scanned = payload.scanned
        let sessionID =
            scanned?.string(forKey: "session_id").flatMap { $0.isEmpty ? nil : $0 }
            ?? configuration.sessionID ?? "unknown"
        let lineage = Lineage(
            sessionID: sessionID, inputAgentID: scanned?.string(forKey: "agent_id"),
            inputAgentType: scanned?.string(forKey: "agent_type"))
        let eventType = eventTypeOverride ?? scanned?.string(forKey: "hook_event_name") ?? "Unknown"

        var line: [UInt8] = []
        line.reserveCapacity(payload.text.count + 640)
        func field(_ key: StaticString, _ value: String?) {
            JSONWriter.appendKey(key, to: &line)
            JSONWriter.appendOptionalString(value, to: &line)
            line.append(UInt8(ascii: ","))
        }
        line.append(UInt8(ascii: "{"))
        field("event_uuid", id.uuidString)
        field("source_app", sourceApp(cwd: scanned?.string(forKey: "cwd")))
        field("machine_id", machineID)
        field("session_id", sessionID)
        field("agent_id", lineage.agentID)
        field("agent_type", lineage.agentType)
        field("agent_name", lineage.agentName)
        field("parent_agent_id", lineage.parentAgentID)
        field("agent_version", configuration.agentVersion)
        field("plugin_version", HookKitVersion.current)
        field("hook_event_type", eventType)
        JSONWriter.appendKey("timestamp", to: &line)
        JSONWriter.appendInteger(id.timestampMilliseconds, to: &line)
        line.append(UInt8(ascii: ","))
        if let traceParent = configuration.traceParent { field("trace_parent", traceParent) }
        if let error = payload.error { field("payload_error", error) }
        if payload.truncated {
            JSONWriter.append(#""payload_truncated":true,"payload_original_bytes":"#, to: &line)
            JSONWriter.appendInteger(input.originalByteCount, to: &line)
            line.append(UInt8(ascii: ","))
        }
        JSONWriter.appendKey("payload", to: &line)
        line.append(contentsOf: payload.text)
        line.append(UInt8(ascii: "}"))
        return Encoded(line: line, payloadError: payload.error, payloadTruncated: payload.truncated)
    }

    /// `source_app`: the flag, else `CLAUDE_OBSERVABILITY_SOURCE_APP`, else the name of the
    /// project folder, else of the input's `cwd`.
    func sourceApp(cwd: String?) -> String {
        if let name = sourceAppOverride ?? configuration.sourceApp { return name }
        for path in [configuration.projectDirectory, cwd] {
            if let name = path.flatMap(Self.lastPathComponent) { return name }
        }
        return "unknown"
    }

    /// The last non-empty `/`-separated component (scanned as bytes: this runs in every hook).
    static func lastPathComponent(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        var start = end
        while start > 0, bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
        return start < end ? String(decoding: bytes[start..<end], as: UTF8.self) : nil
    }
}

/// The `payload` object and what happened to it on the way.
private struct Payload {
    var text: [UInt8] = []
    var scanned: ScannedJSON?
    var error: String?
    var truncated = false

    init(_ input: HookInput, maxBytes: Int) {
        if let problem = input.readProblem {
            wrapRaw(input.bytes, reason: problem)
            return
        }
        let scanned: ScannedJSON
        do {
            scanned = try JSONScanner.scan(input.bytes, maxDepth: EventEnvelope.maxPayloadDepth)
        } catch {
            if error.reason == "empty input" {
                text = Array("{}".utf8)
                self.error = "empty input"
            } else {
                wrapRaw(input.bytes, reason: "invalid JSON: \(error)")
            }
            return
        }
        if scanned.rootKind == .object {
            self.scanned = scanned
            text = scanned.minified
        } else {
            error = "input is a JSON \(scanned.rootKind), not an object"
            text = Array(#"{"value":"#.utf8) + scanned.minified + [UInt8(ascii: "}")]
        }
        switch PayloadLimiter.limit(text, to: maxBytes) {
        case .unchanged: break
        case .shortened(let shortened):
            text = shortened
            truncated = true
        case .structureTooLarge:
            wrapRaw(input.bytes, reason: "payload over \(maxBytes) bytes even with every string shortened")
            truncated = true
        }
    }

    /// `{"raw": "<sanitised prefix>"}` for input that cannot be kept as JSON.
    mutating func wrapRaw(_ bytes: [UInt8], reason: String) {
        error = reason
        text = Array(#"{"raw":"#.utf8)
        let kept = bytes.prefix(EventEnvelope.rawInputCap)
        JSONWriter.appendSanitizedString(kept, to: &text)
        if bytes.count > kept.count {
            JSONWriter.append(#","raw_truncated_from":"#, to: &text)
            JSONWriter.appendInteger(bytes.count, to: &text)
        }
        text.append(UInt8(ascii: "}"))
    }
}
