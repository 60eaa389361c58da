/// An IPv4 or IPv6 socket address (address plus port), parsed and printed without the resolver.
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family and bytes.
    package enum Host: Hashable, Sendable {
        /// An IPv4 address, network byte order, `a.b.c.d` is `(a, b, c, d)`.
        case ipv4(UInt8, UInt8, UInt8, UInt8)
        /// An IPv6 address as 16 bytes, network byte order.
        case ipv6([UInt8])
    }

    /// The host part.
    package var host: Host
    /// The TCP port (host byte order).
    package var port: UInt16

    /// Creates an address from its parts.
    package init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses an IP literal (`127.0.0.1`, `::1`, `[::1]`) and a port; `nil` if `literal` is not one.
    package init?(ipLiteral literal: String, port: UInt16) {
        var text = literal
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let b = withUnsafeBytes(of: v4) { Array($0) }
            self.init(host: .ipv4(b[0], b[1], b[2], b[3]), port: port)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(host: .ipv6(withUnsafeBytes(of: v6) { Array($0) }), port: port)
            return
        }
        return nil
    }

    /// `127.0.0.1:port`.
    package static func loopbackIPv4(port: UInt16) -> SocketAddress {
        SocketAddress(host: .ipv4(127, 0, 0, 1), port: port)
    }

    /// `[::1]:port`.
    package static func loopbackIPv6(port: UInt16) -> SocketAddress {
        SocketAddress(host: .ipv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), port: port)
    }

    /// Resolves `name` to addresses: IP literals and `localhost` directly (no resolver, no
    /// `/etc/hosts` or DNS latency), any other name through `getaddrinfo(3)`.
    package static func resolve(_ name: String, port: UInt16) throws(Errno) -> [SocketAddress] {
        if let literal = SocketAddress(ipLiteral: name, port: port) { return [literal] }
        if name.lowercased() == "localhost" || name.lowercased() == "localhost." {
            return [.loopbackIPv4(port: port), .loopbackIPv6(port: port)]
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = system_SOCK_STREAM
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(name, String(port), &hints, &list)
        guard status == 0 else {
            throw status == EAI_SYSTEM ? Errno.current : Errno(rawValue: EHOSTUNREACH)
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let parsed = SocketAddress(address) {
                if !result.contains(parsed) { result.append(parsed) }
            }
            cursor = entry.pointee.ai_next
        }
        if result.isEmpty { throw Errno(rawValue: EHOSTUNREACH) }
        return result
    }

    /// Reads a `sockaddr_in`/`sockaddr_in6`; `nil` for other families.
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            let b = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
            self.init(host: .ipv4(b[0], b[1], b[2], b[3]), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self)
            self.init(
                host: .ipv6(withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }),
                port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    /// The address family (`AF_INET` or `AF_INET6`).
    package var family: Int32 {
        switch host {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        }
    }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch host {
        case .ipv4(let a, let b, let c, let d):
            var sin = sockaddr_in()
            #if canImport(Darwin)
            sin.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
            #endif
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { raw in
                raw[0] = a; raw[1] = b; raw[2] = c; raw[3] = d
            }
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let bytes):
            var sin6 = sockaddr_in6()
            #if canImport(Darwin)
            sin6.sin6_len = UInt8(MemoryLayout<sockaddr_in6>.size)
            #endif
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<min(16, bytes.count) { raw[i] = bytes[i] }
            }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// `127.0.0.1:4000` or `[::1]:4000`.
    package var description: String { "\(hostDescription):\(port)" }

    /// The host as text: `127.0.0.1` or `[::1]` (bracketed, ready for a URL).
    package var hostDescription: String {
        switch host {
        case .ipv4(let a, let b, let c, let d):
            return "\(a).\(b).\(c).\(d)"
        case .ipv6(let bytes):
            var addr = in6_addr()
            withUnsafeMutableBytes(of: &addr) { raw in
                for i in 0..<min(16, bytes.count) { raw[i] = bytes[i] }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            guard inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil else { return "[?]" }
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return "[\(text)]"
        }
    }

    /// Whether this is a loopback address (127.0.0.0/8 or ::1).
    package var isLoopback: Bool {
        switch host {
        case .ipv4(let a, _, _, _): return a == 127
        case .ipv6(let bytes): return bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        }
    }
}

/// A TCP socket: a typed wrapper over the BSD socket calls, in the manner of swift-system.
///
/// Like ``FileDescriptor`` it owns nothing: call ``close()`` exactly once. Calls retry on `EINTR`
/// and report failures as ``Errno``. Sends never raise `SIGPIPE` (`MSG_NOSIGNAL` on Linux,
/// `SO_NOSIGPIPE` on Darwin).
package struct Socket: Hashable, Sendable {
    /// The raw descriptor.
    package let rawValue: Int32

    /// Wraps a raw socket descriptor.
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// Creates a TCP stream socket for `family` (`AF_INET`/`AF_INET6`), close-on-exec.
    package static func tcp(family: Int32) throws(Errno) -> Socket {
        #if canImport(Darwin)
        let fd = try retryingOnInterrupt { Darwin.socket(family, SOCK_STREAM, 0) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let socket = Socket(rawValue: fd)
        try? socket.setOption(SOL_SOCKET, SO_NOSIGPIPE, 1)
        return socket
        #else
        let fd = try retryingOnInterrupt {
            Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        return Socket(rawValue: fd)
        #endif
    }

    /// Creates a listening socket bound to `address` (with `SO_REUSEADDR`); port 0 picks a free
    /// port, see ``localAddress()``.
    package static func listening(on address: SocketAddress, backlog: Int32 = 1024) throws(Errno) -> Socket {
        let socket = try Socket.tcp(family: address.family)
        do {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            if address.family == AF_INET6 { try socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            try socket.bind(to: address)
            _ = try retryingOnInterrupt { listen(socket.rawValue, backlog) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Binds to `address`.
    package func bind(to address: SocketAddress) throws(Errno) {
        let result = address.withSockAddr { pointer, length in
            system_bind(rawValue, pointer, length)
        }
        if result != 0 { throw Errno.current }
    }

    /// Accepts a connection; the new socket is close-on-exec (and `SO_NOSIGPIPE` on Darwin).
    package func accept() throws(Errno) -> Socket {
        #if canImport(Darwin)
        let fd = try retryingOnInterrupt { Darwin.accept(rawValue, nil, nil) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let socket = Socket(rawValue: fd)
        try? socket.setOption(SOL_SOCKET, SO_NOSIGPIPE, 1)
        return socket
        #else
        let fd = try retryingOnInterrupt { Glibc.accept(rawValue, nil, nil) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return Socket(rawValue: fd)
        #endif
    }

    /// Connects to `address`, failing with ``Errno/timedOut`` after `timeoutMilliseconds`
    /// (non-blocking connect plus `poll(2)`; the socket is blocking again afterwards).
    package func connect(to address: SocketAddress, timeoutMilliseconds: Int) throws(Errno) {
        let flags = fcntl(rawValue, F_GETFL, 0)
        _ = fcntl(rawValue, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(rawValue, F_SETFL, flags) }
        let result = address.withSockAddr { pointer, length in
            system_connect(rawValue, pointer, length)
        }
        if result == 0 { return }
        let error = Errno.current
        guard error == .inProgress || error == .interrupted else { throw error }
        guard try poll(events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) else {
            throw Errno.timedOut
        }
        var pending: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(rawValue, SOL_SOCKET, SO_ERROR, &pending, &length) != 0 { throw Errno.current }
        if pending != 0 { throw Errno(rawValue: pending) }
    }

    /// Waits until the socket is ready for `events` (`POLLIN`/`POLLOUT`); `false` on timeout.
    /// Error and hang-up conditions count as ready (the next call reports them).
    package func poll(events: Int16, timeoutMilliseconds: Int) throws(Errno) -> Bool {
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        while true {
            var entry = pollfd(fd: rawValue, events: events, revents: 0)
            let now = Clock.monotonicNanoseconds()
            let remaining = now >= deadline ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            let result = system_poll(&entry, 1, remaining)
            if result > 0 { return true }
            if result == 0 { return false }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// Receives at most `buffer.count` bytes; 0 means the peer closed its side.
    package func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { recv(rawValue, buffer.baseAddress, buffer.count, 0) }
    }

    /// Sends all of `bytes`, looping over short sends; never raises `SIGPIPE`.
    package func sendAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        guard let base = bytes.baseAddress else { return }
        while done < bytes.count {
            let n = try retryingOnInterrupt { send(rawValue, base + done, bytes.count - done, system_sendNoSignal) }
            done += n
        }
    }

    /// Sends all of `bytes`.
    package func sendAll(_ bytes: [UInt8]) throws(Errno) {
        let result: Result<Void, Errno> = bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try sendAll(buffer) }
        }
        try result.get()
    }

    /// Sets an integer socket option.
    package func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(Errno) {
        var value = value
        if setsockopt(rawValue, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw Errno.current
        }
    }

    /// Sets `SO_RCVTIMEO` (`receive`) or `SO_SNDTIMEO` (`send`); 0 means no timeout.
    package func setTimeout(receive: Bool, milliseconds: Int) throws(Errno) {
        var value = timeval()
        value.tv_sec = .init(milliseconds / 1000)
        value.tv_usec = .init((milliseconds % 1000) * 1000)
        let name = receive ? SO_RCVTIMEO : SO_SNDTIMEO
        if setsockopt(rawValue, SOL_SOCKET, name, &value, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            throw Errno.current
        }
    }

    /// Why ``dial(_:deadline:)`` made no connection: the last address tried (nil when the socket
    /// itself could not be made, or there was no address) and its error; `.timedOut` when the
    /// deadline ran out.
    package struct DialError: Error, Sendable {
        /// The last address tried.
        package var address: SocketAddress?
        /// Its error.
        package var errno: Errno
    }

    /// A connected TCP socket (no Nagle delay) to the first of `addresses` that answers, all tried
    /// within one monotonic `deadline` (ns).
    package static func dial(_ addresses: [SocketAddress], deadline: UInt64) throws(DialError) -> Socket {
        var last = DialError(address: nil, errno: Errno(rawValue: EHOSTUNREACH))
        for address in addresses {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { throw DialError(address: nil, errno: .timedOut) }
            let socket: Socket
            do {
                socket = try Socket.tcp(family: address.family)
            } catch {
                last = DialError(address: nil, errno: error)
                continue
            }
            do {
                try socket.connect(to: address, timeoutMilliseconds: Int((deadline - now) / 1_000_000))
                socket.setNoDelay()
                return socket
            } catch {
                socket.close()
                last = DialError(address: address, errno: error)
            }
        }
        throw last
    }

    /// Disables Nagle's algorithm (`TCP_NODELAY`), for request/response traffic.
    package func setNoDelay() {
        try? setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// The address this socket is bound to (the chosen port after binding port 0).
    package func localAddress() throws(Errno) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(rawValue, $0, &length) }
        }
        if result != 0 { throw Errno.current }
        let parsed = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        guard let parsed else { throw Errno(rawValue: EAFNOSUPPORT) }
        return parsed
    }

    /// Shuts down the sending side (`SHUT_WR`): the peer reads end of stream.
    package func shutdownWrite() {
        _ = system_shutdown(rawValue, system_SHUT_WR)
    }

    /// Shuts down both directions; a thread blocked in `accept`/`recv` on it wakes up.
    package func shutdownBoth() {
        _ = system_shutdown(rawValue, system_SHUT_RDWR)
    }

    /// The socket as a plain descriptor (for `read`/`write`-style calls and ``close()``).
    package var descriptor: FileDescriptor { FileDescriptor(rawValue: rawValue) }

    /// Closes the socket.
    package func close() { descriptor.close() }
}

extension Socket.DialError {
    /// Whether the deadline ran out (rather than a refusal or another error).
    package var isTimeout: Bool { errno == .timedOut }

    /// One line for the user about failing to connect to `target` (a `host:port`).
    package func message(connectingTo target: String) -> String {
        switch (address, errno) {
        case (nil, .timedOut): return "connecting to \(target) timed out"
        case (nil, let errno): return "socket: \(errno)"
        case (let address?, .timedOut): return "connecting to \(target) (\(address)) timed out"
        case (let address?, let errno): return "cannot connect to \(target) (\(address)): \(errno)"
        }
    }
}
