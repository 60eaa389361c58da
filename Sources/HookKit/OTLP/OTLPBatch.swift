import HookKitSystem

/// What a batch of hook events became: finished spans and one log record per event, each
/// pointing at one of `resources`.
package struct OTLPBatch: Sendable, Equatable {
    /// The resources (attribute lists) the spans and logs refer to by index, in order of first use.
    package var resources: [[OTLPAttribute]]
    /// Finished spans, in the order they ended.
    package var spans: [OTLPSpan]
    /// Log records, in event order.
    package var logs: [OTLPLogRecord]

    /// An empty batch.
    package init(resources: [[OTLPAttribute]] = [], spans: [OTLPSpan] = [], logs: [OTLPLogRecord] = []) {
        self.resources = resources
        self.spans = spans
        self.logs = logs
    }

    /// Whether there is nothing to send.
    package var isEmpty: Bool { spans.isEmpty && logs.isEmpty }
}

/// The instrumentation scope HookKit reports (`InstrumentationScope`).
package enum OTLPScope {
    /// The scope's name.
    package static let name = "hookkit"
    /// The scope's version: HookKit's.
    package static var version: String { HookKitVersion.current }
}

extension OTLPBatch {
    /// The spans grouped by resource: each resource index that has spans, with the indices of its
    /// spans in emission order; resources in order of first use.
    package func spansByResource() -> [(resource: Int, items: [Int])] {
        Self.group(spans.lazy.map(\.resourceIndex), resourceCount: resources.count)
    }

    /// The log records grouped by resource, like ``spansByResource()``.
    package func logsByResource() -> [(resource: Int, items: [Int])] {
        Self.group(logs.lazy.map(\.resourceIndex), resourceCount: resources.count)
    }

    private static func group(
        _ resourceIndices: some Collection<Int>, resourceCount: Int
    ) -> [(resource: Int, items: [Int])] {
        var buckets = [[Int]](repeating: [], count: resourceCount)
        var order: [Int] = []
        for (item, resource) in resourceIndices.enumerated() where buckets.indices.contains(resource) {
            if buckets[resource].isEmpty { order.append(resource) }
            buckets[resource].append(item)
        }
        return order.map { ($0, buckets[$0]) }
    }
}
