import HookKitSystem

/// Why an HTTP exchange failed (no response was received).
package struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; all are worth retrying later except ``Kind/protocolViolation``.
    package enum Kind: Sendable, Equatable {
        /// The host name could not be resolved.
        case resolve
        /// No connection could be made (refused, unreachable).
        case connect
        /// Connecting or the whole exchange took longer than allowed.
        case timeout
        /// The connection failed or was closed before the response was complete.
        case connectionLost
        /// The server's response was not valid HTTP/1.x, or too large.
        case protocolViolation
    }

    /// What went wrong.
    package var kind: Kind
    /// A human-readable detail.
    package var message: String

    /// Creates an error.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `connect: Connection refused`.
    package var description: String { "\(kind): \(message)" }
}

/// Settings of an ``HTTPClient``.
package struct HTTPClientConfiguration: Sendable, Equatable {
    /// Time allowed to establish a connection (all addresses together).
    package var connectTimeoutMilliseconds: Int
    /// Time allowed for a whole exchange: connecting, sending and receiving the response.
    package var requestTimeoutMilliseconds: Int
    /// Idle keep-alive connections kept for reuse.
    package var maxIdleConnections: Int
    /// Largest response body accepted.
    package var maxResponseBodyBytes: Int

    /// Defaults: 2 s connect, 10 s per request, 4 idle connections, 16 MiB responses.
    package init(
        connectTimeoutMilliseconds: Int = 2_000, requestTimeoutMilliseconds: Int = 10_000,
        maxIdleConnections: Int = 4, maxResponseBodyBytes: Int = 16 * 1024 * 1024
    ) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maxIdleConnections = maxIdleConnections
        self.maxResponseBodyBytes = maxResponseBodyBytes
    }
}

/// An HTTP/1.1 client for one server, with keep-alive connection reuse.
///
/// It connects over plain TCP, or through its ``connector`` when it has one: an `https://`
/// endpoint gets a ``TLSTunnel`` by default, so TLS never runs in this process.
///
/// It resolves IP literals and `localhost` itself (no resolver latency, nothing that needs the
/// dynamic loader in a static executable) and any other name with `getaddrinfo(3)`. Connect and
/// whole-request deadlines are enforced with `poll(2)`. Responses framed by `Content-Length`,
/// `chunked` or the end of the connection are read. When a reused keep-alive connection turns
/// out to be closed before any byte of the response arrived, the request is sent once more on a
/// new connection (the server closed it while idle); callers that must not repeat a request
/// should make it idempotent, as HookKit's events are by `event_uuid`. Safe to use from several
/// threads.
package final class HTTPClient: Sendable {
    /// The server.
    package let endpoint: HTTPEndpoint
    /// The settings.
    package let configuration: HTTPClientConfiguration
    /// How connections are opened; `nil` means a direct TCP connection.
    package let connector: (any HTTPConnector)?
    private let idle = Locked<[Socket]>([])

    /// A client for `endpoint`. Without a `connector` it connects over TCP, or through a
    /// ``TLSTunnel`` with the default helper when the endpoint is `https://`.
    package init(
        endpoint: HTTPEndpoint, configuration: HTTPClientConfiguration = HTTPClientConfiguration(),
        connector: (any HTTPConnector)? = nil
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.connector = connector ?? (endpoint.isTLS ? TLSTunnel() : nil)
    }

    /// A client for `host:port`.
    package convenience init(
        host: String, port: UInt16, configuration: HTTPClientConfiguration = HTTPClientConfiguration()
    ) {
        self.init(endpoint: HTTPEndpoint(host: host, port: port), configuration: configuration)
    }

    deinit {
        closeIdleConnections()
    }

    /// Closes the kept-alive connections.
    package func closeIdleConnections() {
        let sockets = idle.withLock { pool -> [Socket] in
            defer { pool.removeAll() }
            return pool
        }
        for socket in sockets { socket.close() }
    }

    /// Sends `POST basePath+path` with `body` and returns the response.
    package func post(_ path: String, body: [UInt8], headers: HTTPHeaders = [:]) throws(HTTPClientError) -> HTTPResponse
    {
        var all = headers
        if all["Content-Type"] == nil { all.add("Content-Type", "application/json") }
        return try send(HTTPRequest(method: "POST", target: path, headers: all, body: body))
    }

    /// Sends `GET basePath+path` and returns the response.
    package func get(_ path: String, headers: HTTPHeaders = [:]) throws(HTTPClientError) -> HTTPResponse {
        try send(HTTPRequest(method: "GET", target: path, headers: headers))
    }

    /// Sends `request` (its target is appended to the endpoint's base path; `Host` and
    /// `Content-Length` are added) and returns the response, whatever its status.
    package func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        let deadline =
            Clock.monotonicNanoseconds() + UInt64(max(0, configuration.requestTimeoutMilliseconds)) * 1_000_000
        let bytes = serialize(request)
        if let socket = takeIdleConnection() {
            switch exchange(socket, bytes, method: request.method, deadline: deadline) {
            case .success(let response):
                return response
            case .failure(.staleConnection):
                break  // the server closed it while it was idle: try a new connection
            case .failure(.failed(let error)):
                throw error
            }
        }
        let socket = try openConnection(deadline: deadline)
        switch exchange(socket, bytes, method: request.method, deadline: deadline) {
        case .success(let response):
            return response
        case .failure(.staleConnection):
            throw HTTPClientError(.connectionLost, "connection closed before the response")
        case .failure(.failed(let error)):
            throw error
        }
    }

    private enum ExchangeFailure: Error {
        case staleConnection
        case failed(HTTPClientError)
    }

    private func serialize(_ request: HTTPRequest) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + request.body.count)
        let target = request.target.hasPrefix("/") ? request.target : "/" + request.target
        out.append(contentsOf: "\(request.method) \(endpoint.basePath)\(target) HTTP/1.1\r\n".utf8)
        if request.headers["Host"] == nil { out.append(contentsOf: "Host: \(endpoint.hostHeader)\r\n".utf8) }
        for (name, value) in request.headers where !HTTPHeaders.equalNames(name, "Content-Length") {
            out.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            out.append(contentsOf: "Content-Length: \(request.body.count)\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: request.body)
        return out
    }

    private func takeIdleConnection() -> Socket? {
        while let socket = idle.withLock({ $0.popLast() }) {
            // An idle connection must have nothing to read; readable means closed or garbage.
            if (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: 0)) == false { return socket }
            socket.close()
        }
        return nil
    }

    /// A new connection through the connector, or over TCP when there is none.
    private func openConnection(deadline: UInt64) throws(HTTPClientError) -> Socket {
        guard let connector else { return try connect(deadline: deadline) }
        let now = Clock.monotonicNanoseconds()
        let connectDeadline = min(deadline, now + UInt64(max(0, configuration.connectTimeoutMilliseconds)) * 1_000_000)
        guard now < connectDeadline else { throw HTTPClientError(.timeout, "connecting to \(endpoint) timed out") }
        return try connector.connect(to: endpoint, timeoutMilliseconds: Int((connectDeadline - now) / 1_000_000))
    }

    private func connect(deadline: UInt64) throws(HTTPClientError) -> Socket {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(endpoint.host, port: endpoint.port)
        } catch {
            throw HTTPClientError(.resolve, "cannot resolve \(endpoint.host): \(error)")
        }
        let connectDeadline = min(
            deadline,
            Clock.monotonicNanoseconds() + UInt64(max(0, configuration.connectTimeoutMilliseconds)) * 1_000_000)
        guard !addresses.isEmpty else { throw HTTPClientError(.connect, "no address for \(endpoint.host)") }
        do {
            return try Socket.dial(addresses, deadline: connectDeadline)
        } catch {
            throw HTTPClientError(
                error.isTimeout ? .timeout : .connect, error.message(connectingTo: "\(endpoint.host):\(endpoint.port)"))
        }
    }

    /// Sends the request and reads the response; puts the connection back when it can be reused.
    private func exchange(
        _ socket: Socket, _ bytes: [UInt8], method: String, deadline: UInt64
    ) -> Result<HTTPResponse, ExchangeFailure> {
        var received = 0
        func fail(_ kind: HTTPClientError.Kind, _ message: String) -> Result<HTTPResponse, ExchangeFailure> {
            socket.close()
            if received == 0, kind == .connectionLost { return .failure(.staleConnection) }
            return .failure(.failed(HTTPClientError(kind, message)))
        }
        func remainingMilliseconds() -> Int {
            let now = Clock.monotonicNanoseconds()
            return now >= deadline ? 0 : Int((deadline - now) / 1_000_000) + 1
        }
        do {
            try socket.setTimeout(receive: false, milliseconds: max(1, remainingMilliseconds()))
            try socket.sendAll(bytes)
        } catch {
            if error == .wouldBlock || error == .timedOut { return fail(.timeout, "sending the request timed out") }
            return fail(.connectionLost, "send: \(error)")
        }
        var parser = HTTPResponseParser(requestMethod: method, maxBodyBytes: configuration.maxResponseBodyBytes)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            do {
                if let response = try parser.next() {
                    if parser.connectionReusable, !response.headers.contains("Connection", token: "close") {
                        let kept = idle.withLock { pool -> Bool in
                            guard pool.count < configuration.maxIdleConnections else { return false }
                            pool.append(socket)
                            return true
                        }
                        if !kept { socket.close() }
                    } else {
                        socket.close()
                    }
                    return .success(response)
                }
            } catch {
                return fail(.protocolViolation, "invalid response: \(error.reason)")
            }
            let wait = remainingMilliseconds()
            guard wait > 0, (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: wait)) == true else {
                return fail(.timeout, "no complete response in time")
            }
            let count: Int
            do { count = try socket.receive(into: chunk) } catch {
                return fail(.connectionLost, "receive: \(error)")
            }
            if count == 0 {
                do {
                    let response = try parser.finish()
                    socket.close()
                    return .success(response)
                } catch {
                    return fail(.connectionLost, "connection closed before the response was complete")
                }
            }
            received += count
            parser.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }
}
