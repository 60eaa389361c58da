import HookKitSystem

/// The two OTLP signals HookKit sends.
package enum OTLPSignal: String, Sendable, Equatable {
    case traces
    case logs

    /// The path below the endpoint's base URL.
    package var path: String { self == .traces ? OTLPSettings.tracesPath : OTLPSettings.logsPath }

    /// What the items are called in messages ("spans", "log records").
    package var itemName: String { self == .traces ? "spans" : "log records" }

    /// The OTLP/JSON name of the partial-success count.
    var rejectedFieldName: String { self == .traces ? "rejectedSpans" : "rejectedLogRecords" }
}

/// What an OTLP receiver's answer means for the batch, per the OTLP/HTTP rules.
package enum OTLPAnswer: Sendable, Equatable {
    /// Delivered (2xx). `rejected` items were refused for good (`partial_success`), with the
    /// receiver's message; 0 and nil for a full success. Nothing is to be resent either way.
    case accepted(rejected: Int64, message: String?)
    /// Not delivered, worth retrying later: 429, 502, 503, 504 (and 408, other 5xx, network
    /// failures). `retryAfterSeconds` is the receiver's `Retry-After`, when it gave seconds.
    case backOff(reason: String, retryAfterSeconds: Int64?)
    /// 413: the request is too large; send fewer events per request.
    case tooLarge(reason: String)
    /// Refused for good (other 4xx): dead-letter the batch with `reason`.
    case refused(reason: String)

    /// Classifies a receiver's answer to a `POST` of `signal`.
    ///
    /// The body of a 2xx is the `Export…ServiceResponse` (protobuf or JSON, by `Content-Type`,
    /// else by its first byte); that of a failure a `google.rpc.Status` whose message, or the
    /// start of whatever text came, becomes the reason.
    package static func classify(
        status: Int, headers: HTTPHeaders, body: [UInt8], signal: OTLPSignal
    ) -> OTLPAnswer {
        let place = "OTLP receiver answered \(status) to \(signal.path)"
        switch status {
        case 200..<300:
            guard let partial = partialSuccess(headers: headers, body: body, signal: signal) else {
                return .accepted(rejected: 0, message: nil)
            }
            return .accepted(rejected: partial.rejected, message: partial.message)
        case 408, 429, 500...:
            let detail = errorMessage(headers: headers, body: body).map { ": \($0)" } ?? ""
            return .backOff(reason: place + detail, retryAfterSeconds: retryAfter(headers))
        case 413:
            let detail = errorMessage(headers: headers, body: body).map { ": \($0)" } ?? ""
            return .tooLarge(reason: place + detail)
        default:
            let detail = errorMessage(headers: headers, body: body).map { ": \($0)" } ?? ""
            return .refused(reason: place + detail)
        }
    }

    /// Classifies a failure to get any answer (connection refused, timeout, ...): back off.
    package static func classify(_ error: HTTPClientError, signal: OTLPSignal) -> OTLPAnswer {
        .backOff(reason: "sending \(signal.path): \(error)", retryAfterSeconds: nil)
    }

    /// `Retry-After` in seconds (an HTTP date is ignored: the backoff applies instead).
    static func retryAfter(_ headers: HTTPHeaders) -> Int64? {
        headers["Retry-After"].flatMap { Int64($0.filter { $0 != " " }) }.flatMap { $0 >= 0 ? $0 : nil }
    }

    private static func isJSON(headers: HTTPHeaders, body: [UInt8]) -> Bool {
        if let type = headers["Content-Type"]?.lowercased() {
            if type.contains("json") { return true }
            if type.contains("protobuf") { return false }
        }
        return body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "{")
    }

    /// `partial_success` of a 2xx body, or nil when there is none (or it says nothing).
    static func partialSuccess(
        headers: HTTPHeaders, body: [UInt8], signal: OTLPSignal
    ) -> (rejected: Int64, message: String?)? {
        guard !body.isEmpty else { return nil }
        var rejected: Int64 = 0
        var message: String?
        if isJSON(headers: headers, body: body) {
            // A receiver may name fields in lowerCamelCase (the OTLP/JSON rule) or snake_case.
            guard let json = try? JSONValue.parse(body),
                let partial = json["partialSuccess"] ?? json["partial_success"]
            else { return nil }
            let snake = signal == .traces ? "rejected_spans" : "rejected_log_records"
            switch partial[signal.rejectedFieldName] ?? partial[snake] {
            case .number(let text)?, .string(let text)?: rejected = Int64(text) ?? 0
            default: break
            }
            message = (partial["errorMessage"] ?? partial["error_message"])?.stringValue
        } else {
            // Export…ServiceResponse { 1: partial_success { 1: rejected (int64), 2: error_message } }
            var reader = ProtobufReader(body[...])
            var partialBytes: ArraySlice<UInt8>?
            while let field = try? reader.next() {
                if case .lengthDelimited(1, let bytes) = field { partialBytes = bytes }
            }
            guard let partialBytes else { return nil }
            var inner = ProtobufReader(partialBytes)
            while let field = try? inner.next() {
                switch field {
                case .varint(1, let value): rejected = Int64(bitPattern: value)
                case .lengthDelimited(2, let bytes): message = String(decoding: bytes, as: UTF8.self)
                default: break
                }
            }
        }
        if message?.isEmpty == true { message = nil }
        guard rejected != 0 || message != nil else { return nil }
        return (rejected, message.map(sanitized))
    }

    /// The message of a `google.rpc.Status` body (protobuf `2: message`, or JSON `message`), else
    /// the start of the body as text; nil for an empty body.
    static func errorMessage(headers: HTTPHeaders, body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        if isJSON(headers: headers, body: body) {
            if let message = (try? JSONValue.parse(body))?["message"]?.stringValue, !message.isEmpty {
                return sanitized(message)
            }
        } else if headers["Content-Type"]?.lowercased().contains("protobuf") == true {
            var reader = ProtobufReader(body[...])
            while let field = try? reader.next() {
                if case .lengthDelimited(2, let bytes) = field {
                    return sanitized(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        return sanitized(String(decoding: body.prefix(300), as: UTF8.self))
    }

    /// One line of at most 300 characters, for reasons and status.
    private static func sanitized(_ text: String) -> String {
        let flattened = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        return flattened.count > 300 ? String(flattened.prefix(300)) + "…" : flattened
    }
}
