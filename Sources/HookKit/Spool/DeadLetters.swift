import HookKitSystem

/// The dead-letter file: events the hub refused for good, each kept with the reason.
///
/// One JSON object per line: `{"dead_at": ms, "reason": "...", "event": {...}}`, or with
/// `"line": "..."` instead of `event` for a queue line that was not a valid event (a torn write).
/// `send-event flush --retry-dead` puts the events back in the queue.
package enum DeadLetters {
    /// Appends `event` (a valid event line) with `reason`.
    package static func add(event: ArraySlice<UInt8>, reason: String, to spool: Spool) throws(SpoolError) {
        try add(event: event, reason: reason, toFile: spool.deadLetterPath)
    }

    /// Appends `event` with `reason` to the dead-letter file at `path` (each sink has its own).
    package static func add(event: ArraySlice<UInt8>, reason: String, toFile path: String) throws(SpoolError) {
        var record = prefix(reason: reason)
        JSONWriter.append(#","event":"#, to: &record)
        record.append(contentsOf: event)
        record.append(UInt8(ascii: "}"))
        try append(record, to: path)
    }

    /// Appends a queue line that is not a valid event, as a sanitised string.
    package static func add(corruptLine line: ArraySlice<UInt8>, reason: String, to spool: Spool) throws(SpoolError) {
        try add(corruptLine: line, reason: reason, toFile: spool.deadLetterPath)
    }

    /// Appends a line that is not a valid event to the dead-letter file at `path`.
    package static func add(corruptLine line: ArraySlice<UInt8>, reason: String, toFile path: String) throws(SpoolError)
    {
        var record = prefix(reason: reason)
        JSONWriter.append(#","line":"#, to: &record)
        JSONWriter.appendSanitizedString(line, to: &record)
        record.append(UInt8(ascii: "}"))
        try append(record, to: path)
    }

    /// The event lines of every dead letter that holds an event, and the records that do not.
    package static func read(_ spool: Spool) throws(SpoolError) -> (events: [[UInt8]], others: [[UInt8]]) {
        var events: [[UInt8]] = []
        var others: [[UInt8]] = []
        for record in try records(in: spool.deadLetterPath) {
            if let event = record.event { events.append(event) } else { others.append(record.line) }
        }
        return (events, others)
    }

    /// Every record of the dead-letter file at `path`: the whole line, and the event it holds
    /// (nil for records of lines that were not events).
    package static func records(in path: String) throws(SpoolError) -> [(line: [UInt8], event: [UInt8]?)] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.privateContents(of: path) ?? []
        } catch {
            throw SpoolError(operation: "read", path: path, check: error)
        }
        return bytes.split(separator: UInt8(ascii: "\n")).map { line in
            if let record = try? JSONScanner.scan(Array(line)), let event = record.text(forKey: "event"),
                record.member("event")?.kind == .object
            {
                return (Array(line), Array(event))
            }
            return (Array(line), nil)
        }
    }

    private static func prefix(reason: String) -> [UInt8] {
        var record: [UInt8] = []
        JSONWriter.append(#"{"dead_at":"#, to: &record)
        JSONWriter.appendInteger(Clock.unixMilliseconds(), to: &record)
        JSONWriter.append(#","reason":"#, to: &record)
        JSONWriter.appendString(reason, to: &record)
        return record
    }

    private static func append(_ record: [UInt8], to path: String) throws(SpoolError) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.openPrivate(path, O_WRONLY | O_APPEND | O_CREAT)
        } catch {
            throw SpoolError(operation: "open", path: path, check: error)
        }
        defer { fd.close() }
        do {
            try fd.writeAll(record + [UInt8(ascii: "\n")])
        } catch {
            throw SpoolError(operation: "append to", path: path, errno: error)
        }
    }
}
