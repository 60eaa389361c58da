import HookKitSystem

/// The per-event work of the `send-event` hook: stamp the input and queue it.
package enum Hook {
    /// What happened to one hook invocation.
    package struct Outcome: Sendable {
        /// The event's id, when it was queued.
        package var eventID: UUIDv7?
        /// Lines for stderr: problems with the input (the event is still queued) or with the spool.
        package var messages: [String]
    }

    /// Turns `input` into an event and appends it to `spool`. Never throws: every problem becomes a
    /// message, and the input is queued whenever the spool can be written at all.
    package static func record(_ input: HookInput, envelope: EventEnvelope, spool: Spool) -> Outcome {
        let id = UUIDv7.generate()
        let event = envelope.encode(input, id: id)
        var messages: [String] = []
        if let problem = event.payloadError {
            messages.append("send-event: event \(id) queued with payload_error: \(problem)")
        }
        do {
            try spool.append(event.line)
        } catch {
            messages.append("send-event: event not recorded: \(error)")
            return Outcome(eventID: nil, messages: messages)
        }
        return Outcome(eventID: id, messages: messages)
    }
}
