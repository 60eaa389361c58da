import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// A loopback server whose connections are handled by a closure, for client tests: it can
/// answer in ways a real server seldom does (chunked, close-delimited, never, ...).
private final class ScriptedServer: @unchecked Sendable {
    let listener: Socket
    let port: UInt16
    let accepted = Locked(0)

    init(_ handle: @escaping @Sendable (Socket, Int) -> Void) throws {
        listener = try Socket.listening(on: .loopbackIPv4(port: 0))
        port = try listener.localAddress().port
        let listener = self.listener
        let accepted = self.accepted
        try DetachedThread.start {
            while let client = try? listener.accept() {
                let index = accepted.withLock { count -> Int in
                    count += 1
                    return count
                }
                try? DetachedThread.start {
                    handle(client, index)
                    client.close()
                }
            }
        }
    }

    func stop() {
        listener.shutdownBoth()
        listener.close()
    }

    /// Reads one request head (and a Content-Length body) from `socket`.
    static func readRequest(_ socket: Socket) -> HTTPRequest? {
        var parser = HTTPRequestParser()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let request = try? parser.next() { return request }
            let n = buffer.withUnsafeMutableBytes { (try? socket.receive(into: $0)) ?? 0 }
            if n <= 0 { return nil }
            parser.append(Array(buffer[0..<n]))
        }
    }
}

@Suite struct HTTPClientTests {
    @Test func endpointParsing() {
        #expect(HTTPEndpoint(url: "http://127.0.0.1:4000") == HTTPEndpoint(host: "127.0.0.1", port: 4000))
        #expect(
            HTTPEndpoint(url: "HTTP://localhost/base/") == HTTPEndpoint(host: "localhost", port: 80, basePath: "/base"))
        #expect(HTTPEndpoint(url: "http://[::1]:8080/x?y#z") == HTTPEndpoint(host: "::1", port: 8080, basePath: "/x"))
        #expect(HTTPEndpoint(url: "http://[::1]:8080")?.description == "http://[::1]:8080")
        #expect(HTTPEndpoint(url: "https://x") == HTTPEndpoint(host: "x", port: 443, isTLS: true))
        for bad in [
            "https://", "ftp://x", "http://", "http://:80", "http://x:0", "http://x:99999", "http://u@x", "x:80",
        ] {
            #expect(HTTPEndpoint(url: bad) == nil, "\(bad)")
        }
    }

    @Test func addressResolution() throws {
        #expect(try SocketAddress.resolve("127.0.0.1", port: 1) == [.loopbackIPv4(port: 1)])
        #expect(try SocketAddress.resolve("localhost", port: 2).first == .loopbackIPv4(port: 2))
        #expect(try SocketAddress.resolve("::1", port: 3) == [.loopbackIPv6(port: 3)])
        #expect(SocketAddress.loopbackIPv6(port: 3).description == "[::1]:3")
        #expect(SocketAddress(ipLiteral: "10.1.2.3", port: 9)?.description == "10.1.2.3:9")
        #expect(SocketAddress(ipLiteral: "not an ip", port: 9) == nil)
    }

    @Test func keepAliveReusesOneConnection() throws {
        let server = try ScriptedServer { socket, _ in
            while let request = ScriptedServer.readRequest(socket) {
                let body = Array("echo \(request.target) \(request.body.count)".utf8)
                var out: [UInt8] = []
                HTTPResponse(status: 200, body: body).serialize(close: false, into: &out)
                guard (try? socket.sendAll(out)) != nil else { return }
            }
        }
        defer { server.stop() }
        let client = HTTPClient(endpoint: HTTPEndpoint(host: "localhost", port: server.port, basePath: "/base"))
        for index in 0..<20 {
            let response = try client.post("/p\(index)", body: Array(repeating: 1, count: index))
            #expect(response.bodyText == "echo /base/p\(index) \(index)")
        }
        #expect(server.accepted.withLock { $0 } == 1)
    }

    @Test func chunkedAndCloseDelimitedResponses() throws {
        let server = try ScriptedServer { socket, index in
            _ = ScriptedServer.readRequest(socket)
            switch index {
            case 1:
                try? socket.sendAll(
                    Array(
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nT: v\r\n\r\n"
                            .utf8))
                _ = ScriptedServer.readRequest(socket)  // keep-alive: the next request comes here
                try? socket.sendAll(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
                _ = ScriptedServer.readRequest(socket)
            default:
                try? socket.sendAll(Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".utf8))
            }
        }
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        #expect(try client.get("/").bodyText == "abcdefg")
        let empty = try client.get("/")
        #expect(empty.status == 204)
        #expect(empty.body.isEmpty)
        client.closeIdleConnections()
        let closeDelimited = try client.get("/")
        #expect(closeDelimited.bodyText == "until the end")
    }

    @Test func staleKeepAliveConnectionIsRetriedOnce() throws {
        // The server answers once per connection, without `Connection: close`, then closes.
        let server = try ScriptedServer { socket, index in
            guard ScriptedServer.readRequest(socket) != nil else { return }
            var out: [UInt8] = []
            HTTPResponse(status: 200, body: Array("conn \(index)".utf8)).serialize(close: false, into: &out)
            try? socket.sendAll(out)
        }
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        #expect(try client.get("/").bodyText == "conn 1")
        // Wait until the server has really closed that connection.
        usleep(50_000)
        #expect(try client.get("/").bodyText == "conn 2")
    }

    @Test func errorsAreClassified() throws {
        // Refused: a port that was just free.
        let probe = try Socket.listening(on: .loopbackIPv4(port: 0))
        let freePort = try probe.localAddress().port
        probe.close()
        #expect(throws: HTTPClientError.self) { try HTTPClient(host: "127.0.0.1", port: freePort).get("/") }
        do {
            _ = try HTTPClient(host: "127.0.0.1", port: freePort).get("/")
        } catch {
            #expect(error.kind == .connect)
        }
        // A server that never answers: the request deadline holds.
        let silent = try ScriptedServer { socket, _ in
            _ = ScriptedServer.readRequest(socket)
            usleep(3_000_000)
        }
        defer { silent.stop() }
        let start = Date()
        do {
            _ = try HTTPClient(
                host: "127.0.0.1", port: silent.port,
                configuration: HTTPClientConfiguration(requestTimeoutMilliseconds: 300)
            ).get("/")
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout)
        }
        // Bounded by the 300 ms deadline, not by the server's 3 s (a generous margin for load).
        #expect(Date().timeIntervalSince(start) < 2.9)
        // Garbage instead of HTTP.
        let garbage = try ScriptedServer { socket, _ in
            _ = ScriptedServer.readRequest(socket)
            try? socket.sendAll(Array("SMTP ready\r\n\r\n".utf8))
        }
        defer { garbage.stop() }
        do {
            _ = try HTTPClient(host: "127.0.0.1", port: garbage.port).get("/")
            Issue.record("expected a protocol violation")
        } catch {
            #expect(error.kind == .protocolViolation)
        }
        // A response cut short.
        let short = try ScriptedServer { socket, _ in
            _ = ScriptedServer.readRequest(socket)
            try? socket.sendAll(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        }
        defer { short.stop() }
        do {
            _ = try HTTPClient(host: "127.0.0.1", port: short.port).get("/")
            Issue.record("expected a lost connection")
        } catch {
            #expect(error.kind == .connectionLost)
        }
    }

    @Test func concurrentUseFromManyThreads() throws {
        let directory = try makeTemporaryDirectory("hook-client")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        defer { hub.stop() }
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<10 where (try? hub.client.post("/events", body: makeEvent()).status) != 201 {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(hub.storeLines.count == 160)
    }
}
