import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// `hook-hub` against clients that misbehave, over raw sockets. The hub must answer what it
/// can, close what it must, never store half an event, and stay healthy.
@Suite struct HubRobustnessTests {
    private func withHub(_ arguments: [String] = [], _ body: (HubProcess) throws -> Void) throws {
        let directory = try makeTemporaryDirectory("hook-hub-robust")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory, arguments: arguments)
        defer { hub.stop() }
        try body(hub)
        #expect(try hub.client.get("/healthz").status == 200)
    }

    /// Sends `text` on a new connection and returns the first response and whether the hub
    /// closed the connection afterwards.
    private func exchange(_ hub: HubProcess, _ text: String) throws -> (HTTPResponse?, closed: Bool) {
        let raw = try RawConnection(port: hub.port)
        defer { raw.close() }
        try raw.send(text)
        let response = raw.readResponses(1).first
        return (response, raw.readUntilClose(timeout: 5).closed)
    }

    @Test func malformedRequestsAreAnsweredAndClosed() throws {
        let cases: [(String, Int)] = [
            ("GARBAGE\r\n\r\n", 400),
            ("GET /healthz\r\n\r\n", 400),
            ("GET /healthz HTTP/1.1 extra\r\n\r\n", 400),
            ("GET /hea lthz HTTP/1.1\r\n\r\n", 400),
            ("G(T /healthz HTTP/1.1\r\n\r\n", 400),
            ("GET /healthz HTTP/2.0\r\n\r\n", 505),
            ("GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
            ("GET /healthz HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            ("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("GET /healthz HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),
            ("GET /healthz HTTP/1.1\r\nA: b\u{1}c\r\n\r\n", 400),
            ("POST /events HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
            ("POST /events HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
            ("POST /events HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST /events HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST /events HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        ]
        try withHub { hub throws in
            for (request, status) in cases {
                let (response, closed) = try exchange(hub, request)
                #expect(response?.status == status, "\(request.debugDescription)")
                #expect(response.flatMap(jsonObject)?["error"] is String, "\(request.debugDescription)")
                #expect(closed, "\(request.debugDescription)")
            }
            #expect(hub.storeLines.isEmpty)
        }
    }

    @Test func oversizedHeaderBlockIs431() throws {
        try withHub { hub throws in
            let (response, closed) = try exchange(
                hub, "GET /healthz HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n")
            #expect(response?.status == 431)
            #expect(closed)
            // Many small fields count too.
            let many = (0..<200).map { "X-\($0): 1\r\n" }.joined()
            #expect(try exchange(hub, "GET /healthz HTTP/1.1\r\n\(many)\r\n").0?.status == 431)
            // A header block that never ends is cut off at the limit, not buffered forever.
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send("GET /healthz HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 3000))
            #expect(raw.readResponses(1).first?.status == 431)
        }
    }

    @Test func stalledRequestsTimeOutWith408() throws {
        try withHub(["--request-timeout", "0.3", "--idle-timeout", "0.5"]) { hub throws in
            // Headers never finished.
            let headers = try RawConnection(port: hub.port)
            defer { headers.close() }
            try headers.send("POST /events HTTP/1.1\r\nHost: x\r\n")
            let start = Date()
            #expect(headers.readResponses(1).first?.status == 408)
            #expect(headers.readUntilClose(timeout: 5).closed)
            #expect(Date().timeIntervalSince(start) < 4)

            // Content-Length that lies: promises more than is sent.
            let body = try RawConnection(port: hub.port)
            defer { body.close() }
            try body.send("POST /events HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"event_uuid\":")
            #expect(body.readResponses(1).first?.status == 408)
            #expect(body.readUntilClose(timeout: 5).closed)

            // Slow loris: a byte at a time keeps each read short but the request deadline holds.
            let slow = try RawConnection(port: hub.port)
            defer { slow.close() }
            var answered = false
            for byte in "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 {
                guard (try? slow.send([byte])) != nil else { answered = true; break }
                usleep(50_000)
                if (try? slow.socket.poll(events: Int16(POLLIN), timeoutMilliseconds: 0)) == true {
                    answered = true; break
                }
            }
            #expect(answered)
            #expect(slow.readResponses(1, method: "GET").first?.status == 408)

            // Idle keep-alive connections are closed without a response.
            let idle = try RawConnection(port: hub.port)
            defer { idle.close() }
            let (bytes, closed) = idle.readUntilClose(timeout: 5)
            #expect(closed)
            #expect(bytes.isEmpty)
            #expect(hub.storeLines.isEmpty)
        }
    }

    @Test func shortContentLengthLeavesTheRestAsTheNextRequest() throws {
        try withHub { hub throws in
            let event = String(decoding: makeEvent(), as: UTF8.self)
            // Content-Length covers only part of the event: that part is bad JSON (400), and
            // the rest is not a request line (400, then close).
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send("POST /events HTTP/1.1\r\nContent-Length: 20\r\n\r\n\(event)")
            let responses = raw.readResponses(2)
            #expect(responses.map(\.status) == [400, 400])
            #expect(raw.readUntilClose(timeout: 5).closed)
            #expect(hub.storeLines.isEmpty)
        }
    }

    @Test func chunkedBodiesAreAccepted() throws {
        try withHub { hub throws in
            let event = makeEvent()
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            var request = Array("POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            let split = event.count / 3
            for part in [event[..<split], event[split...]] {
                request += Array((String(part.count, radix: 16) + ";ext=1\r\n").utf8) + part + Array("\r\n".utf8)
            }
            request += Array("0\r\nX-Trailer: yes\r\n\r\n".utf8)
            // Sent in small pieces to exercise every state of the decoder.
            for start in stride(from: 0, to: request.count, by: 7) {
                try raw.send(Array(request[start..<min(start + 7, request.count)]))
            }
            #expect(raw.readResponses(1).first?.status == 201)
            #expect(hub.storeLines.count == 1)
        }
    }

    @Test func pipelinedAndKeepAliveRequestsAreAnsweredInOrder() throws {
        try withHub { hub throws in
            let uuid = UUID().uuidString.lowercased()
            let body = String(decoding: makeEvent(uuid: uuid), as: UTF8.self)
            let post = "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send(post + post + "GET /healthz HTTP/1.1\r\n\r\n" + "GET /nope HTTP/1.1\r\n\r\n")
            #expect(raw.readResponses(4).map(\.status) == [201, 409, 200, 404])
            // Still open (keep-alive): one more request on the same connection.
            try raw.send("GET /events?session_id=s1 HTTP/1.1\r\n\r\n")
            let last = raw.readResponses(1, method: "GET")
            #expect(last.first.flatMap(jsonArray)?.count == 1)
            // Connection: close is honoured.
            try raw.send("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
            let closing = raw.readResponses(1, method: "GET")
            #expect(closing.first?.headers["Connection"] == "close")
            #expect(raw.readUntilClose(timeout: 5).closed)
        }
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        try withHub { hub throws in
            let (response, closed) = try exchange(hub, "GET /healthz HTTP/1.0\r\n\r\n")
            #expect(response?.status == 200)
            #expect(closed)
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n")
            #expect(raw.readResponses(2, method: "GET").map(\.status) == [200, 200])
        }
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        try withHub { hub throws in
            let body = makeEvent()
            let raw = try RawConnection(port: hub.port)
            defer { raw.close() }
            try raw.send(
                "POST /events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n")
            var interim = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 256)
            if (try? raw.socket.poll(events: Int16(POLLIN), timeoutMilliseconds: 5_000)) == true {
                let n = buffer.withUnsafeMutableBytes { (try? raw.socket.receive(into: $0)) ?? 0 }
                interim = Array(buffer[0..<max(0, n)])
            }
            #expect(String(decoding: interim, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n"))
            try raw.send(body)
            #expect(raw.readResponses(1).first?.status == 201)
        }
    }

    @Test func clientsThatVanishMidRequestLeaveNothingBehind() throws {
        try withHub { hub throws in
            let body = String(decoding: makeEvent(), as: UTF8.self)
            for cut in [5, 30, 60 + body.utf8.count / 2] {
                let raw = try RawConnection(port: hub.port)
                let request = "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                try raw.send(String(request.prefix(cut)))
                raw.close()
            }
            // Abort with a reset (SO_LINGER 0) in the middle of a body.
            let reset = try RawConnection(port: hub.port)
            try reset.send(
                "POST /events HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 50_000))
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(reset.socket.rawValue, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            reset.close()
            // The hub is fine and stored nothing.
            #expect(try hub.client.get("/healthz").status == 200)
            #expect(hub.storeLines.isEmpty)
        }
    }
}
