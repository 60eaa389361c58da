import HookKitSystem

/// Encodes an ``OTLPBatch`` as the protobuf messages of OTLP/HTTP (`http/protobuf`):
/// `ExportTraceServiceRequest` for `/v1/traces` and `ExportLogsServiceRequest` for `/v1/logs`.
///
/// Field numbers are those of opentelemetry-proto (`collector/trace/v1/trace_service.proto`,
/// `collector/logs/v1/logs_service.proto`, `trace/v1/trace.proto`, `logs/v1/logs.proto`,
/// `common/v1/common.proto`, `resource/v1/resource.proto`); fields are written in field-number
/// order and proto3 defaults are left out, as the reference serializer does.
package enum OTLPProtobufEncoder {
    /// The `Content-Type` of these bodies.
    package static let contentType = "application/x-protobuf"

    /// `ExportTraceServiceRequest` with the batch's spans (an empty request when there are none).
    package static func traces(_ batch: OTLPBatch) -> [UInt8] {
        request(batch, groups: batch.spansByResource(), capacity: batch.spans.count * 512) {
            span(&$0, batch.spans[$1])
        }
    }

    /// `ExportLogsServiceRequest` with the batch's log records (an empty request when there are none).
    package static func logs(_ batch: OTLPBatch) -> [UInt8] {
        request(batch, groups: batch.logsByResource(), capacity: batch.logs.count * 1024) {
            logRecord(&$0, batch.logs[$1])
        }
    }

    /// The shape both requests share, with the same field numbers: `Export*ServiceRequest`
    /// 1 `resource_spans`/`resource_logs`; `Resource*` 1 resource, 2 `scope_spans`/`scope_logs`;
    /// `Scope*` 1 scope, 2 `spans`/`log_records`, each written by `item`.
    private static func request(
        _ batch: OTLPBatch, groups: [(resource: Int, items: [Int])], capacity: Int,
        item: (inout ProtobufWriter, Int) -> Void
    ) -> [UInt8] {
        var writer = ProtobufWriter(capacity: capacity + 256)
        for group in groups {
            writer.message(1) { perResource in
                perResource.message(1) { resource(&$0, batch.resources[group.resource]) }
                perResource.message(2) { perScope in
                    perScope.message(1, scope)
                    for index in group.items { perScope.message(2) { item(&$0, index) } }
                }
            }
        }
        return writer.bytes
    }

    // MARK: - Messages

    /// `Resource`: 1 attributes.
    static func resource(_ writer: inout ProtobufWriter, _ attributes: [OTLPAttribute]) {
        for attribute in attributes { writer.message(1) { keyValue(&$0, attribute) } }
    }

    /// `InstrumentationScope`: 1 name, 2 version.
    static func scope(_ writer: inout ProtobufWriter) {
        writer.string(1, OTLPScope.name)
        writer.stringIfPresent(2, OTLPScope.version)
    }

    /// `Span`: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start_time_unix_nano,
    /// 8 end_time_unix_nano, 9 attributes, 15 status.
    static func span(_ writer: inout ProtobufWriter, _ span: OTLPSpan) {
        writer.bytes(1, span.traceID.bytes)
        writer.bytes(2, span.spanID.bytes)
        if let parent = span.parentSpanID { writer.bytes(4, parent.bytes) }
        writer.stringIfPresent(5, span.name)
        writer.varintIfPresent(6, span.kind.rawValue)
        writer.fixed64IfPresent(7, span.startTimeUnixNano)
        writer.fixed64IfPresent(8, span.endTimeUnixNano)
        for attribute in span.attributes { writer.message(9) { keyValue(&$0, attribute) } }
        if span.statusCode != .unset || !span.statusMessage.isEmpty {
            writer.message(15) { status in  // Status: 2 message, 3 code
                status.stringIfPresent(2, span.statusMessage)
                status.varintIfPresent(3, span.statusCode.rawValue)
            }
        }
    }

    /// `LogRecord`: 1 time_unix_nano, 2 severity_number, 3 severity_text, 5 body, 6 attributes,
    /// 9 trace_id, 10 span_id, 11 observed_time_unix_nano, 12 event_name.
    static func logRecord(_ writer: inout ProtobufWriter, _ record: OTLPLogRecord) {
        writer.fixed64IfPresent(1, record.timeUnixNano)
        writer.varintIfPresent(2, record.severity.rawValue)
        writer.string(3, record.severity.text)
        writer.message(5) { anyValue(&$0, record.body) }
        for attribute in record.attributes { writer.message(6) { keyValue(&$0, attribute) } }
        if let trace = record.traceID { writer.bytes(9, trace.bytes) }
        if let span = record.spanID { writer.bytes(10, span.bytes) }
        writer.fixed64IfPresent(11, record.observedTimeUnixNano)
        writer.stringIfPresent(12, record.eventName)
    }

    /// `KeyValue`: 1 key, 2 value.
    static func keyValue(_ writer: inout ProtobufWriter, _ attribute: OTLPAttribute) {
        writer.stringIfPresent(1, attribute.key)
        writer.message(2) { anyValue(&$0, attribute.value) }
    }

    /// `AnyValue`: a oneof of 1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes. A
    /// oneof member is written even when it holds its default (it says which member is set).
    static func anyValue(_ writer: inout ProtobufWriter, _ value: OTLPValue) {
        switch value {
        case .string(let string): writer.string(1, string)
        case .bool(let bool): writer.bool(2, bool)
        case .int(let int): writer.int64(3, int)
        case .double(let double): writer.double(4, double)
        case .array(let values):
            writer.message(5) { array in  // ArrayValue: 1 values
                for value in values { array.message(1) { anyValue(&$0, value) } }
            }
        case .keyValueList(let attributes):
            writer.message(6) { list in  // KeyValueList: 1 values
                for attribute in attributes { list.message(1) { keyValue(&$0, attribute) } }
            }
        case .bytes(let bytes): writer.bytes(7, bytes)
        }
    }
}
