import HookKit
import HookKitSystem

/// Why a JSON text is not an acceptable event (the hub answers 400, or lists it as rejected).
package struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for example `missing or non-string "session_id"`.
    package var message: String
    /// The event's `event_uuid` when it had a string one.
    package var eventUUID: String?

    /// Creates an error.
    package init(_ message: String, eventUUID: String? = nil) {
        self.message = message
        self.eventUUID = eventUUID
    }

    /// The message.
    package var description: String { message }
}

/// An event that passed the hub's checks, ready to be stored as one JSONL line.
///
/// Required: a JSON object with string `event_uuid` (1 to 256 bytes), `source_app`,
/// `session_id` and `hook_event_type`, an object `payload` and an integer `timestamp`. Other
/// fields are kept as they are. When a key appears twice the last one counts, as in JavaScript.
package struct ValidatedEvent: Sendable, Equatable {
    /// The `event_uuid`.
    package var eventUUID: String
    /// Its deduplication key.
    package var key: EventKey
    /// The `session_id`.
    package var sessionID: String
    /// The event, minified (no newline: JSON strings escape them).
    package var line: [UInt8]

    /// The longest `event_uuid` accepted, in UTF-8 bytes.
    package static let maxEventUUIDBytes = 256

    /// Scans and validates `bytes`.
    package init(validating bytes: [UInt8]) throws(EventValidationError) {
        let scanned: ScannedJSON
        do { scanned = try JSONScanner.scan(bytes) } catch {
            throw EventValidationError("invalid JSON: \(error)")
        }
        try self.init(validating: scanned)
    }

    /// Validates an already scanned JSON text.
    package init(validating json: ScannedJSON) throws(EventValidationError) {
        guard json.rootKind == .object else { throw EventValidationError("an event must be a JSON object") }
        let uuid = json.string(forKey: "event_uuid")
        func fail(_ message: String) -> EventValidationError { EventValidationError(message, eventUUID: uuid) }
        guard let uuid else { throw fail("missing or non-string \"event_uuid\"") }
        guard !uuid.isEmpty, uuid.utf8.count <= ValidatedEvent.maxEventUUIDBytes else {
            throw fail("\"event_uuid\" must be 1 to \(ValidatedEvent.maxEventUUIDBytes) bytes")
        }
        for field in ["source_app", "hook_event_type"] where json.member(field)?.kind != .string {
            throw fail("missing or non-string \"\(field)\"")
        }
        guard let session = json.string(forKey: "session_id") else {
            throw fail("missing or non-string \"session_id\"")
        }
        guard json.member("payload")?.kind == .object else { throw fail("missing or non-object \"payload\"") }
        guard let timestamp = json.text(forKey: "timestamp"), ValidatedEvent.isInteger(timestamp) else {
            throw fail("missing or non-integer \"timestamp\"")
        }
        self.eventUUID = uuid
        self.key = EventKey(uuid)
        self.sessionID = session
        self.line = json.minified
    }

    /// Whether a JSON number's text is an integer (`-?[0-9]+`, no fraction or exponent).
    static func isInteger(_ text: ArraySlice<UInt8>) -> Bool {
        var digits = text[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
