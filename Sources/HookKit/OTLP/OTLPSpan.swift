import HookKitSystem

/// One finished span, as OTLP's `Span` message carries it.
package struct OTLPSpan: Sendable, Equatable {
    /// `Span.SpanKind`.
    package enum Kind: UInt64, Sendable {
        case unspecified = 0
        case `internal` = 1
        case server = 2
        case client = 3
        case producer = 4
        case consumer = 5
    }

    /// `Status.StatusCode`.
    package enum StatusCode: UInt64, Sendable {
        case unset = 0
        case ok = 1
        case error = 2
    }

    /// The trace.
    package var traceID: OTLPTraceID
    /// The span.
    package var spanID: OTLPSpanID
    /// The parent span, or nil for a root span.
    package var parentSpanID: OTLPSpanID?
    /// The span's name (`invoke_agent claude-code`, `execute_tool Bash`, ...).
    package var name: String
    /// Its kind.
    package var kind: Kind
    /// Start, in nanoseconds since the Unix epoch.
    package var startTimeUnixNano: UInt64
    /// End, in nanoseconds since the Unix epoch.
    package var endTimeUnixNano: UInt64
    /// The attributes, in order.
    package var attributes: [OTLPAttribute]
    /// The status code.
    package var statusCode: StatusCode
    /// The status message (only meaningful with ``StatusCode/error``).
    package var statusMessage: String
    /// Which of the batch's resources the span belongs to (an index into
    /// ``OTLPBatch/resources``).
    package var resourceIndex: Int

    /// Creates a span.
    package init(
        traceID: OTLPTraceID, spanID: OTLPSpanID, parentSpanID: OTLPSpanID?, name: String, kind: Kind,
        startTimeUnixNano: UInt64, endTimeUnixNano: UInt64, attributes: [OTLPAttribute],
        statusCode: StatusCode = .unset, statusMessage: String = "", resourceIndex: Int = 0
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.statusCode = statusCode
        self.statusMessage = statusMessage
        self.resourceIndex = resourceIndex
    }
}
