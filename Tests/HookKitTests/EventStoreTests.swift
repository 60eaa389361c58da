import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct EventStoreTests {
    private func event(_ uuid: String = UUID().uuidString.lowercased(), session: String = "s") throws -> ValidatedEvent
    {
        try ValidatedEvent(validating: makeEvent(uuid: uuid, session: session))
    }

    @Test func eventKeysFoldUUIDCase() {
        let lower = "0190a6f0-1234-7abc-8def-0123456789ab"
        #expect(EventKey(lower) == EventKey(lower.uppercased()))
        #expect(EventKey(lower) == .uuid(0x0190a6f0_1234_7abc, 0x8def_0123456789ab))
        #expect(EventKey("not-a-uuid") == .text("not-a-uuid"))
        #expect(EventKey("0190a6f0x1234-7abc-8def-0123456789ab") == .text("0190a6f0x1234-7abc-8def-0123456789ab"))
    }

    @Test func validationNamesTheProblem() throws {
        #expect(throws: EventValidationError.self) { try ValidatedEvent(validating: Array("[]".utf8)) }
        do {
            _ = try ValidatedEvent(validating: Array("{\"event_uuid\":\"e1\",\"source_app\":1}".utf8))
            Issue.record("expected a validation error")
        } catch {
            #expect(error.eventUUID == "e1")
            #expect(error.message.contains("source_app"))
        }
        // Keys may repeat: the last one counts; extra fields are kept; the line is minified.
        let text =
            "{ \"event_uuid\" : \"a\", \"event_uuid\":\"b\", \"source_app\":\"x\", \"session_id\":\"s\", \"hook_event_type\":\"t\", \"payload\":{ }, \"timestamp\": -5, \"extra\": [1, 2] }"
        let valid = try ValidatedEvent(validating: Array(text.utf8))
        #expect(valid.eventUUID == "b")
        #expect(!valid.line.contains(UInt8(ascii: " ")))
    }

    @Test func concurrentAppendsAreGroupCommittedAndIndexed() throws {
        let directory = try makeTemporaryDirectory("event-store")
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/events.jsonl"
        let store = try EventStore(path: path)
        let threads = 16, perThread = 50
        let shared = try event()
        let outcomes = Locked<[EventStore.AppendOutcome]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                guard let fresh = try? event(session: "t\(thread)"),
                    let result = try? store.append(index == 0 ? [fresh, shared, fresh] : [fresh])
                else { continue }
                outcomes.withLock { $0.append(contentsOf: result) }
            }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.filter { $0 == .stored }.count == threads * perThread + 1)
        #expect(all.filter { $0 == .duplicate }.count == 2 * threads - 1)
        #expect(store.count == threads * perThread + 1)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == threads * perThread + 1)
        let session = try store.jsonArray(sessionID: "t3", limit: 1000)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(session)) as? [[String: Any]])
        #expect(parsed.count == perThread)
        store.close()

        // Reopened, the indexes are rebuilt from the file.
        let reopened = try EventStore(path: path)
        defer { reopened.close() }
        #expect(reopened.count == threads * perThread + 1)
        #expect(reopened.openReport.warnings.isEmpty)
        #expect(try reopened.append([shared]) == [.duplicate])
        let newest =
            try JSONSerialization.jsonObject(with: Data(try reopened.jsonArray(sessionID: nil, limit: 2))) as? [Any]
        #expect(newest?.count == 2)
    }

    @Test func storeIsLockedAgainstASecondWriter() throws {
        let directory = try makeTemporaryDirectory("event-store")
        defer { removeTemporaryDirectory(directory) }
        let store = try EventStore(path: directory + "/events.jsonl")
        #expect(throws: EventStoreError.self) { try EventStore(path: directory + "/events.jsonl") }
        store.close()
        let again = try EventStore(path: directory + "/events.jsonl")
        again.close()
        #expect(throws: EventStoreError.self) { try again.append([try event()]) }
        #expect(throws: EventStoreError.self) { try EventStore(path: directory + "/missing/dir/events.jsonl") }
    }
}
