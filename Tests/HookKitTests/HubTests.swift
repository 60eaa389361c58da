import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// `hook-hub` as a subprocess: every status code of the wire contract, persistence, recovery,
/// and clients that misbehave.
@Suite struct HubTests {
    /// A temporary folder and a running hub, both cleaned up by the test.
    private func withHub(
        _ arguments: [String] = [], environment: [String: String] = [:], prepare: (String) throws -> Void = { _ in },
        _ body: (HubProcess, String) throws -> Void
    ) throws {
        let directory = try makeTemporaryDirectory("hook-hub-test")
        defer { removeTemporaryDirectory(directory) }
        try prepare(directory)
        let hub = try HubProcess.start(directory: directory, arguments: arguments, environment: environment)
        defer { hub.stop() }
        try body(hub, directory)
    }

    // MARK: Contract

    @Test func startupLineAndHealth() throws {
        try withHub { hub, directory throws in
            #expect(hub.startupLine.contains("listening on http://127.0.0.1:\(hub.port)"))
            #expect(hub.startupLine.contains(directory + "/events.jsonl"))
            let health = try hub.client.get("/healthz")
            #expect(health.status == 200)
            #expect(jsonObject(health)?["status"] as? String == "ok")
        }
    }

    @Test func helpPrintsUsage() throws {
        let result = try runProcess(Executables.path("hook-hub"), ["--help"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("--secret"))
        let bad = try runProcess(Executables.path("hook-hub"), ["--bogus"])
        #expect(bad.status != 0)
        #expect(bad.stderrText.contains("unknown argument"))
    }

    @Test func singleEventIsStoredOnceThen409() throws {
        try withHub { hub, _ throws in
            let uuid = UUID().uuidString.lowercased()
            let first = try hub.client.post("/events", body: makeEvent(uuid: uuid))
            #expect(first.status == 201)
            #expect(jsonObject(first)?["event_uuid"] as? String == uuid)
            // The same UUID in upper case is the same event.
            let replay = try hub.client.post("/events", body: makeEvent(uuid: uuid.uppercased()))
            #expect(replay.status == 409)
            #expect(jsonObject(replay)?["status"] as? String == "duplicate")
            #expect(hub.storeLines.count == 1)
            let stored = try #require(jsonArray(try hub.client.get("/events?session_id=s1")))
            #expect(stored.count == 1)
            #expect(stored.first?["event_uuid"] as? String == uuid)
            #expect((stored.first?["payload"] as? [String: Any])?["tool_name"] as? String == "Bash")
        }
    }

    @Test func nonUUIDIdsAreDeduplicatedVerbatim() throws {
        try withHub { hub, _ throws in
            #expect(try hub.client.post("/events", body: makeEvent(uuid: "evt-1")).status == 201)
            #expect(try hub.client.post("/events", body: makeEvent(uuid: "evt-1")).status == 409)
            #expect(try hub.client.post("/events", body: makeEvent(uuid: "EVT-1")).status == 201)
        }
    }

    @Test func invalidEventsAre400WithAJSONError() throws {
        let valid = String(decoding: makeEvent(), as: UTF8.self)
        let cases: [String] = [
            "", "not json", "{", "[]", "42", "\"text\"", "{\"a\":1} trailing",
            valid.replacingOccurrences(of: "\"event_uuid\"", with: "\"uuid\""),
            valid.replacingOccurrences(of: "\"source_app\":\"test\"", with: "\"source_app\":7"),
            valid.replacingOccurrences(of: "\"session_id\":\"s1\"", with: "\"session_id\":null"),
            valid.replacingOccurrences(of: "\"hook_event_type\"", with: "\"hook_event_name\""),
            valid.replacingOccurrences(of: "\"payload\":{", with: "\"payload\":[{").replacingOccurrences(
                of: "}},\"timestamp\"", with: "}],\"timestamp\""),
            valid.replacingOccurrences(of: "1700000000000", with: "1700000000000.5"),
            valid.replacingOccurrences(of: "1700000000000", with: "\"1700000000000\""),
            valid.replacingOccurrences(of: "1700000000000", with: "1.7e12"),
            "{\"event_uuid\":\"\",\"source_app\":\"a\",\"session_id\":\"s\",\"hook_event_type\":\"t\",\"payload\":{},\"timestamp\":1}",
        ]
        try withHub { hub, _ throws in
            for body in cases {
                let response = try hub.client.post("/events", body: Array(body.utf8))
                #expect(response.status == 400, "\(body)")
                #expect(jsonObject(response)?["error"] is String, "\(body)")
            }
            #expect(hub.storeLines.isEmpty)
            #expect(try hub.client.get("/healthz").status == 200)
        }
    }

    @Test func deeplyNestedPayloadDoesNotCrash() throws {
        let depth = 100_000
        let payload = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let good =
            "{\"event_uuid\":\"deep\",\"source_app\":\"a\",\"session_id\":\"deep\",\"hook_event_type\":\"t\",\"payload\":{\"x\":\(payload)},\"timestamp\":1}"
        let broken = String(repeating: "{\"a\":", count: depth)
        try withHub { hub, _ throws in
            #expect(try hub.client.post("/events", body: Array(broken.utf8)).status == 400)
            #expect(try hub.client.post("/events", body: Array(good.utf8)).status == 201)
            let stored = try hub.client.get("/events?session_id=deep")
            #expect(stored.status == 200)
            #expect(stored.body.count > 2 * depth)
            #expect(try hub.client.post("/events/batch", body: Array("[\(good)]".utf8)).status == 200)
        }
    }

    @Test func unknownPathsAre404AndWrongMethods405() throws {
        try withHub { hub, _ throws in
            #expect(try hub.client.get("/nope").status == 404)
            #expect(try hub.client.get("/events/").status == 404)
            #expect(try hub.client.post("/", body: []).status == 404)
            let delete = try hub.client.send(HTTPRequest(method: "DELETE", target: "/events"))
            #expect(delete.status == 405)
            #expect(delete.headers["Allow"] == "GET, POST")
            #expect(try hub.client.get("/events/batch").status == 405)
            #expect(try hub.client.post("/healthz", body: []).status == 405)
            #expect(try hub.client.send(HTTPRequest(method: "PUT", target: "/events/batch")).headers["Allow"] == "POST")
        }
    }

    @Test func bodyOverTheLimitIs413() throws {
        try withHub(["--max-body", "2048"]) { hub, _ throws in
            // Declared too large: answered before the body is read.
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2049\r\n\r\n")
            let responses = raw.readResponses(1)
            #expect(responses.first?.status == 413)
            #expect(raw.readUntilClose(timeout: 5).closed)
            // Actually sent: the client still reads the answer (the hub drains before closing).
            let big = try hub.client.post(
                "/events", body: makeEvent(extra: ",\"pad\":\"\(String(repeating: "x", count: 100_000))\""))
            #expect(big.status == 413)
            // Chunked bodies are limited too.
            let chunked = try RawConnection(port: hub.port)
            defer { chunked.close() }
            try chunked.send("POST /events/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try chunked.send("400\r\n" + String(repeating: "[", count: 1024) + "\r\n")
            try chunked.send("401\r\n" + String(repeating: "[", count: 1025) + "\r\n0\r\n\r\n")
            #expect(chunked.readResponses(1).first?.status == 413)
            #expect(try hub.client.get("/healthz").status == 200)
        }
    }

    @Test func getEventsFiltersBySessionAndLimits() throws {
        try withHub(["--secret", "only-for-posts"]) { hub, _ throws in
            // With a secret, reads need the read token (none given here: see HubHardeningTests).
            #expect(try hub.client.get("/events").status == 401)
            #expect(try hub.client.post("/events", body: makeEvent()).status == 401)
        }
        try withHub { hub, _ throws in
            var uuids: [String] = []
            for index in 0..<6 {
                let uuid = UUID().uuidString.lowercased()
                uuids.append(uuid)
                let session = index % 2 == 0 ? "even" : "odd&odd"
                #expect(try hub.client.post("/events", body: makeEvent(uuid: uuid, session: session)).status == 201)
            }
            func ids(_ target: String) throws -> [String] {
                let response = try hub.client.get(target)
                #expect(response.status == 200)
                return try #require(jsonArray(response)).compactMap { $0["event_uuid"] as? String }
            }
            #expect(try ids("/events") == uuids)
            #expect(try ids("/events?limit=2") == Array(uuids.suffix(2)))
            #expect(try ids("/events?session_id=even") == [uuids[0], uuids[2], uuids[4]])
            #expect(try ids("/events?session_id=odd%26odd&limit=2") == [uuids[3], uuids[5]])
            #expect(try ids("/events?session_id=nobody") == [])
            #expect(try ids("/events?limit=0") == [])
            #expect(try ids("/events?limit=99999999") == uuids)  // clamped to the maximum
            for bad in ["abc", "-1", "1.5", ""] {
                #expect(try hub.client.get("/events?limit=\(bad)").status == 400, "limit=\(bad)")
            }
        }
    }

    @Test func batchStoresValidEventsAndListsRejectedOnes() throws {
        try withHub { hub, _ throws in
            let stored = UUID().uuidString.lowercased()
            #expect(try hub.client.post("/events", body: makeEvent(uuid: stored)).status == 201)
            let fresh = UUID().uuidString.lowercased()
            let batch =
                "["
                + [
                    String(decoding: makeEvent(uuid: fresh), as: UTF8.self),
                    String(decoding: makeEvent(uuid: stored), as: UTF8.self),  // already stored
                    String(decoding: makeEvent(uuid: fresh), as: UTF8.self),  // repeated within the batch
                    "{\"event_uuid\":\"bad-1\",\"source_app\":\"a\"}",
                    "17",
                    "{\"event_uuid\":\"bad-2\",\"source_app\":\"a\",\"session_id\":\"s\",\"hook_event_type\":\"t\",\"payload\":{},\"timestamp\":1.5}",
                ].joined(separator: ",") + "]"
            let response = try hub.client.post("/events/batch", body: Array(batch.utf8))
            #expect(response.status == 200)
            let body = try #require(jsonObject(response))
            #expect(body["accepted"] as? Int == 1)
            #expect(body["duplicates"] as? Int == 2)
            let rejected = try #require(body["rejected"] as? [[String: Any]])
            #expect(rejected.count == 3)
            #expect(rejected.map { $0["event_uuid"] as? String } == ["bad-1", nil, "bad-2"])
            #expect(rejected.map { $0["index"] as? Int } == [3, 4, 5])
            #expect(rejected.allSatisfy { ($0["error"] as? String)?.isEmpty == false })
            #expect(hub.storeLines.count == 2)

            let empty = try hub.client.post("/events/batch", body: Array("[]".utf8))
            #expect(empty.status == 200)
            #expect(jsonObject(empty)?["accepted"] as? Int == 0)
            for bad in ["", "{}", "not json", "[1,", String(decoding: makeEvent(), as: UTF8.self)] {
                let answer = try hub.client.post("/events/batch", body: Array(bad.utf8))
                #expect(answer.status == 400, "\(bad)")
                #expect(jsonObject(answer)?["error"] is String)
            }
        }
    }

    // MARK: Durability

    @Test func restartKeepsEventsAndDeduplication() throws {
        let directory = try makeTemporaryDirectory("hook-hub-test")
        defer { removeTemporaryDirectory(directory) }
        var uuids: [String] = []
        let first = try HubProcess.start(directory: directory)
        for _ in 0..<20 {
            let uuid = UUID().uuidString.lowercased()
            uuids.append(uuid)
            #expect(try first.client.post("/events", body: makeEvent(uuid: uuid)).status == 201)
        }
        let batch =
            "["
            + (0..<30).map { _ in
                let uuid = UUID().uuidString.lowercased()
                uuids.append(uuid)
                return String(decoding: makeEvent(uuid: uuid, session: "s2"), as: UTF8.self)
            }.joined(separator: ",") + "]"
        #expect(jsonObject(try first.client.post("/events/batch", body: Array(batch.utf8)))?["accepted"] as? Int == 30)
        first.crash()  // SIGKILL: whatever was acknowledged must be on disk

        let second = try HubProcess.start(directory: directory)
        defer { second.stop() }
        #expect(second.startupLine.contains("(50 events)"))
        for uuid in uuids.prefix(3) + uuids.suffix(3) {
            #expect(try second.client.post("/events", body: makeEvent(uuid: uuid)).status == 409)
        }
        let replay = try second.client.post("/events/batch", body: Array(batch.utf8))
        #expect(jsonObject(replay)?["duplicates"] as? Int == 30)
        let all = try #require(jsonArray(try second.client.get("/events")))
        #expect(all.compactMap { $0["event_uuid"] as? String } == uuids)
        #expect(second.stderrText.isEmpty)
    }

    @Test func tornLastLineAndGarbageLinesAreSkippedWithWarnings() throws {
        let good1 = String(decoding: makeEvent(uuid: "11111111-1111-7111-8111-111111111111"), as: UTF8.self)
        let good2 = String(decoding: makeEvent(uuid: "22222222-2222-7222-8222-222222222222"), as: UTF8.self)
        try withHub(prepare: { directory in
            let text = good1 + "\n" + "garbage line\n" + good2 + "\n" + String(good1.prefix(40))
            try text.write(toFile: directory + "/events.jsonl", atomically: false, encoding: .utf8)
        }) { hub, _ throws in
            #expect(hub.startupLine.contains("(2 events)"))
            #expect(hub.stderrText.contains("torn last line"))
            #expect(hub.stderrText.contains(":2: not a valid event"))
            #expect(
                try hub.client.post("/events", body: makeEvent(uuid: "22222222-2222-7222-8222-222222222222")).status
                    == 409)
            let fresh = UUID().uuidString.lowercased()
            #expect(try hub.client.post("/events", body: makeEvent(uuid: fresh)).status == 201)
            let lines = hub.storeLines
            #expect(lines.count == 4)  // the torn tail was cut; the garbage line stays, skipped
            #expect(lines.last?.contains(fresh) == true)
            let all = try #require(jsonArray(try hub.client.get("/events")))
            #expect(all.count == 3)
        }
        // A last line that lacks only its newline is a whole event: it is kept.
        try withHub(prepare: { directory in
            try (good1 + "\n" + good2).write(toFile: directory + "/events.jsonl", atomically: false, encoding: .utf8)
        }) { hub, _ throws in
            #expect(hub.startupLine.contains("(2 events)"))
            #expect(try hub.client.post("/events", body: makeEvent()).status == 201)
            #expect(hub.storeLines.count == 3)
        }
    }

    @Test func secondHubOnTheSameStoreRefusesToStart() throws {
        try withHub { hub, directory throws in
            #expect(throws: HubProcessError.self) {
                _ = try HubProcess.start(directory: directory, storePath: hub.storePath)
            }
        }
    }

    // MARK: Concurrency

    @Test func concurrentDuplicatesStoreExactlyOne() throws {
        try withHub { hub, _ throws in
            let uuid = UUID().uuidString.lowercased()
            let statuses = Locked<[Int]>([])
            DispatchQueue.concurrentPerform(iterations: 32) { _ in
                let client = HTTPClient(host: "127.0.0.1", port: hub.port)
                let status = (try? client.post("/events", body: makeEvent(uuid: uuid)).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
            let all = statuses.withLock { $0 }
            #expect(all.filter { $0 == 201 }.count == 1)
            #expect(all.filter { $0 == 409 }.count == 31)
            #expect(hub.storeLines.count == 1)
        }
    }

    @Test func hundredsOfConnectionsAtOnce() throws {
        let stress = ProcessInfo.processInfo.environment["HOOKKIT_STRESS"] == "1"
        let connections = stress ? 1000 : 200
        let perConnection = stress ? 20 : 2
        try withHub { hub, _ throws in
            // Open every connection first, so they are all served at the same time.
            var raws: [RawConnection] = []
            for _ in 0..<connections { raws.append(try RawConnection(port: hub.port)) }
            defer { raws.forEach { $0.close() } }
            let failures = Locked(0)
            let group = DispatchGroup()
            for raw in raws {
                DispatchQueue.global().async(group: group) {
                    var request = ""
                    for _ in 0..<perConnection {
                        let body = String(decoding: makeEvent(session: "many"), as: UTF8.self)
                        request +=
                            "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                    }
                    do { try raw.send(request) } catch { failures.withLock { $0 += 1 } }
                    let responses = raw.readResponses(perConnection, timeout: 60)
                    if responses.count != perConnection || !responses.allSatisfy({ $0.status == 201 }) {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            group.wait()
            #expect(failures.withLock { $0 } == 0)
            #expect(hub.storeLines.count == connections * perConnection)
        }
    }
}

/// Standard Webhooks verification by `hook-hub`.
@Suite struct HubSignatureTests {
    private static let plain = "plain secret"
    private static let spec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    private func signedHeaders(
        _ body: [UInt8], secrets: [String], id: String = "msg_1",
        at timestamp: Int64 = Int64(Date().timeIntervalSince1970)
    ) throws -> HTTPHeaders {
        let signer = try StandardWebhooks.Signer(secrets: secrets)
        var headers = HTTPHeaders()
        headers.add("webhook-id", id)
        headers.add("webhook-timestamp", String(timestamp))
        headers.add("webhook-signature", signer.signatureHeader(id: id, timestamp: timestamp, body: body))
        return headers
    }

    @Test func signaturesAreVerified() throws {
        let directory = try makeTemporaryDirectory("hook-hub-sig")
        defer { removeTemporaryDirectory(directory) }
        // Two secrets (rotation), one of each key form.
        let hub = try HubProcess.start(
            directory: directory, arguments: ["--secret", Self.plain, "--secret", Self.spec])
        defer { hub.stop() }
        #expect(hub.startupLine.contains("signatures required (2 secrets)"))
        func post(_ path: String, _ body: [UInt8], _ headers: HTTPHeaders) throws -> Int {
            try hub.client.post(path, body: body, headers: headers).status
        }
        func post(_ body: [UInt8], _ headers: HTTPHeaders) throws -> Int { try post("/events", body, headers) }

        let event = makeEvent()
        #expect(try post(event, signedHeaders(event, secrets: [Self.plain])) == 201)
        let second = makeEvent()
        #expect(try post(second, signedHeaders(second, secrets: [Self.spec])) == 201)
        let third = makeEvent()
        #expect(try post(third, signedHeaders(third, secrets: ["old secret", Self.spec])) == 201)
        // A replayed (still fresh) signed event is a duplicate, not an error.
        #expect(try post(event, signedHeaders(event, secrets: [Self.plain])) == 409)

        let fresh = makeEvent()
        #expect(try post(fresh, [:]) == 401)  // unsigned
        #expect(try post(fresh, signedHeaders(fresh, secrets: ["wrong"])) == 401)
        // The clock is read again for each request, with margins: a second passing between two
        // requests must not move a timestamp across the 300 s tolerance.
        func clock() -> Int64 { Int64(Date().timeIntervalSince1970) }
        #expect(try post(fresh, signedHeaders(fresh, secrets: [Self.plain], at: clock() - 310)) == 401)  // stale
        #expect(try post(fresh, signedHeaders(fresh, secrets: [Self.plain], at: clock() + 310)) == 401)  // future
        #expect(try post(fresh, signedHeaders(fresh, secrets: [Self.plain], at: clock() - 250)) == 201)  // within
        var tampered = try signedHeaders(fresh, secrets: [Self.plain])
        tampered.set("webhook-id", "msg_other")
        #expect(try post(makeEvent(), tampered) == 401)
        var missing = try signedHeaders(fresh, secrets: [Self.plain])
        missing.remove("webhook-timestamp")
        #expect(try post(fresh, missing) == 401)
        let body = Array("tampered".utf8) + fresh
        #expect(try post(body, signedHeaders(fresh, secrets: [Self.plain])) == 401)
        // Verification comes before parsing: an unsigned bad body is 401, not 400.
        #expect(try post(Array("nope".utf8), [:]) == 401)

        let batch = Array("[\(String(decoding: makeEvent(), as: UTF8.self))]".utf8)
        #expect(try post("/events/batch", batch, [:]) == 401)
        #expect(try post("/events/batch", batch, signedHeaders(batch, secrets: [Self.spec], id: "batch-1")) == 200)
        let unauthorized = try hub.client.post("/events", body: fresh)
        #expect(jsonObject(unauthorized)?["error"] is String)
        #expect(hub.storeLines.count == 5)
    }

    @Test func secretComesFromTheEnvironmentByDefault() throws {
        let directory = try makeTemporaryDirectory("hook-hub-sig")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory, environment: ["CLAUDE_OBSERVABILITY_SECRET": Self.spec])
        defer { hub.stop() }
        let event = makeEvent()
        #expect(try hub.client.post("/events", body: event).status == 401)
        #expect(
            try hub.client.post("/events", body: event, headers: signedHeaders(event, secrets: [Self.spec])).status
                == 201)
    }

    @Test func invalidWhsecSecretIsRefusedAtStartup() throws {
        let result = try runProcess(
            Executables.path("hook-hub"), ["--port", "0", "--store", "/dev/null/x", "--secret", "whsec_!!!"])
        #expect(result.status != 0)
        #expect(result.stderrText.contains("whsec_"))
    }
}
