import HookKitSystem

/// One log record, as OTLP's `LogRecord` message carries it.
package struct OTLPLogRecord: Sendable, Equatable {
    /// The `SeverityNumber` values used here.
    package enum Severity: UInt64, Sendable {
        case info = 9
        case error = 17

        /// `INFO` or `ERROR`, the severity text.
        package var text: String { self == .info ? "INFO" : "ERROR" }
    }

    /// When the event happened, in nanoseconds since the Unix epoch.
    package var timeUnixNano: UInt64
    /// When it was observed (HookKit stamps events as the hook receives them: the same time).
    package var observedTimeUnixNano: UInt64
    /// The severity.
    package var severity: Severity
    /// The body.
    package var body: OTLPValue
    /// The attributes, in order.
    package var attributes: [OTLPAttribute]
    /// The event's name (`LogRecord.event_name`; also given as the `event.name` attribute).
    package var eventName: String
    /// The trace, when the event belongs to a session.
    package var traceID: OTLPTraceID?
    /// The span the event belongs to, if any.
    package var spanID: OTLPSpanID?
    /// An index into ``OTLPBatch/resources``.
    package var resourceIndex: Int

    /// Creates a log record.
    package init(
        timeUnixNano: UInt64, observedTimeUnixNano: UInt64, severity: Severity, body: OTLPValue,
        attributes: [OTLPAttribute], eventName: String, traceID: OTLPTraceID?, spanID: OTLPSpanID?,
        resourceIndex: Int = 0
    ) {
        self.timeUnixNano = timeUnixNano
        self.observedTimeUnixNano = observedTimeUnixNano
        self.severity = severity
        self.body = body
        self.attributes = attributes
        self.eventName = eventName
        self.traceID = traceID
        self.spanID = spanID
        self.resourceIndex = resourceIndex
    }
}
