import HookKitSystem

/// Emits events from a Swift program to a hub: the in-process equivalent of running `send-event`.
///
/// ```swift
/// let emitter = try EventEmitter(sourceApp: "my-tool")
/// try emitter.send(["session_id": "s1", "hook_event_name": "Build", "ok": true, "n": 3])
/// try emitter.flush()   // returns once everything queued is delivered, or throws the reason
/// ```
///
/// ``send(_:eventType:)`` stamps the event (UUIDv7, timestamp, machine, agent lineage), appends
/// it to the spool (a crash-safe queue on disk, shared with `send-event` hooks that use the same
/// ``Configuration/spoolDirectory``) and returns: it never waits for the network. A thread of
/// this process then delivers the queue in the background, in signed batches, retrying with
/// backoff while the hub is down. ``flush()`` delivers in the calling thread and says why when it
/// cannot. Events that are still queued when the program exits stay on disk and go with the next
/// delivery from that spool: the next emitter, a hook's flusher, or `send-event flush`.
///
/// The emitter never starts another process (except the `hookkit-tls` helper for an `https://`
/// hub) and never writes to stdout or stderr. One emitter can be shared by any number of
/// threads. See <doc:EmittingEvents>.
public final class EventEmitter: Sendable {
    private let envelope: EventEnvelope
    private let writer: Locked<QueueWriter>
    private let delivery: EmbeddedDelivery

    /// Opens the spool that `configuration` names (by default read from this process's
    /// environment: see ``Configuration/init()``) and starts delivering it in the background.
    ///
    /// - Parameters:
    ///   - configuration: The hub, secret, spool folder and limits.
    ///   - sourceApp: The events' `source_app`; wins over ``Configuration/sourceApp``. Without
    ///     either, the name of the project folder (`CLAUDE_PROJECT_DIR`) or of the working
    ///     directory in the payload's `cwd`.
    /// - Throws: ``HookKitError`` of kind ``HookKitError/Kind/configuration`` for an unusable hub
    ///   URL or secret, ``HookKitError/Kind/spool`` when the spool cannot be opened.
    public convenience init(configuration: Configuration = Configuration(), sourceApp: String? = nil)
        throws(HookKitError)
    {
        try self.init(configuration: configuration, sourceApp: sourceApp, deliversInBackground: true)
    }

    /// An emitter whose background delivery can be left off (tests, benchmarks): then only
    /// ``flush()``, hooks' flushers and `send-event flush` deliver its events.
    package init(configuration: Configuration, sourceApp: String? = nil, deliversInBackground: Bool)
        throws(HookKitError)
    {
        let sinks: SpoolDelivery
        do {
            sinks = try FlushRunner.makeDelivery(configuration)
        } catch {
            throw HookKitError(.configuration, reason: error.message)
        }
        envelope = EventEnvelope(
            configuration: configuration, machineID: MachineID.current(), sourceAppOverride: sourceApp)
        do {
            writer = Locked(try QueueWriter(spool: configuration.spool))
        } catch {
            throw HookKitError(error)
        }
        do {
            delivery = try EmbeddedDelivery(
                configuration: configuration, delivery: sinks, inBackground: deliversInBackground)
        } catch {
            writer.withLock { $0.close() }
            throw HookKitError(.delivery, reason: "cannot start the delivery thread: \(error)")
        }
    }

    /// Stops background delivery (after the step it is in, without waiting for it) and closes
    /// the spool. Queued events stay on disk.
    deinit {
        writer.withLock { $0.close() }
    }

    /// Queues one event whose payload is `payload`, and returns the event's id (its
    /// `event_uuid`). Returns once the event is on disk; delivery follows in the background.
    ///
    /// The payload should be a JSON object, like a Claude Code hook's input: its `session_id`,
    /// `hook_event_name`, `agent_id` and `agent_type` members fill in the event's fields
    /// (missing ones get defaults). Anything else is still sent, as a string with a
    /// `payload_error` saying why. A payload over ``Configuration/maxPayloadBytes`` is shortened by
    /// cutting its longest strings.
    ///
    /// - Parameters:
    ///   - payload: The event's payload.
    ///   - eventType: The event's type (`hook_event_type`); by default the payload's
    ///     `hook_event_name`, else `Unknown`.
    /// - Throws: ``HookKitError`` of kind ``HookKitError/Kind/spool`` when the event could not be
    ///   written (for example, the disk is full); it is then not queued.
    @discardableResult
    public func send(_ payload: JSONValue, eventType: String? = nil) throws(HookKitError) -> UUIDv7 {
        do {
            return try send(Array(payload.serialized().utf8), eventType: eventType)
        } catch {
            throw HookKitError(error)
        }
    }

    /// Queues one event whose payload is the JSON text `input` (as a hook receives it on stdin)
    /// and returns its id. `eventType` overrides the input's `hook_event_name`.
    @discardableResult
    package func send(_ input: [UInt8], eventType: String? = nil) throws(SpoolError) -> UUIDv7 {
        var envelope = envelope
        envelope.eventTypeOverride = eventType
        let id = UUIDv7.generate()
        let line = envelope.encode(HookInput(bytes: input), id: id).line
        try writer.withLock { (writer) throws(SpoolError) in try writer.append(line) }
        delivery.noteAppend()
        return id
    }

    /// Delivers everything queued in the spool now, in the calling thread, and returns how many
    /// events were delivered.
    ///
    /// Returns once the queue is empty: every event sent before the call (and any sent meanwhile)
    /// is stored at the hub, or was refused by it for good and moved to the spool's dead letters
    /// (`send-event status` counts them). A backoff in progress is skipped once: the hub gets
    /// one attempt now. Background delivery pauses while the flush runs (a request it has in flight
    /// finishes first); a `send-event` flusher delivering the same spool is asked to stop first.
    ///
    /// - Throws: ``HookKitError`` of kind ``HookKitError/Kind/delivery`` with the reason (for
    ///   example "connection refused; 3 events still queued, next attempt in 1 s") when the hub
    ///   could not take everything. The events stay queued, and background delivery retries them
    ///   with backoff.
    @discardableResult
    public func flush() throws(HookKitError) -> Int {
        switch delivery.flush() {
        case .success(let delivered): return delivered
        case .failure(let failure): throw HookKitError(.delivery, reason: failure.message)
        }
    }
}
