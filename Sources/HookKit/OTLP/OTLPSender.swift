import HookKitSystem

/// What became of a batch sent to an OTLP receiver: one answer per signal.
package struct OTLPDelivery: Sendable, Equatable {
    /// The answer to `/v1/traces` (`.accepted` without a request when there were no spans).
    package var traces: OTLPAnswer
    /// The answer to `/v1/logs` (`.accepted` without a request when there were no logs).
    package var logs: OTLPAnswer

    package init(traces: OTLPAnswer, logs: OTLPAnswer) {
        self.traces = traces
        self.logs = logs
    }
}

/// Sends mapped batches to an OTLP/HTTP receiver: encodes them in the configured protocol,
/// POSTs them with the configured headers and classifies the answers. It keeps no state: what
/// to do next (save the mapping state, back off, dead-letter) is the caller's.
package struct OTLPSender: Sendable {
    /// The settings: protocol and headers (the endpoint is the transport's).
    package var settings: OTLPSettings

    package init(settings: OTLPSettings) {
        self.settings = settings
    }

    /// The request body of `signal` for `batch`.
    package func body(_ signal: OTLPSignal, of batch: OTLPBatch) -> [UInt8] {
        switch (settings.wireProtocol, signal) {
        case (.protobuf, .traces): OTLPProtobufEncoder.traces(batch)
        case (.protobuf, .logs): OTLPProtobufEncoder.logs(batch)
        case (.json, .traces): OTLPJSONEncoder.traces(batch)
        case (.json, .logs): OTLPJSONEncoder.logs(batch)
        }
    }

    /// The request headers: the configured ones, then `Content-Type` and `User-Agent`.
    package var headers: HTTPHeaders {
        var headers = settings.headers
        headers.set("Content-Type", settings.wireProtocol.contentType)
        if headers["User-Agent"] == nil { headers.add("User-Agent", "HookKit/\(HookKitVersion.current)") }
        return headers
    }

    /// POSTs the spans of `batch` to `/v1/traces`; no request when there are none.
    package func sendTraces(_ batch: OTLPBatch, via transport: any HTTPTransport) -> OTLPAnswer {
        guard !batch.spans.isEmpty else { return .accepted(rejected: 0, message: nil) }
        return send(.traces, body: body(.traces, of: batch), via: transport)
    }

    /// POSTs the log records of `batch` to `/v1/logs`; no request when there are none.
    package func sendLogs(_ batch: OTLPBatch, via transport: any HTTPTransport) -> OTLPAnswer {
        guard !batch.logs.isEmpty else { return .accepted(rejected: 0, message: nil) }
        return send(.logs, body: body(.logs, of: batch), via: transport)
    }

    /// Sends the traces, then the logs, unless the traces' answer says to back off or to send
    /// less (then the logs are not tried: a down receiver costs one request).
    package func send(_ batch: OTLPBatch, via transport: any HTTPTransport) -> OTLPDelivery {
        let traces = sendTraces(batch, via: transport)
        switch traces {
        case .accepted, .refused:
            return OTLPDelivery(traces: traces, logs: sendLogs(batch, via: transport))
        case .backOff, .tooLarge:
            return OTLPDelivery(
                traces: traces,
                logs: .backOff(reason: "not sent: the traces were not delivered", retryAfterSeconds: nil))
        }
    }

    /// POSTs an encoded body of `signal` and classifies the answer.
    package func send(_ signal: OTLPSignal, body: [UInt8], via transport: any HTTPTransport) -> OTLPAnswer {
        do {
            let response = try transport.post(signal.path, body: body, headers: headers)
            return OTLPAnswer.classify(
                status: response.status, headers: response.headers, body: response.body, signal: signal)
        } catch {
            return OTLPAnswer.classify(error, signal: signal)
        }
    }
}
