import HookKit
import HookKitSystem

/// Settings of an ``HTTPServer``.
package struct HTTPServerConfiguration: Sendable {
    /// Where to listen; port 0 picks a free port (see ``HTTPServer/address``).
    package var address: SocketAddress
    /// Header and body limits (431 / 413 beyond them).
    package var limits: HTTPRequestLimits
    /// Time allowed to receive one whole request once its first byte arrived; after it the
    /// server answers 408 and closes (stops slow-loris clients).
    package var requestTimeoutMilliseconds: Int
    /// How long an idle keep-alive connection stays open.
    package var idleTimeoutMilliseconds: Int
    /// How long a send may block on a client that does not read (`SO_SNDTIMEO`).
    package var sendTimeoutMilliseconds: Int
    /// Connections served at once; more are answered 503 and closed.
    package var maxConnections: Int

    /// Defaults: 10 s per request, 60 s idle, 10 s send, 1024 connections.
    package init(
        address: SocketAddress,
        limits: HTTPRequestLimits = HTTPRequestLimits(),
        requestTimeoutMilliseconds: Int = 10_000,
        idleTimeoutMilliseconds: Int = 60_000,
        sendTimeoutMilliseconds: Int = 10_000,
        maxConnections: Int = 1024
    ) {
        self.address = address
        self.limits = limits
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.sendTimeoutMilliseconds = sendTimeoutMilliseconds
        self.maxConnections = maxConnections
    }
}

/// A small blocking HTTP/1.1 server: one accept thread, one thread per connection.
///
/// Connections are kept alive and pipelined requests are answered in order (the responses to
/// every request already buffered go out in one send). Malformed requests are answered with
/// their status (400, 408, 413, 431, 501, 505) and a JSON body `{"error": "..."}`, then the
/// connection is closed gracefully (the unread rest of the request is drained for a moment so
/// the client sees the response rather than a reset). The handler runs on the connection's
/// thread and may block (for example until an fsync completes).
package final class HTTPServer: Sendable {
    /// A request handler: called once per complete request, on the connection's thread.
    package typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// The configuration it was started with.
    package let configuration: HTTPServerConfiguration
    /// The address it listens on (with the real port when port 0 was asked for).
    package let address: SocketAddress
    private let listener: Socket
    private let handler: Handler
    private let state = Locked(State())

    private struct State {
        var connections = 0
        var stopped = false
        var open: Set<Int32> = []
    }

    /// Binds and listens (so the port is known and taken when this returns); call ``run()`` or
    /// ``start()`` to accept connections.
    package init(configuration: HTTPServerConfiguration, handler: @escaping Handler) throws(Errno) {
        #if canImport(Glibc)
        signal(SIGPIPE, SIG_IGN)  // belt and braces: sends use MSG_NOSIGNAL
        #endif
        self.configuration = configuration
        self.handler = handler
        self.listener = try Socket.listening(on: configuration.address)
        do {
            self.address = try listener.localAddress()
        } catch {
            listener.close()
            throw error
        }
    }

    /// Accepts connections on a new thread and returns.
    package func start() throws(Errno) {
        try DetachedThread.start { [self] in run() }
    }

    /// Accepts connections until ``stop()``; each connection is served on its own thread.
    package func run() {
        while true {
            let client: Socket
            do {
                client = try listener.accept()
            } catch {
                if state.withLock({ $0.stopped }) { return }
                // EMFILE/ENFILE/ECONNABORTED...: back off briefly instead of spinning.
                Clock.sleep(milliseconds: 10)
                continue
            }
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped, state.connections < configuration.maxConnections else { return false }
                state.connections += 1
                state.open.insert(client.rawValue)
                return true
            }
            guard admitted else {
                var out: [UInt8] = []
                HTTPServer.errorResponse(503, "too many connections").serialize(close: true, into: &out)
                try? client.setTimeout(receive: false, milliseconds: 100)
                try? client.sendAll(out)
                client.close()
                continue
            }
            do {
                try DetachedThread.start(stackSize: 512 * 1024) { [self] in
                    serve(client)
                    state.withLock {
                        $0.connections -= 1
                        $0.open.remove(client.rawValue)
                    }
                    client.close()
                }
            } catch {
                state.withLock {
                    $0.connections -= 1
                    $0.open.remove(client.rawValue)
                }
                client.close()
            }
        }
    }

    /// Stops accepting and wakes up every connection (they close after their current request).
    package func stop() {
        let open = state.withLock { state -> Set<Int32> in
            state.stopped = true
            return state.open
        }
        listener.shutdownBoth()
        for fd in open { Socket(rawValue: fd).shutdownBoth() }
    }

    /// The number of connections being served.
    package var connectionCount: Int { state.withLock { $0.connections } }

    /// A JSON error response `{"error": reason}` (`reason` is plain ASCII without quotes).
    static func errorResponse(_ status: Int, _ reason: String) -> HTTPResponse {
        var body: [UInt8] = []
        JSONWriter.append("{\"error\":", to: &body)
        JSONWriter.appendString(reason, to: &body)
        JSONWriter.append("}", to: &body)
        return .json(status, body)
    }

    /// Serves one connection until it closes, fails, times out or the server stops.
    private func serve(_ socket: Socket) {
        socket.setNoDelay()
        try? socket.setTimeout(receive: false, milliseconds: configuration.sendTimeoutMilliseconds)
        var parser = HTTPRequestParser(limits: configuration.limits)
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        var requestDeadline: UInt64 = 0

        func fail(_ status: Int, _ reason: String) {
            HTTPServer.errorResponse(status, reason).serialize(close: true, into: &output)
            try? socket.sendAll(output)
            lingeringClose(socket, buffer: chunk)
        }

        while true {
            // Answer every complete request already buffered (pipelining), then send once.
            while true {
                let request: HTTPRequest
                do {
                    guard let next = try parser.next() else { break }
                    request = next
                } catch {
                    fail(error.status, error.reason)
                    return
                }
                requestDeadline = 0
                let response = handler(request)
                let close = !request.keepAlive || state.withLock({ $0.stopped })
                response.serialize(close: close, into: &output)
                if close {
                    try? socket.sendAll(output)
                    lingeringClose(socket, buffer: chunk)
                    return
                }
            }
            if parser.takeContinueRequest() {
                output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
            }
            if !output.isEmpty {
                do { try socket.sendAll(output) } catch { return }
                output.removeAll(keepingCapacity: true)
            }
            // Wait for more bytes: the rest of a request (bounded by its deadline), or the next
            // request on an idle keep-alive connection.
            let partial = parser.hasPartialRequest
            let now = Clock.monotonicNanoseconds()
            if partial, requestDeadline == 0 {
                requestDeadline = now + UInt64(configuration.requestTimeoutMilliseconds) * 1_000_000
            }
            let waitMilliseconds =
                partial
                ? Int((requestDeadline > now ? requestDeadline - now : 0) / 1_000_000)
                : configuration.idleTimeoutMilliseconds
            let ready = (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: waitMilliseconds)) ?? false
            if !ready {
                if partial { fail(408, "request not received in time") }
                return
            }
            let count: Int
            do { count = try socket.receive(into: chunk) } catch { return }
            if count == 0 { return }  // the client closed (a half-received request is dropped)
            if !partial { requestDeadline = now + UInt64(configuration.requestTimeoutMilliseconds) * 1_000_000 }
            parser.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }

    /// Closes gracefully after an error response: stops sending, then reads and discards what the
    /// client still sends for a moment, so that closing does not reset the connection before the
    /// client has read the response.
    private func lingeringClose(_ socket: Socket, buffer: UnsafeMutableRawBufferPointer) {
        socket.shutdownWrite()
        let deadline = Clock.monotonicNanoseconds() + 2_000_000_000
        var drained = 0
        while drained < 64 * 1024 * 1024 {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline,
                (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: Int((deadline - now) / 1_000_000)))
                    == true,
                let n = try? socket.receive(into: buffer), n > 0
            else { return }
            drained += n
        }
    }
}
