import HookKitSystem

/// Encodes an ``OTLPBatch`` as OTLP/JSON (`http/json`): the protobuf messages of
/// ``OTLPProtobufEncoder`` in the JSON mapping the OTLP specification prescribes: lowerCamelCase
/// field names, trace and span ids as hexadecimal strings (not base64), enums as integers,
/// 64-bit integers as decimal strings, default values left out.
package enum OTLPJSONEncoder {
    /// The `Content-Type` of these bodies.
    package static let contentType = "application/json"

    /// `ExportTraceServiceRequest` as JSON.
    package static func traces(_ batch: OTLPBatch) -> [UInt8] {
        request(
            batch, groups: batch.spansByResource(), capacity: batch.spans.count * 900,
            names: (#"{"resourceSpans":["#, #","scopeSpans":[{"scope":"#, #","spans":["#)
        ) { out, index in span(&out, batch.spans[index]) }
    }

    /// `ExportLogsServiceRequest` as JSON.
    package static func logs(_ batch: OTLPBatch) -> [UInt8] {
        request(
            batch, groups: batch.logsByResource(), capacity: batch.logs.count * 1500,
            names: (#"{"resourceLogs":["#, #","scopeLogs":[{"scope":"#, #","logRecords":["#)
        ) { out, index in logRecord(&out, batch.logs[index]) }
    }

    /// The shape both requests share: per resource, the resource, one scope and its items.
    /// `names` are the openings of the request, of the scope list and of the item list.
    private static func request(
        _ batch: OTLPBatch, groups: [(resource: Int, items: [Int])], capacity: Int,
        names: (request: StaticString, scopes: StaticString, items: StaticString), item: (inout [UInt8], Int) -> Void
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity + 256)
        JSONWriter.append(names.request, to: &out)
        for (groupIndex, group) in groups.enumerated() {
            if groupIndex > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.append(#"{"resource":"#, to: &out)
            resource(&out, batch.resources[group.resource])
            JSONWriter.append(names.scopes, to: &out)
            scope(&out)
            JSONWriter.append(names.items, to: &out)
            for (position, index) in group.items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                item(&out, index)
            }
            JSONWriter.append("]}]}", to: &out)
        }
        JSONWriter.append("]}", to: &out)
        return out
    }

    // MARK: - Messages

    static func resource(_ out: inout [UInt8], _ attributes: [OTLPAttribute]) {
        JSONWriter.append(#"{"attributes":"#, to: &out)
        keyValues(&out, attributes)
        out.append(UInt8(ascii: "}"))
    }

    static func scope(_ out: inout [UInt8]) {
        JSONWriter.append(#"{"name":"#, to: &out)
        JSONWriter.appendString(OTLPScope.name, to: &out)
        JSONWriter.append(#","version":"#, to: &out)
        JSONWriter.appendString(OTLPScope.version, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func span(_ out: inout [UInt8], _ span: OTLPSpan) {
        JSONWriter.append(#"{"traceId":""#, to: &out)
        out.append(contentsOf: span.traceID.hex.utf8)
        JSONWriter.append(#"","spanId":""#, to: &out)
        out.append(contentsOf: span.spanID.hex.utf8)
        out.append(UInt8(ascii: "\""))
        if let parent = span.parentSpanID {
            JSONWriter.append(#","parentSpanId":""#, to: &out)
            out.append(contentsOf: parent.hex.utf8)
            out.append(UInt8(ascii: "\""))
        }
        JSONWriter.append(#","name":"#, to: &out)
        JSONWriter.appendString(span.name, to: &out)
        JSONWriter.append(#","kind":"#, to: &out)
        JSONWriter.appendInteger(span.kind.rawValue, to: &out)
        JSONWriter.append(#","startTimeUnixNano":""#, to: &out)
        JSONWriter.appendInteger(span.startTimeUnixNano, to: &out)
        JSONWriter.append(#"","endTimeUnixNano":""#, to: &out)
        JSONWriter.appendInteger(span.endTimeUnixNano, to: &out)
        JSONWriter.append(#"","attributes":"#, to: &out)
        keyValues(&out, span.attributes)
        if span.statusCode != .unset || !span.statusMessage.isEmpty {
            JSONWriter.append(#","status":{"#, to: &out)
            if !span.statusMessage.isEmpty {
                JSONWriter.append(#""message":"#, to: &out)
                JSONWriter.appendString(span.statusMessage, to: &out)
                if span.statusCode != .unset { out.append(UInt8(ascii: ",")) }
            }
            if span.statusCode != .unset {
                JSONWriter.append(#""code":"#, to: &out)
                JSONWriter.appendInteger(span.statusCode.rawValue, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
    }

    static func logRecord(_ out: inout [UInt8], _ record: OTLPLogRecord) {
        JSONWriter.append(#"{"timeUnixNano":""#, to: &out)
        JSONWriter.appendInteger(record.timeUnixNano, to: &out)
        JSONWriter.append(#"","observedTimeUnixNano":""#, to: &out)
        JSONWriter.appendInteger(record.observedTimeUnixNano, to: &out)
        JSONWriter.append(#"","severityNumber":"#, to: &out)
        JSONWriter.appendInteger(record.severity.rawValue, to: &out)
        JSONWriter.append(#","severityText":"#, to: &out)
        JSONWriter.appendString(record.severity.text, to: &out)
        JSONWriter.append(#","body":"#, to: &out)
        anyValue(&out, record.body)
        JSONWriter.append(#","attributes":"#, to: &out)
        keyValues(&out, record.attributes)
        if let trace = record.traceID {
            JSONWriter.append(#","traceId":""#, to: &out)
            out.append(contentsOf: trace.hex.utf8)
            out.append(UInt8(ascii: "\""))
        }
        if let span = record.spanID {
            JSONWriter.append(#","spanId":""#, to: &out)
            out.append(contentsOf: span.hex.utf8)
            out.append(UInt8(ascii: "\""))
        }
        if !record.eventName.isEmpty {
            JSONWriter.append(#","eventName":"#, to: &out)
            JSONWriter.appendString(record.eventName, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func keyValues(_ out: inout [UInt8], _ attributes: [OTLPAttribute]) {
        out.append(UInt8(ascii: "["))
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.append(#"{"key":"#, to: &out)
            JSONWriter.appendString(attribute.key, to: &out)
            JSONWriter.append(#","value":"#, to: &out)
            anyValue(&out, attribute.value)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    static func anyValue(_ out: inout [UInt8], _ value: OTLPValue) {
        switch value {
        case .string(let string):
            JSONWriter.append(#"{"stringValue":"#, to: &out)
            JSONWriter.appendString(string, to: &out)
        case .bool(let bool):
            JSONWriter.append(#"{"boolValue":"#, to: &out)
            bool ? JSONWriter.append("true", to: &out) : JSONWriter.append("false", to: &out)
        case .int(let int):
            JSONWriter.append(#"{"intValue":""#, to: &out)
            JSONWriter.appendInteger(int, to: &out)
            out.append(UInt8(ascii: "\""))
        case .double(let double):
            JSONWriter.append(#"{"doubleValue":"#, to: &out)
            // proto3 JSON: the non-finite values are the strings "NaN", "Infinity", "-Infinity".
            if double.isNaN {
                JSONWriter.append(#""NaN""#, to: &out)
            } else if double.isInfinite {
                double < 0 ? JSONWriter.append(#""-Infinity""#, to: &out) : JSONWriter.append(#""Infinity""#, to: &out)
            } else {
                out.append(contentsOf: "\(double)".utf8)
            }
        case .array(let values):
            JSONWriter.append(#"{"arrayValue":{"values":["#, to: &out)
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                anyValue(&out, value)
            }
            JSONWriter.append("]}", to: &out)
        case .keyValueList(let attributes):
            JSONWriter.append(#"{"kvlistValue":{"values":"#, to: &out)
            keyValues(&out, attributes)
            out.append(UInt8(ascii: "}"))
        case .bytes(let bytes):
            JSONWriter.append(#"{"bytesValue":"#, to: &out)
            JSONWriter.appendString(Base64.encode(bytes), to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
