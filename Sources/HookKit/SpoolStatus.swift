/// What is waiting in a spool, for `send-event status`.
public struct SpoolStatus: Sendable, Equatable {
    /// The hub the spool delivers to.
    public var hub: String
    /// The spool folder.
    public var spool: String
    /// Events waiting in the queue.
    public var queued: Int
    /// Events in the dead-letter file.
    public var dead: Int

    /// Reads the status of `spool`.
    public init(spool: Spool, hub: String) {
        self.hub = hub
        self.spool = spool.directory
        queued = Self.countLines(atPath: spool.queuePath)
        dead = Self.countLines(atPath: spool.deadLetterPath)
    }

    /// The status as one JSON object.
    public func json() -> String {
        JSONValue.object([
            .init("hub", .string(hub)),
            .init("spool", .string(spool)),
            .init("queued", .number(String(queued))),
            .init("dead", .number(String(dead))),
        ]).serialized()
    }

    /// The status for people, one fact per line.
    public func text() -> String {
        """
        hub:     \(hub)
        spool:   \(spool)
        queued:  \(queued)
        dead:    \(dead)
        """
    }

    static func countLines(atPath path: String) -> Int {
        guard let bytes = try? FileSystem.contents(of: path) else { return 0 }
        return bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
