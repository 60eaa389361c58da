import HookKitSystem

/// The hub's answer to `POST /events/batch`, checked against the batch that was sent.
///
/// The wire contract's answer is `{"accepted":N,"duplicates":N,"rejected":[{"index":i,
/// "event_uuid":…,"error":…}]}` in which every event sent is counted exactly once. Anything else
/// (not JSON, `{}`, counts that do not add up to the number sent, a rejection naming no event of
/// the batch) says nothing reliable about which events were stored, so none of them may be
/// counted as delivered.
package struct BatchAnswer: Sendable, Equatable {
    /// Events stored.
    package var accepted: Int
    /// Events the hub already had.
    package var duplicates: Int
    /// The events refused, by their index in the batch, with the hub's reason.
    package var rejected: [Int: String]

    /// Why an answer is not the documented one.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// For example `accepted 3 + duplicates 0 + rejected 0 for 5 events`.
        package var description: String
        init(_ description: String) { self.description = description }
    }

    /// Checks `body` against the batch, whose events had the ids `sent` (in order).
    package init(_ body: [UInt8], sent: [String]) throws(Invalid) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            throw Invalid("a body that is not JSON (\(error))")
        }
        guard json.objectValue != nil else { throw Invalid("a body that is not a JSON object") }
        guard let accepted = json["accepted"]?.integerValue, accepted >= 0, accepted <= sent.count else {
            throw Invalid("no valid \"accepted\" count")
        }
        guard let duplicates = json["duplicates"]?.integerValue, duplicates >= 0, duplicates <= sent.count else {
            throw Invalid("no valid \"duplicates\" count")
        }
        guard let entries = json["rejected"]?.arrayValue else { throw Invalid("no \"rejected\" list") }
        guard Int(accepted) + Int(duplicates) + entries.count == sent.count else {
            throw Invalid(
                "accepted \(accepted) + duplicates \(duplicates) + rejected \(entries.count) for \(sent.count) events")
        }
        var rejected: [Int: String] = [:]
        for entry in entries {
            // By position when the hub gives it, else by id (the first sent event of that id not
            // already listed).
            var index: Int?
            if let position = entry["index"]?.integerValue {
                index = position >= 0 && position < Int64(sent.count) ? Int(position) : nil
            } else if let id = entry["event_uuid"]?.stringValue {
                index = sent.indices.first { sent[$0] == id && rejected[$0] == nil }
            }
            guard let index, rejected[index] == nil else {
                throw Invalid("a \"rejected\" entry that names no other event of the batch")
            }
            rejected[index] = entry["error"]?.stringValue ?? "rejected"
        }
        self.accepted = Int(accepted)
        self.duplicates = Int(duplicates)
        self.rejected = rejected
    }
}
