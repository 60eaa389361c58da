import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// Issue 9, items 15 to 20: hook-hub bounded against unauthenticated or wasteful work.
@Suite struct HubHardeningTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func withHub(
        _ arguments: [String] = [], shellSetup: String? = nil, prepare: (String) throws -> [String] = { _ in [] },
        _ body: (HubProcess, String) throws -> Void
    ) throws {
        let directory = try makeTemporaryDirectory("hub-hardening")
        defer { removeTemporaryDirectory(directory) }
        let extra = try prepare(directory)
        let hub = try HubProcess.start(directory: directory, arguments: arguments + extra, shellSetup: shellSetup)
        defer { hub.stop() }
        try body(hub, directory)
    }

    func signed(_ body: [UInt8], at timestamp: Int64 = Clock.unixSeconds()) throws -> HTTPHeaders {
        let signer = try StandardWebhooks.Signer(secrets: [Self.secret])
        let id = "msg_\(UUID().uuidString)"
        var headers = HTTPHeaders()
        headers.add("webhook-id", id)
        headers.add("webhook-timestamp", String(timestamp))
        headers.add("webhook-signature", signer.signatureHeader(id: id, timestamp: timestamp, body: body))
        return headers
    }

    func batch(_ count: Int) -> [UInt8] {
        Array("[".utf8) + (0..<count).map { _ in makeEvent() }.joined(separator: Array(",".utf8)) + Array("]".utf8)
    }

    /// The hub's peak resident memory in kB (Linux).
    func peakMemory(_ hub: HubProcess) -> Int? {
        let status =
            (try? String(contentsOfFile: "/proc/\(hub.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    func file(_ directory: String, _ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }

    /// A raw connection from another loopback address (a second client).
    func connection(from local: String, port: UInt16) throws -> RawConnection {
        let socket = try Socket.tcp(family: AF_INET)
        try socket.bind(toLocal: try #require(SocketAddress(ipLiteral: local, port: 0)))
        try socket.connect(to: .loopbackIPv4(port: port), timeoutMilliseconds: 2_000)
        return RawConnection(connected: socket)
    }

    /// The status of one POST on a new connection, or nil.
    func probe(_ port: UInt16) -> Int? {
        let client = HTTPClient(host: "127.0.0.1", port: port)
        defer { client.closeIdleConnections() }
        return (try? client.post("/events", body: makeEvent()))?.status
    }

    // MARK: Item 15

    @Test func batchesOfMoreThanFiveHundredEventsAreRefusedCheaply() throws {
        try withHub { hub, _ throws in
            let over = try hub.client.post("/events/batch", body: batch(501))
            #expect(over.status == 413)
            #expect(jsonObject(over)?["error"] as? String == "a batch holds at most 500 events")
            #expect(jsonObject(try hub.client.post("/events/batch", body: batch(500)))?["accepted"] as? Int == 500)
            // 4 MiB of `[1,1,1,...]`: once a 160 MB `rejected` list; now a short refusal.
            let ones =
                Array("[".utf8) + Array(repeating: Array("1,".utf8), count: 2 * 1024 * 1024 - 2).joined()
                + Array("1]".utf8)
            let before = peakMemory(hub) ?? 0
            let answer = try hub.client.post("/events/batch", body: ones)
            #expect(answer.status == 413 && answer.body.count < 200)
            // Eight at once stay within a small multiple of their bodies (it was 2.8 GB).
            let failures = Locked(0)
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let client = HTTPClient(host: "127.0.0.1", port: hub.port)
                if (try? client.post("/events/batch", body: ones))?.status != 413 { failures.withLock { $0 += 1 } }
            }
            #expect(failures.withLock { $0 } == 0)
            if let after = peakMemory(hub) {
                #expect(after - before < 256 * 1024, "peak grew by \((after - before) / 1024) MB")
            }
        }
    }

    // MARK: Item 16

    @Test func anUnsignedBodyIsRefusedBeforeItIsRead() throws {
        try withHub(["--secret", Self.secret]) { hub, _ throws in
            // Only the head: the 4 MiB body never comes, and the answer does not wait for it.
            let unsigned = try RawConnection(port: hub.port)
            defer { unsigned.close() }
            try unsigned.send("POST /events/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n")
            let refusal = unsigned.readResponses(1, timeout: 5).first
            #expect(refusal?.status == 401)
            #expect(refusal.map { String(decoding: $0.body, as: UTF8.self) }?.contains("webhook-id") == true)
            // A stale timestamp is refused at the head too.
            let stale = try RawConnection(port: hub.port)
            defer { stale.close() }
            let old = Clock.unixSeconds() - 3600
            try stale.send(
                "POST /events HTTP/1.1\r\nHost: x\r\nwebhook-id: m\r\nwebhook-timestamp: \(old)\r\n"
                    + "webhook-signature: v1,\(Base64.encode([UInt8](repeating: 0, count: 32)))\r\nContent-Length: 4194304\r\n\r\n"
            )
            #expect(stale.readResponses(1, timeout: 5).first?.status == 401)
            // Signed requests still go through.
            let event = makeEvent()
            #expect(try hub.client.post("/events", body: event, headers: signed(event)).status == 201)
        }
    }

    @Test func bodiesBufferedAcrossConnectionsAreBounded() throws {
        try withHub(["--max-buffered", "1000000"]) { hub, _ throws in
            let first = try RawConnection(port: hub.port)
            defer { first.close() }
            // `Expect: 100-continue`: the interim answer comes once the head is checked and its
            // room taken, so the second request certainly finds the room taken.
            try first.send("POST /events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 700000\r\n\r\n")
            var interim: [UInt8] = []
            #expect(
                waitUntil(timeoutSeconds: 10) {
                    var byte: UInt8 = 0
                    while (try? first.socket.poll(events: Int16(POLLIN), timeoutMilliseconds: 10)) == true,
                        withUnsafeMutableBytes(of: &byte, { (try? first.socket.receive(into: $0)) ?? 0 }) == 1
                    {
                        interim.append(byte)
                    }
                    return String(decoding: interim, as: UTF8.self).hasSuffix("100 Continue\r\n\r\n")
                })
            try first.send(String(repeating: "x", count: 1000))
            let second = try RawConnection(port: hub.port)
            defer { second.close() }
            try second.send("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 700000\r\n\r\n")
            let refused = second.readResponses(1).first
            #expect(refused?.status == 503)
            #expect(refused?.headers["Retry-After"] == "1")
            #expect(try hub.client.get("/healthz").status == 200)
            // Once the first request is done, its room is free again.
            try first.send(String(repeating: "x", count: 699_000))
            #expect(first.readResponses(1).first?.status == 400)
            let third = try RawConnection(port: hub.port)
            defer { third.close() }
            try third.send(
                "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 700000\r\n\r\n"
                    + String(repeating: "x", count: 700_000))
            #expect(third.readResponses(1).first?.status == 400)
        }
    }

    // MARK: Item 17

    @Test func withASecretReadsNeedTheReadToken() throws {
        try withHub(prepare: { directory in
            [
                "--secret-file", try file(directory, "secret", Self.secret + "\n"),
                "--read-token-file", try file(directory, "token", "read-me-123\n"),
            ]
        }) { hub, _ throws in
            let event = makeEvent(session: "secret-session")
            #expect(try hub.client.post("/events", body: event, headers: signed(event)).status == 201)
            let anonymous = try hub.client.get("/events")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["WWW-Authenticate"] == "Bearer")
            #expect(!anonymous.bodyText.contains("secret-session"))
            #expect(try hub.client.get("/events", headers: ["Authorization": "Bearer wrong-token"]).status == 401)
            let reader = try hub.client.get("/events", headers: ["Authorization": "Bearer read-me-123"])
            #expect(reader.status == 200 && reader.bodyText.contains("secret-session"))
            #expect(try hub.client.get("/healthz").status == 200)
        }
        try withHub(["--secret", Self.secret]) { hub, _ throws in
            let refusal = try hub.client.get("/events", headers: ["Authorization": "Bearer anything"])
            #expect(refusal.status == 401 && refusal.bodyText.contains("--read-token-file"))
            #expect(hub.stderrText.contains("GET /events answers 401 until a token is given"))
        }
        try withHub { hub, _ throws in
            #expect(try hub.client.get("/events").status == 200, "without a secret, reads stay open on loopback")
        }
    }

    @Test func readAnswersAreCappedInBytes() throws {
        try withHub(["--max-read-bytes", "1000000"]) { hub, _ throws in
            var ids: [String] = []
            for _ in 0..<10 {
                let id = UUID().uuidString.lowercased()
                let event = makeEvent(uuid: id, extra: #","big":"\#(String(repeating: "b", count: 300_000))""#)
                #expect(try hub.client.post("/events", body: event).status == 201)
                ids.append(id)
            }
            let answer = try hub.client.get("/events?limit=10")
            #expect(answer.status == 200)
            #expect(answer.body.count <= 1_000_000)
            let returned = try #require(jsonArray(answer)).compactMap { $0["event_uuid"] as? String }
            #expect(returned == Array(ids.suffix(returned.count)) && returned.count == 3, "the newest that fit")
            #expect(answer.headers["HookKit-Omitted-Events"] == "7")
        }
    }

    @Test func bindingBeyondLoopbackWithoutASecretWarnsAboutReadsToo() throws {
        let directory = try makeTemporaryDirectory("hub-wide")
        defer { removeTemporaryDirectory(directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.path("hook-hub"))
        process.arguments = ["--host", "0.0.0.0", "--port", "0", "--store", directory + "/events.jsonl"]
        var environment = ProcessInfo.processInfo.environment
        environment["CLAUDE_OBSERVABILITY_SECRET"] = nil
        process.environment = environment
        let errors = directory + "/err"
        FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(
            waitUntil(timeoutSeconds: 10) {
                ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").contains(
                    "can write and read every event")
            })
    }

    // MARK: Item 18

    @Test func aConnectionThatSendsNothingLosesItsSlotSoon() throws {
        try withHub(["--first-byte-timeout", "0.3"]) { hub, _ throws in
            let silent = try RawConnection(port: hub.port)
            defer { silent.close() }
            let (bytes, closed) = silent.readUntilClose(timeout: 5)
            #expect(closed && bytes.isEmpty, "closed after the first-byte timeout, not the 60 s idle one")
            // A connection that did send keeps the idle timeout between its requests.
            #expect(try hub.client.get("/healthz").status == 200)
        }
    }

    /// `count` connections the hub serves (not overflow ones, which close after one answer): each
    /// gets one keep-alive answer and then stays open, idle.
    func holdSlots(_ count: Int, port: UInt16) throws -> [RawConnection] {
        var held: [RawConnection] = []
        for _ in 0..<(count * 4) where held.count < count {
            let connection = try RawConnection(port: port)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = connection.readResponses(1, method: "GET").first
            if answer?.status == 200, answer?.headers.contains("Connection", token: "close") == false {
                held.append(connection)
            } else {
                connection.close()
                usleep(100_000)  // a slot being given back (by a client that just closed) is not free yet
            }
        }
        return held
    }

    @Test func healthzStaysAnswerableWhenEverySlotIsTaken() throws {
        try withHub(["--max-connections", "4"]) { hub, _ throws in
            hub.client.closeIdleConnections()  // its keep-alive connection would hold a slot
            let held = try holdSlots(4, port: hub.port)
            defer { held.forEach { $0.close() } }
            #expect(held.count == 4)
            #expect(probe(hub.port) == 503)
            let health = try RawConnection(port: hub.port)
            defer { health.close() }
            try health.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(health.readResponses(1, method: "GET").first?.status == 200)
        }
    }

    @Test func oneClientAddressCannotTakeEverySlot() throws {
        try withHub(["--max-connections-per-client", "3"]) { hub, _ throws in
            hub.client.closeIdleConnections()
            let held = try holdSlots(3, port: hub.port)
            defer { held.forEach { $0.close() } }
            #expect(held.count == 3)
            #expect(probe(hub.port) == 503)
            // Another client address is served as usual.
            let other = try connection(from: "127.0.0.2", port: hub.port)
            defer { other.close() }
            let event = makeEvent()
            try other.send(
                Array("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: \(event.count)\r\n\r\n".utf8) + event)
            #expect(other.readResponses(1).first?.status == 201)
        }
    }

    // MARK: Item 19

    @Test func healthzIs503WhileTheLastStoreWriteFailed() throws {
        // The store may grow to 8 KiB (`ulimit -f 16`); SIGXFSZ is what a full disk would not send.
        try withHub(shellSetup: "trap '' XFSZ; ulimit -f 16") { hub, _ throws in
            func storeSize() -> Int {
                (try? FileManager.default.attributesOfItem(atPath: hub.storePath)[.size] as? Int) ?? 0
            }
            while 8192 - storeSize() > 1500 {
                #expect(try hub.client.post("/events", body: makeEvent()).status == 201)
            }
            let big = makeEvent(extra: #","big":"\#(String(repeating: "b", count: 2000))""#)
            let failed = try hub.client.post("/events", body: big)
            #expect(failed.status == 503)
            let health = try hub.client.get("/healthz")
            #expect(health.status == 503 && health.bodyText.contains("File too large"), "\(health.bodyText)")
            // A write that fits succeeds, and health is back.
            #expect(try hub.client.post("/events", body: makeEvent()).status == 201)
            #expect(try hub.client.get("/healthz").status == 200)
        }
    }

    // MARK: Item 20

    @Test func theSecretComesFromAFileAndStaysOffTheCommandLine() throws {
        try withHub(prepare: { directory in ["--secret-file", try file(directory, "secret", Self.secret + "\n")] }) {
            hub, _ throws in
            #expect(hub.startupLine.contains("signatures required (1 secret)"))
            let event = makeEvent()
            #expect(try hub.client.post("/events", body: event).status == 401)
            #expect(try hub.client.post("/events", body: event, headers: signed(event)).status == 201)
            let commandLine = try String(
                contentsOfFile: "/proc/\(hub.process.processIdentifier)/cmdline", encoding: .utf8)
            #expect(!commandLine.contains(Self.secret))
        }
    }
}

extension RawConnection {
    /// Wraps a socket that is already connected.
    init(connected socket: Socket) { self.socket = socket }
}
