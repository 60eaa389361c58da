import HookKitSystem

/// The OTLP mapping's memory between batches: the spans that have started and not yet been
/// emitted, the `Agent` calls whose subagent has not started yet, the event-time clock, and the
/// spool position it reflects.
///
/// A value: ``OTLPSpanMapper/map(_:from:options:)`` takes one and returns the next, so a caller
/// keeps the old one until the receiver has answered and can map the same batch again from it,
/// getting byte-identical spans. ``save(to:)`` and ``load(from:)`` keep it in one file, written
/// atomically together with ``cursor`` (see `docs/otlp.md`). Bounded by
/// ``OTLPMappingOptions/maxOpenSpans``.
package struct OTLPSpanState: Sendable {
    /// Where in the spool this state stands: set by the owner (the flusher) before saving, so
    /// that the open spans and the offset they correspond to are replaced in one rename.
    package struct Cursor: Sendable, Equatable {
        /// Bytes of `queue.jsonl` already mapped and delivered.
        package var offset: Int64
        /// The inode of the queue file `offset` refers to.
        package var inode: UInt64
        /// When the traces of the batch ending at this offset were accepted but its logs not yet:
        /// that end offset (the batch is mapped again from this state and only its logs are sent).
        package var tracesDeliveredThrough: Int64?
        /// The last line mapped before ``offset``, to recognise a queue truncated and filled
        /// again (as the hub sink's ``SpoolState/mark``).
        package var mark: QueueLineMark?

        package init(offset: Int64, inode: UInt64, tracesDeliveredThrough: Int64? = nil, mark: QueueLineMark? = nil) {
            self.offset = offset
            self.inode = inode
            self.tracesDeliveredThrough = tracesDeliveredThrough
            self.mark = mark
        }
    }

    /// An `Agent` tool call that returned a subagent's id before that subagent's span started.
    package struct AgentLink: Sendable, Equatable {
        /// The `execute_tool Agent` span.
        package var toolSpanID: OTLPSpanID
        /// When the link was made, for eviction in order.
        package var sequence: UInt64
    }

    /// The open spans, by span id.
    package private(set) var spans: [OTLPSpanID: OTLPOpenSpan] = [:]
    /// `Agent` calls waiting for their subagent, by the subagent's span id.
    package var agentLinks: [OTLPSpanID: AgentLink] = [:]
    /// The latest event time seen (Unix ms): timeouts are measured on it, so mapping the same
    /// events gives the same result whenever it runs.
    package var clockMilliseconds: Int64 = 0
    /// The event-time interval in which timeouts were last checked.
    package var timeoutCheckInterval: Int64 = 0
    /// The next ``OTLPOpenSpan/sequence``.
    package var nextSequence: UInt64 = 1
    /// The owner's position in the spool.
    package var cursor: Cursor?

    // Indexes over `spans`, rebuilt on load and never saved.
    private var bySession: [String: Set<OTLPSpanID>] = [:]
    private var enclosedBy: [OTLPSpanID: Set<OTLPSpanID>] = [:]
    private var turnsBySession: [String: Set<OTLPSpanID>] = [:]
    private var agentCallsByParent: [OTLPSpanID: Set<OTLPSpanID>] = [:]
    private var awaitingByFallback: [OTLPSpanID: Set<OTLPSpanID>] = [:]

    /// An empty state.
    package init() {}

    /// How many spans are open (ended subagents waiting for their parent included).
    package var openSpanCount: Int { spans.count }

    /// The open span `id`, if any.
    package subscript(id: OTLPSpanID) -> OTLPOpenSpan? { spans[id] }

    // MARK: - Changes

    /// Adds (or replaces) an open span.
    package mutating func insert(_ span: OTLPOpenSpan) {
        if spans[span.spanID] != nil { remove(span.spanID) }
        spans[span.spanID] = span
        index(span, adding: true)
    }

    /// Removes an open span and returns it.
    @discardableResult
    package mutating func remove(_ id: OTLPSpanID) -> OTLPOpenSpan? {
        guard let span = spans.removeValue(forKey: id) else { return nil }
        index(span, adding: false)
        return span
    }

    /// Changes an open span in place (the indexes follow).
    package mutating func update(_ id: OTLPSpanID, _ change: (inout OTLPOpenSpan) -> Void) {
        guard var span = remove(id) else { return }
        change(&span)
        insert(span)
    }

    /// Records activity at `milliseconds` on `id` and the spans enclosing it.
    package mutating func touch(_ id: OTLPSpanID, at milliseconds: Int64) {
        var current: OTLPSpanID? = id
        var hops = 0
        while let spanID = current, hops < 8, let span = spans[spanID] {
            // Only the time changes: no index depends on it, so update in place.
            if span.lastActivityMilliseconds < milliseconds { spans[spanID]?.lastActivityMilliseconds = milliseconds }
            current = span.enclosingSpanID
            hops += 1
        }
    }

    /// Takes the next sequence number.
    package mutating func takeSequence() -> UInt64 {
        defer { nextSequence += 1 }
        return nextSequence
    }

    // MARK: - Queries (results in opening order)

    /// The open spans of a session.
    package func spans(inSession sessionID: String) -> [OTLPSpanID] { ordered(bySession[sessionID]) }

    /// The open spans that end when `id` ends.
    package func spans(enclosedBy id: OTLPSpanID) -> [OTLPSpanID] { ordered(enclosedBy[id]) }

    /// The latest open turn of a session.
    package func latestTurn(inSession sessionID: String) -> OTLPSpanID? { ordered(turnsBySession[sessionID]).last }

    /// The open turns of a session.
    package func turns(inSession sessionID: String) -> [OTLPSpanID] { ordered(turnsBySession[sessionID]) }

    /// Whether an `Agent` tool call is still running under `parent`.
    package func hasOpenAgentCall(under parent: OTLPSpanID) -> Bool { agentCallsByParent[parent]?.isEmpty == false }

    /// Subagents (running or ended) whose parent is not known yet and falls back to `turn`.
    package func subagentsAwaitingParent(fallback turn: OTLPSpanID) -> [OTLPSpanID] {
        ordered(awaitingByFallback[turn])
    }

    /// Every open span, in opening order.
    package var orderedSpans: [OTLPOpenSpan] {
        spans.values.sorted { $0.sequence < $1.sequence }
    }

    private func ordered(_ ids: Set<OTLPSpanID>?) -> [OTLPSpanID] {
        guard let ids, !ids.isEmpty else { return [] }
        if ids.count == 1 { return Array(ids) }
        return ids.sorted { (spans[$0]?.sequence ?? 0) < (spans[$1]?.sequence ?? 0) }
    }

    private mutating func index(_ span: OTLPOpenSpan, adding: Bool) {
        func apply<Key: Hashable>(_ index: inout [Key: Set<OTLPSpanID>], _ key: Key) {
            if adding {
                index[key, default: []].insert(span.spanID)
            } else if index[key]?.remove(span.spanID) != nil, index[key]?.isEmpty == true {
                index[key] = nil
            }
        }
        apply(&bySession, span.sessionID)
        if let enclosing = span.enclosingSpanID { apply(&enclosedBy, enclosing) }
        if span.role == .turn { apply(&turnsBySession, span.sessionID) }
        if span.isAgentToolCall, let parent = span.parentSpanID { apply(&agentCallsByParent, parent) }
        if span.role == .agent, !span.parentResolved, let fallback = span.fallbackParentSpanID {
            apply(&awaitingByFallback, fallback)
        }
    }
}

extension OTLPSpanState: Equatable {
    /// Equal when everything that is saved is equal (the indexes follow from it).
    package static func == (lhs: OTLPSpanState, rhs: OTLPSpanState) -> Bool {
        lhs.spans == rhs.spans && lhs.agentLinks == rhs.agentLinks && lhs.clockMilliseconds == rhs.clockMilliseconds
            && lhs.timeoutCheckInterval == rhs.timeoutCheckInterval && lhs.nextSequence == rhs.nextSequence
            && lhs.cursor == rhs.cursor
    }
}
