import HookKitSystem

/// Why the OTLP state file cannot be read or written.
package struct OTLPSpanStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, when the problem is about one.
    package var path: String?
    /// What went wrong.
    package var reason: String

    package init(path: String?, reason: String) {
        self.path = path
        self.reason = reason
    }

    package var description: String { path.map { "\($0): \(reason)" } ?? reason }
}

/// The OTLP state's file: one JSON document, replaced atomically (written to a temporary file,
/// `fsync`ed, renamed over the old one, directory `fsync`ed), so a reader sees the old state or
/// the new one, never a mix, and the cursor always matches the open spans beside it.
extension OTLPSpanState {
    /// The state file's name in the spool folder (beside `state.json`).
    package static let fileName = "otlp-state.json"
    /// The format's version; a file of another version is refused, not guessed at.
    package static let fileVersion = 1
    /// The largest state file read (10,000 open spans with content take a few MiB).
    package static let maximumFileBytes = 256 << 20

    /// Writes the state to `path` atomically and durably.
    package func save(to path: String) throws(OTLPSpanStateError) {
        let bytes = serialized()
        // A new file of an unpredictable name, created exclusively without following links, as
        // for the spool's other files: nothing planted beside the state is written through.
        let temporary: String
        do {
            let fd: FileDescriptor
            (fd, temporary) = try FileSystem.createUniqueFile(prefix: path + ".tmp.")
            do {
                try fd.writeAll(bytes)
                try fd.sync()
                fd.close()
            } catch {
                fd.close()
                FileSystem.remove(temporary)
                throw error
            }
        } catch {
            throw OTLPSpanStateError(path: path, reason: "cannot write: \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = Errno.current
            FileSystem.remove(temporary)
            throw OTLPSpanStateError(path: path, reason: "cannot replace: \(error)")
        }
        // Make the rename itself durable. Best effort on purpose: the rename is already atomic,
        // and some file systems refuse to open or sync a folder.
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        do {
            let directory = try FileDescriptor.open(folder.isEmpty ? "/" : folder, O_RDONLY)
            defer { directory.close() }
            try directory.sync()
        } catch {
            // Nothing to undo: the new state is in place either way.
        }
    }

    /// Reads the state saved at `path`; nil when there is no file (start from an empty state).
    package static func load(from path: String) throws(OTLPSpanStateError) -> OTLPSpanState? {
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.privateContents(of: path, limit: maximumFileBytes + 1)
        } catch {
            throw OTLPSpanStateError(path: path, reason: "cannot read: \(error)")
        }
        guard let bytes else { return nil }
        guard bytes.count <= maximumFileBytes else {
            throw OTLPSpanStateError(path: path, reason: "larger than \(maximumFileBytes) bytes")
        }
        do {
            return try OTLPSpanState(serialized: bytes)
        } catch {
            throw OTLPSpanStateError(path: path, reason: error.reason)
        }
    }

    // MARK: - Format

    /// The state as JSON text: spans in opening order, links in linking order, so the same state
    /// always gives the same bytes.
    package func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + spans.count * 400)
        JSONWriter.append(#"{"version":"#, to: &out)
        JSONWriter.appendInteger(Self.fileVersion, to: &out)
        JSONWriter.append(#","clock":"#, to: &out)
        JSONWriter.appendInteger(clockMilliseconds, to: &out)
        JSONWriter.append(#","timeout_check":"#, to: &out)
        JSONWriter.appendInteger(timeoutCheckInterval, to: &out)
        JSONWriter.append(#","next_sequence":"#, to: &out)
        JSONWriter.appendInteger(nextSequence, to: &out)
        JSONWriter.append(#","cursor":"#, to: &out)
        if let cursor {
            JSONWriter.append(#"{"offset":"#, to: &out)
            JSONWriter.appendInteger(cursor.offset, to: &out)
            JSONWriter.append(#","inode":"#, to: &out)
            JSONWriter.appendInteger(cursor.inode, to: &out)
            JSONWriter.append(#","traces_delivered_through":"#, to: &out)
            optionalInteger(cursor.tracesDeliveredThrough, &out)
            if let mark = cursor.mark {
                JSONWriter.append(#","mark":{"start":"#, to: &out)
                JSONWriter.appendInteger(mark.start, to: &out)
                JSONWriter.append(#","length":"#, to: &out)
                JSONWriter.appendInteger(mark.length, to: &out)
                JSONWriter.append(#","digest":"#, to: &out)
                JSONWriter.appendString(mark.digest, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "}"))
        } else {
            JSONWriter.append("null", to: &out)
        }
        JSONWriter.append(#","links":["#, to: &out)
        for (index, link) in agentLinks.sorted(by: { $0.value.sequence < $1.value.sequence }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.append(#"{"agent":""#, to: &out)
            out.append(contentsOf: link.key.hex.utf8)
            JSONWriter.append(#"","tool":""#, to: &out)
            out.append(contentsOf: link.value.toolSpanID.hex.utf8)
            JSONWriter.append(#"","sequence":"#, to: &out)
            JSONWriter.appendInteger(link.value.sequence, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        JSONWriter.append(#"],"spans":["#, to: &out)
        for (index, span) in orderedSpans.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.write(span, to: &out)
        }
        JSONWriter.append("]}", to: &out)
        return out
    }

    private func optionalInteger(_ value: Int64?, _ out: inout [UInt8]) {
        if let value { JSONWriter.appendInteger(value, to: &out) } else { JSONWriter.append("null", to: &out) }
    }

    private static func write(_ span: OTLPOpenSpan, to out: inout [UInt8]) {
        func key(_ name: StaticString) {
            out.append(UInt8(ascii: ","))
            JSONWriter.appendKey(name, to: &out)
        }
        func id(_ value: OTLPSpanID?) {
            if let value { JSONWriter.appendString(value.hex, to: &out) } else { JSONWriter.append("null", to: &out) }
        }
        JSONWriter.append(#"{"role":"#, to: &out)
        JSONWriter.appendString(span.role.rawValue, to: &out)
        key("sequence")
        JSONWriter.appendInteger(span.sequence, to: &out)
        key("session")
        JSONWriter.appendString(span.sessionID, to: &out)
        key("id")
        id(span.spanID)
        key("parent")
        id(span.parentSpanID)
        key("parent_resolved")
        span.parentResolved ? JSONWriter.append("true", to: &out) : JSONWriter.append("false", to: &out)
        key("fallback_parent")
        id(span.fallbackParentSpanID)
        key("enclosing")
        id(span.enclosingSpanID)
        key("name")
        JSONWriter.appendString(span.name, to: &out)
        key("start")
        JSONWriter.appendInteger(span.startMilliseconds, to: &out)
        key("last_activity")
        JSONWriter.appendInteger(span.lastActivityMilliseconds, to: &out)
        key("end")
        if let end = span.endMilliseconds {
            JSONWriter.appendInteger(end, to: &out)
        } else {
            JSONWriter.append("null", to: &out)
        }
        key("status_code")
        JSONWriter.appendInteger(span.statusCode.rawValue, to: &out)
        key("status_message")
        JSONWriter.appendString(span.statusMessage, to: &out)
        key("machine_id")
        JSONWriter.appendOptionalString(span.machineID, to: &out)
        key("source_app")
        JSONWriter.appendOptionalString(span.sourceApp, to: &out)
        key("tool_name")
        JSONWriter.appendOptionalString(span.toolName, to: &out)
        key("keyed_by_event")
        span.keyedByEvent ? JSONWriter.append("true", to: &out) : JSONWriter.append("false", to: &out)
        key("attributes")
        writeAttributes(span.attributes, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Attributes as `[[key, {"s": ...}], ...]`: one tag per value type, so nothing is guessed
    /// on reading (`s` string, `b` bool, `i` int as a decimal string, `d` double's bit pattern,
    /// `a` array, `kv` list, `y` base64 bytes).
    private static func writeAttributes(_ attributes: [OTLPAttribute], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            JSONWriter.appendString(attribute.key, to: &out)
            out.append(UInt8(ascii: ","))
            writeValue(attribute.value, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func writeValue(_ value: OTLPValue, to out: inout [UInt8]) {
        switch value {
        case .string(let string):
            JSONWriter.append(#"{"s":"#, to: &out)
            JSONWriter.appendString(string, to: &out)
        case .bool(let bool):
            JSONWriter.append(#"{"b":"#, to: &out)
            bool ? JSONWriter.append("true", to: &out) : JSONWriter.append("false", to: &out)
        case .int(let int):
            JSONWriter.append(#"{"i":""#, to: &out)
            JSONWriter.appendInteger(int, to: &out)
            out.append(UInt8(ascii: "\""))
        case .double(let double):
            JSONWriter.append(#"{"d":""#, to: &out)
            JSONWriter.appendInteger(double.bitPattern, to: &out)
            out.append(UInt8(ascii: "\""))
        case .array(let values):
            JSONWriter.append(#"{"a":["#, to: &out)
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeValue(value, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .keyValueList(let attributes):
            JSONWriter.append(#"{"kv":"#, to: &out)
            writeAttributes(attributes, to: &out)
        case .bytes(let bytes):
            JSONWriter.append(#"{"y":"#, to: &out)
            JSONWriter.appendString(Base64.encode(bytes), to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Reads the JSON of ``serialized()``.
    package init(serialized bytes: [UInt8]) throws(OTLPSpanStateError) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw OTLPSpanStateError(path: nil, reason: "not valid JSON: \(error)")
        }
        func fail(_ reason: String) -> OTLPSpanStateError { OTLPSpanStateError(path: nil, reason: reason) }
        guard json["version"]?.integerValue == Int64(Self.fileVersion) else {
            throw fail("not a version \(Self.fileVersion) OTLP state")
        }
        self.init()
        guard let clock = json["clock"]?.integerValue, let check = json["timeout_check"]?.integerValue,
            let next = json["next_sequence"].flatMap(Self.unsigned), let links = json["links"]?.arrayValue,
            let spans = json["spans"]?.arrayValue
        else { throw fail("missing clock, timeout_check, next_sequence, links or spans") }
        clockMilliseconds = clock
        timeoutCheckInterval = check
        nextSequence = next
        if let cursor = json["cursor"], cursor != .null {
            guard let offset = cursor["offset"]?.integerValue, let inode = cursor["inode"].flatMap(Self.unsigned) else {
                throw fail("invalid cursor")
            }
            var mark: QueueLineMark?
            if let saved = cursor["mark"], let start = saved["start"]?.integerValue,
                let length = saved["length"]?.integerValue, let digest = saved["digest"]?.stringValue,
                (1...64).contains(length)
            {
                mark = QueueLineMark(start: start, length: Int(length), digest: digest)
            }
            self.cursor = Cursor(
                offset: offset, inode: inode, tracesDeliveredThrough: cursor["traces_delivered_through"]?.integerValue,
                mark: mark)
        }
        for link in links {
            guard let agent = link["agent"]?.stringValue.flatMap(OTLPSpanID.init(hex:)),
                let tool = link["tool"]?.stringValue.flatMap(OTLPSpanID.init(hex:)),
                let sequence = link["sequence"].flatMap(Self.unsigned)
            else { throw fail("invalid link") }
            agentLinks[agent] = AgentLink(toolSpanID: tool, sequence: sequence)
        }
        for entry in spans {
            insert(try Self.readSpan(entry))
        }
    }

    private static func unsigned(_ value: JSONValue) -> UInt64? {
        if case .number(let text) = value { UInt64(text) } else { nil }
    }

    private static func readSpan(_ json: JSONValue) throws(OTLPSpanStateError) -> OTLPOpenSpan {
        func fail(_ reason: String) -> OTLPSpanStateError {
            OTLPSpanStateError(path: nil, reason: "invalid span: \(reason)")
        }
        func optionalID(_ key: String) throws(OTLPSpanStateError) -> OTLPSpanID? {
            guard let value = json[key], value != .null else { return nil }
            guard let id = value.stringValue.flatMap(OTLPSpanID.init(hex:)) else { throw fail(key) }
            return id
        }
        func optionalString(_ key: String) -> String? { json[key]?.stringValue }
        guard let role = json["role"]?.stringValue.flatMap(OTLPOpenSpan.Role.init(rawValue:)),
            let sequence = json["sequence"].flatMap(unsigned), let session = json["session"]?.stringValue,
            let id = json["id"]?.stringValue.flatMap(OTLPSpanID.init(hex:)), let name = json["name"]?.stringValue,
            let start = json["start"]?.integerValue, let last = json["last_activity"]?.integerValue,
            let statusCode = json["status_code"].flatMap(unsigned).flatMap(OTLPSpan.StatusCode.init(rawValue:)),
            let statusMessage = json["status_message"]?.stringValue, let attributes = json["attributes"]?.arrayValue
        else { throw fail("missing or mistyped field") }
        var span = OTLPOpenSpan(
            role: role, sequence: sequence, sessionID: session, spanID: id, parentSpanID: try optionalID("parent"),
            parentResolved: json["parent_resolved"] == .bool(true),
            fallbackParentSpanID: try optionalID("fallback_parent"),
            enclosingSpanID: try optionalID("enclosing"), name: name, startMilliseconds: start,
            attributes: try readAttributes(attributes), machineID: optionalString("machine_id"),
            sourceApp: optionalString("source_app"), toolName: optionalString("tool_name"),
            keyedByEvent: json["keyed_by_event"] == .bool(true))
        span.lastActivityMilliseconds = last
        span.endMilliseconds = json["end"]?.integerValue
        span.statusCode = statusCode
        span.statusMessage = statusMessage
        return span
    }

    private static func readAttributes(_ entries: [JSONValue]) throws(OTLPSpanStateError) -> [OTLPAttribute] {
        var attributes: [OTLPAttribute] = []
        attributes.reserveCapacity(entries.count)
        for entry in entries {
            guard let pair = entry.arrayValue, pair.count == 2, let key = pair[0].stringValue else {
                throw OTLPSpanStateError(path: nil, reason: "invalid attribute")
            }
            attributes.append(OTLPAttribute(key, try readValue(pair[1])))
        }
        return attributes
    }

    private static func readValue(_ json: JSONValue) throws(OTLPSpanStateError) -> OTLPValue {
        guard let members = json.objectValue, members.count == 1 else {
            throw OTLPSpanStateError(path: nil, reason: "invalid attribute value")
        }
        let value = members[0].value
        switch (members[0].key, value) {
        case ("s", .string(let string)): return .string(string)
        case ("b", .bool(let bool)): return .bool(bool)
        case ("i", .string(let text)):
            if let int = Int64(text) { return .int(int) }
        case ("d", .string(let text)):
            if let bits = UInt64(text) { return .double(Double(bitPattern: bits)) }
        case ("a", .array(let elements)):
            var values: [OTLPValue] = []
            for element in elements { values.append(try readValue(element)) }
            return .array(values)
        case ("kv", .array(let entries)): return .keyValueList(try readAttributes(entries))
        case ("y", .string(let text)):
            if let bytes = Base64.decode(text) { return .bytes(bytes) }
        default: break
        }
        throw OTLPSpanStateError(path: nil, reason: "invalid attribute value")
    }
}
