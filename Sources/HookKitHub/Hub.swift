import HookKit
import HookKitSystem

/// Settings of a ``Hub``.
package struct HubConfiguration: Sendable {
    /// Webhook secrets; when not empty every `POST` must carry a valid Standard Webhooks
    /// signature made with one of them (several allow rotation). `whsec_<base64>` secrets are
    /// base64-decoded, any other string is used as its UTF-8 bytes.
    package var secrets: [String]
    /// Allowed distance between `webhook-timestamp` and the hub's clock, both ways.
    package var signatureToleranceSeconds: Int64
    /// Events returned by `GET /events` without `limit`.
    package var defaultLimit: Int
    /// Largest `limit` honoured; larger values are clamped to it.
    package var maxLimit: Int
    /// The wall clock in Unix seconds (replaceable for tests).
    package var now: @Sendable () -> Int64
    /// The token `GET /events` must present as `Authorization: Bearer <token>` when ``secrets``
    /// are set; with secrets and no token, reads are refused (401). Without secrets, reads are open.
    package var readToken: String?
    /// Most events in one `POST /events/batch` (413 beyond): the client's batches hold at most 500.
    package var maxBatchEvents: Int
    /// Most bytes of events in one `GET /events` answer: the newest events that fit are sent
    /// (the header `HookKit-Omitted-Events` counts the others), so reads cost bounded memory.
    package var maxReadBytes: Int

    /// Defaults: no secrets, 300 s tolerance, limit 1000 by default and 10000 at most, batches
    /// of at most 500 events, answers of at most 8 MiB of events.
    package init(
        secrets: [String] = [], signatureToleranceSeconds: Int64 = 300,
        defaultLimit: Int = 1000, maxLimit: Int = 10_000,
        now: @escaping @Sendable () -> Int64 = { Clock.unixSeconds() },
        readToken: String? = nil, maxBatchEvents: Int = 500, maxReadBytes: Int = 8 << 20
    ) {
        self.secrets = secrets
        self.signatureToleranceSeconds = signatureToleranceSeconds
        self.defaultLimit = defaultLimit
        self.maxLimit = maxLimit
        self.now = now
        self.readToken = readToken
        self.maxBatchEvents = maxBatchEvents
        self.maxReadBytes = maxReadBytes
    }
}

/// The hub side of the wire contract (docs/wire-contract.md): routes, status codes and JSON
/// bodies, over an ``EventStore``. Plug ``handle(_:)`` into an ``HTTPServer``.
///
/// | request | answers |
/// |---|---|
/// | `POST /events` | 201 `{"status":"stored","event_uuid":…}`, 409 `{"status":"duplicate","event_uuid":…}`, 400, 401, 413 |
/// | `POST /events/batch` | 200 `{"accepted":N,"duplicates":N,"rejected":[{"index":i,"event_uuid":…|null,"error":…}]}`, 400, 401, 413 (more than 500 events) |
/// | `GET /events?session_id=&limit=` | 200 JSON array, oldest first, of the newest `limit` events (of the session, or of all sessions) that fit in 8 MiB; 400 for a bad `limit`; 401 without the read token when a secret is set |
/// | `GET /healthz` | 200 `{"status":"ok","events":N}`, or 503 while the store cannot write |
///
/// Other paths answer 404, other methods 405 with `Allow`. Errors have the body
/// `{"error":"…"}`; a store failure answers 503 with `Retry-After`. Responses are sent only after
/// the events are durable. With a secret, the signature headers are checked before a body is read
/// (``checkHead(_:)``) and reads need the read token.
package final class Hub: Sendable {
    /// The store.
    package let store: EventStore
    /// The settings.
    package let configuration: HubConfiguration
    private let verifier: StandardWebhooks.Verifier?

    /// A hub over `store`.
    package init(store: EventStore, configuration: HubConfiguration = HubConfiguration()) {
        self.store = store
        self.configuration = configuration
        // An unusable secret fails closed: a verifier without keys accepts nothing. The command
        // line checks the secrets before it gets here.
        self.verifier =
            configuration.secrets.isEmpty
            ? nil
            : (try? StandardWebhooks.Verifier(
                secrets: configuration.secrets, tolerance: configuration.signatureToleranceSeconds))
                ?? StandardWebhooks.Verifier(keys: [], tolerance: configuration.signatureToleranceSeconds)
    }

    /// Answers one request.
    package func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/events":
            switch request.method {
            case "POST": return postEvent(request)
            case "GET": return getEvents(request)
            default: return Hub.methodNotAllowed("GET, POST")
            }
        case "/events/batch":
            return request.method == "POST" ? postBatch(request) : Hub.methodNotAllowed("POST")
        case "/healthz":
            return request.method == "GET" ? healthz() : Hub.methodNotAllowed("GET")
        default:
            return Hub.error(404, "no such endpoint")
        }
    }

    // MARK: Endpoints

    private func postEvent(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = authenticate(request) { return refusal }
        let event: ValidatedEvent
        do {
            event = try ValidatedEvent(validating: request.body)
        } catch {
            return Hub.error(400, error.message, eventUUID: error.eventUUID)
        }
        let outcome: EventStore.AppendOutcome
        do {
            guard let first = try store.append([event]).first else { return Hub.error(500, "internal error") }
            outcome = first
        } catch {
            return Hub.unavailable(error.message)
        }
        var body: [UInt8] = []
        JSONWriter.append(
            outcome == .stored ? "{\"status\":\"stored\",\"event_uuid\":" : "{\"status\":\"duplicate\",\"event_uuid\":",
            to: &body)
        JSONWriter.appendString(event.eventUUID, to: &body)
        body.append(UInt8(ascii: "}"))
        return .json(outcome == .stored ? 201 : 409, body)
    }

    private func postBatch(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = authenticate(request) { return refusal }
        let scanned: ScannedJSON
        do {
            // Counted while scanning: a huge array is refused at its 501st element, before it
            // costs an index entry (or a `rejected` entry in the answer) per element.
            scanned = try JSONScanner.scan(request.body, maxRootElements: configuration.maxBatchEvents)
        } catch {
            if error.isLimit { return Hub.error(413, "a batch holds at most \(configuration.maxBatchEvents) events") }
            return Hub.error(400, "invalid JSON: \(error)")
        }
        guard scanned.rootKind == .array else { return Hub.error(400, "a batch must be a JSON array of events") }
        var valid: [ValidatedEvent] = []
        valid.reserveCapacity(scanned.elements.count)
        var rejected: [UInt8] = []
        for (index, element) in scanned.elements.enumerated() {
            let result: EventValidationError
            if element.kind == .object {
                do {
                    valid.append(try ValidatedEvent(validating: Array(scanned.minified[element.range])))
                    continue
                } catch {
                    result = error
                }
            } else {
                result = EventValidationError("an event must be a JSON object")
            }
            rejected.append(rejected.isEmpty ? UInt8(ascii: "[") : UInt8(ascii: ","))
            JSONWriter.append("{\"index\":", to: &rejected)
            JSONWriter.appendInteger(index, to: &rejected)
            JSONWriter.append(",\"event_uuid\":", to: &rejected)
            JSONWriter.appendOptionalString(result.eventUUID, to: &rejected)
            JSONWriter.append(",\"error\":", to: &rejected)
            JSONWriter.appendString(result.message, to: &rejected)
            rejected.append(UInt8(ascii: "}"))
        }
        rejected.append(contentsOf: rejected.isEmpty ? Array("[]".utf8) : [UInt8(ascii: "]")])
        let outcomes: [EventStore.AppendOutcome]
        do {
            outcomes = try store.append(valid)
        } catch {
            return Hub.unavailable(error.message)
        }
        let accepted = outcomes.count { $0 == .stored }
        var body: [UInt8] = []
        JSONWriter.append("{\"accepted\":", to: &body)
        JSONWriter.appendInteger(accepted, to: &body)
        JSONWriter.append(",\"duplicates\":", to: &body)
        JSONWriter.appendInteger(outcomes.count - accepted, to: &body)
        JSONWriter.append(",\"rejected\":", to: &body)
        body.append(contentsOf: rejected)
        body.append(UInt8(ascii: "}"))
        return .json(200, body)
    }

    private func getEvents(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = authorizeRead(request) { return refusal }
        var limit = configuration.defaultLimit
        if let text = request.query("limit") {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(text)
            else { return Hub.error(400, "limit must be a non-negative integer") }
            limit = min(value, configuration.maxLimit)
        }
        var session = request.query("session_id")
        if session?.isEmpty == true { session = nil }
        do {
            let (bytes, omitted) = try store.jsonArray(
                sessionID: session, limit: limit, maxBytes: configuration.maxReadBytes)
            var response = HTTPResponse.json(200, bytes)
            if omitted > 0 { response.headers.set("HookKit-Omitted-Events", String(omitted)) }
            return response
        } catch {
            return Hub.unavailable(error.message)
        }
    }

    private func healthz() -> HTTPResponse {
        if let failure = store.writeProblem { return Hub.unavailable(failure) }
        var body: [UInt8] = []
        JSONWriter.append("{\"status\":\"ok\",\"events\":", to: &body)
        JSONWriter.appendInteger(store.count, to: &body)
        body.append(UInt8(ascii: "}"))
        return .json(200, body)
    }

    // MARK: Helpers

    /// `nil` when the request may proceed, else the 401 answer.
    private func authenticate(_ request: HTTPRequest) -> HTTPResponse? {
        guard let verifier else { return nil }
        do {
            _ = try verifier.verify(
                id: request.headers["webhook-id"], timestamp: request.headers["webhook-timestamp"],
                signature: request.headers["webhook-signature"], body: request.body, now: configuration.now())
            return nil
        } catch {
            return Hub.error(401, "signature: \(error)")
        }
    }

    private static func methodNotAllowed(_ allow: String) -> HTTPResponse {
        var response = error(405, "method not allowed")
        response.headers.set("Allow", allow)
        return response
    }

    private static func unavailable(_ message: String) -> HTTPResponse {
        var response = error(503, message)
        response.headers.set("Retry-After", "5")
        return response
    }

    private static func error(_ status: Int, _ message: String, eventUUID: String? = nil) -> HTTPResponse {
        var body: [UInt8] = []
        JSONWriter.append("{\"error\":", to: &body)
        JSONWriter.appendString(message, to: &body)
        if let eventUUID {
            JSONWriter.append(",\"event_uuid\":", to: &body)
            JSONWriter.appendString(eventUUID, to: &body)
        }
        body.append(UInt8(ascii: "}"))
        return .json(status, body)
    }
}
