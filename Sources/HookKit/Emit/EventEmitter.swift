import HookKitSystem

/// Emits events from a Swift program: the in-process equivalent of running `send-event`.
///
/// `send` stamps the event and appends it to the spool through a queue file kept open, then
/// returns; the background flusher delivers it like any hook's event. Safe to share between
/// threads.
///
/// ```swift
/// let emitter = try EventEmitter(sourceApp: "my-tool")
/// try emitter.send(.object([.init("session_id", .string("s1")), .init("hook_event_name", .string("Build"))]))
/// ```
package final class EventEmitter: Sendable {
    private let envelope: EventEnvelope
    private let writer: Locked<QueueWriter>

    /// Opens the spool named by `configuration` (by default, this process's environment).
    package init(configuration: Configuration = Configuration(), sourceApp: String? = nil) throws(SpoolError) {
        envelope = EventEnvelope(
            configuration: configuration, machineID: MachineID.current(), sourceAppOverride: sourceApp)
        writer = Locked(try QueueWriter(spool: configuration.spool))
    }

    deinit {
        writer.withLock { $0.close() }
    }

    /// Spools one event whose payload is the JSON text `input` (as a hook would receive it on
    /// stdin) and returns its id. `eventType` overrides the input's `hook_event_name`.
    @discardableResult
    package func send(_ input: [UInt8], eventType: String? = nil) throws(SpoolError) -> UUIDv7 {
        var envelope = envelope
        envelope.eventTypeOverride = eventType
        let id = UUIDv7.generate()
        let line = envelope.encode(HookInput(bytes: input), id: id).line
        try writer.withLock { (writer) throws(SpoolError) in try writer.append(line) }
        return id
    }

    /// Spools one event whose payload is `payload`.
    @discardableResult
    package func send(_ payload: JSONValue, eventType: String? = nil) throws(SpoolError) -> UUIDv7 {
        try send(Array(payload.serialized().utf8), eventType: eventType)
    }
}
