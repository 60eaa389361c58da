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
    /// Connections served at once; past it a connection only gets `GET /healthz` answered (see
    /// ``HTTPServer``), anything else 503.
    package var maxConnections: Int
    /// Connections served at once from one client address; past it the same as past
    /// ``maxConnections``, so that one client cannot take every slot.
    package var maxConnectionsPerClient: Int
    /// Time a new connection has to send its first byte: one that sends nothing gives its slot
    /// back soon rather than after the idle timeout.
    package var firstByteTimeoutMilliseconds: Int
    /// Request bodies buffered at once across all connections, counted by their declared length
    /// (the body limit for chunked ones); a request that would go past it is answered 503 with
    /// `Retry-After` before its body is read.
    package var maxBufferedBodyBytes: Int

    /// Defaults: 10 s per request, 60 s idle, 10 s send, 1024 connections (256 per client
    /// address), 5 s to the first byte, 64 MiB of bodies buffered.
    package init(
        address: SocketAddress,
        limits: HTTPRequestLimits = HTTPRequestLimits(),
        requestTimeoutMilliseconds: Int = 10_000,
        idleTimeoutMilliseconds: Int = 60_000,
        sendTimeoutMilliseconds: Int = 10_000,
        maxConnections: Int = 1024,
        maxConnectionsPerClient: Int = 256,
        firstByteTimeoutMilliseconds: Int = 5_000,
        maxBufferedBodyBytes: Int = 64 << 20
    ) {
        self.address = address
        self.limits = limits
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.sendTimeoutMilliseconds = sendTimeoutMilliseconds
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.firstByteTimeoutMilliseconds = firstByteTimeoutMilliseconds
        self.maxBufferedBodyBytes = maxBufferedBodyBytes
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
///
/// Bounded against clients that hold resources without doing useful work: a new connection must
/// send within ``HTTPServerConfiguration/firstByteTimeoutMilliseconds``; the head of a request
/// with a body goes to the head check (a signature check, say) and must fit the buffered-bytes
/// budget before any of its body is read; connections past the global or per-client cap are
/// still accepted by a few overflow threads that answer `GET /healthz` (and 503 to anything
/// else), so the server's health stays observable under a flood.
package final class HTTPServer: Sendable {
    /// A request handler: called once per complete request, on the connection's thread.
    package typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Looks at the head of a request with a body before the body is read: nil to go on, or the
    /// answer that refuses it (the connection is closed after it).
    package typealias HeadCheck = @Sendable (HTTPRequest) -> HTTPResponse?

    /// Connections past the caps that are still read for a `GET /healthz`.
    static let overflowLimit = 32

    /// The configuration it was started with.
    package let configuration: HTTPServerConfiguration
    /// The address it listens on (with the real port when port 0 was asked for).
    package let address: SocketAddress
    private let listener: Socket
    private let handler: Handler
    private let headCheck: HeadCheck?
    private let state = Locked(State())

    private struct State {
        var connections = 0
        var stopped = false
        var open: Set<Int32> = []
        var perClient: [SocketAddress.Host: Int] = [:]
        var overflow = 0
        var bufferedBodyBytes = 0
    }

    /// Binds and listens (so the port is known and taken when this returns); call ``run()`` or
    /// ``start()`` to accept connections.
    package init(
        configuration: HTTPServerConfiguration, headCheck: HeadCheck? = nil, handler: @escaping Handler
    ) throws(Errno) {
        #if canImport(Glibc)
        signal(SIGPIPE, SIG_IGN)  // belt and braces: sends use MSG_NOSIGNAL
        #endif
        self.configuration = configuration
        self.handler = handler
        self.headCheck = headCheck
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
            let peer = try? client.peerAddress().host
            let admission = state.withLock { state -> Admission in
                guard !state.stopped else { return .refused }
                let fromPeer = peer.map { state.perClient[$0, default: 0] } ?? 0
                if state.connections < configuration.maxConnections, fromPeer < configuration.maxConnectionsPerClient {
                    state.connections += 1
                    if let peer { state.perClient[peer, default: 0] += 1 }
                    state.open.insert(client.rawValue)
                    return .served
                }
                guard state.overflow < HTTPServer.overflowLimit else { return .refused }
                state.overflow += 1
                state.open.insert(client.rawValue)
                return .overflow
            }
            if admission == .refused {
                refuseBusy(client)
                continue
            }
            let finished: @Sendable () -> Void = { [self] in
                state.withLock {
                    if admission == .served {
                        $0.connections -= 1
                        if let peer {
                            $0.perClient[peer, default: 1] -= 1
                            if $0.perClient[peer] == 0 { $0.perClient[peer] = nil }
                        }
                    } else {
                        $0.overflow -= 1
                    }
                    $0.open.remove(client.rawValue)
                }
                client.close()
            }
            do {
                try DetachedThread.start(stackSize: 512 * 1024) { [self] in
                    if admission == .served { serve(client) } else { serveOverflow(client) }
                    finished()
                }
            } catch {
                finished()
            }
        }
    }

    private enum Admission: Sendable { case served, overflow, refused }

    /// 503 and close, for a connection past every cap.
    private func refuseBusy(_ client: Socket) {
        var out: [UInt8] = []
        var response = HTTPServer.errorResponse(503, "too many connections")
        response.headers.set("Retry-After", "1")
        response.serialize(close: true, into: &out)
        try? client.setTimeout(receive: false, milliseconds: 100)
        try? client.sendAll(out)
        client.close()
    }

    /// A connection past the caps: one request, read within a second, and answered only if it is
    /// `GET /healthz` (the handler's answer); anything else gets 503.
    private func serveOverflow(_ socket: Socket) {
        socket.setNoDelay()
        try? socket.setTimeout(receive: false, milliseconds: 1000)
        var parser = HTTPRequestParser(
            limits: HTTPRequestLimits(maxHeaderBytes: 4096, maxHeaderCount: 32, maxBodyBytes: 0))
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { chunk.deallocate() }
        let deadline = Clock.monotonicNanoseconds() + 1_000_000_000
        var response = HTTPServer.errorResponse(503, "too many connections")
        response.headers.set("Retry-After", "1")
        while true {
            do {
                if let request = try parser.next() {
                    if request.method == "GET", request.path == "/healthz" { response = handler(request) }
                    break
                }
            } catch {
                break  // a request with a body, or a bad one: the 503
            }
            let now = Clock.monotonicNanoseconds()
            let wait = Int((deadline - min(now, deadline)) / 1_000_000)
            guard now < deadline, (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: wait)) == true,
                let count = try? socket.receive(into: chunk), count > 0
            else { return }
            parser.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
        var out: [UInt8] = []
        response.serialize(close: true, into: &out)
        try? socket.sendAll(out)
        socket.shutdownWrite()
    }

    /// Takes `bytes` from the buffered-bytes budget; false when they do not fit.
    private func reserve(_ bytes: Int) -> Bool {
        state.withLock { state in
            guard state.bufferedBodyBytes + bytes <= configuration.maxBufferedBodyBytes else { return false }
            state.bufferedBodyBytes += bytes
            return true
        }
    }

    private func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        state.withLock { $0.bufferedBodyBytes -= bytes }
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
        parser.checksHeads = true
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        var requestDeadline: UInt64 = 0
        var received = false  // any byte yet: before it, the first-byte timeout applies
        var reserved = 0  // this request's share of the buffered-bytes budget
        defer { release(reserved) }

        func fail(_ response: HTTPResponse) {
            response.serialize(close: true, into: &output)
            try? socket.sendAll(output)
            lingeringClose(socket, buffer: chunk)
        }
        func fail(_ status: Int, _ reason: String) {
            fail(HTTPServer.errorResponse(status, reason))
        }

        while true {
            // Answer every complete request already buffered (pipelining), then send once.
            while true {
                let request: HTTPRequest
                do {
                    guard let next = try parser.next() else {
                        // The head of a request with a body: checked, and given room, before
                        // any of the body is taken in.
                        guard let head = parser.takeHeadToCheck() else { break }
                        if let refusal = headCheck?(head) {
                            fail(refusal)
                            return
                        }
                        let size = parser.declaredBodyLength ?? configuration.limits.maxBodyBytes
                        guard reserve(size) else {
                            var busy = HTTPServer.errorResponse(503, "too many request bytes in flight; retry")
                            busy.headers.set("Retry-After", "1")
                            fail(busy)
                            return
                        }
                        reserved = size
                        continue
                    }
                    request = next
                } catch {
                    fail(error.status, error.reason)
                    return
                }
                requestDeadline = 0
                let response = handler(request)
                release(reserved)
                reserved = 0
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
                : received
                    ? configuration.idleTimeoutMilliseconds
                    : min(configuration.firstByteTimeoutMilliseconds, configuration.idleTimeoutMilliseconds)
            let ready = (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: waitMilliseconds)) ?? false
            if !ready {
                if partial { fail(408, "request not received in time") }
                return
            }
            let count: Int
            do { count = try socket.receive(into: chunk) } catch { return }
            if count == 0 { return }  // the client closed (a half-received request is dropped)
            received = true
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
