#if canImport(Glibc)
import HookKit
import HookKitSystem

/// The Linux tunnel: TCP plus OpenSSL (loaded at run time), relaying between stdin/stdout and
/// the TLS session.
///
/// The TCP socket and the local stream are non-blocking and every wait is one `poll(2)` over
/// both, so neither direction can hold up the other: TLS 1.3 session tickets arriving while the
/// request is still on stdin, a full pipe toward the client, or a renegotiation (`SSL_write`
/// wanting to read) all just wait for their descriptor. Each direction has one buffer: nothing
/// more is read from a side until the other side took what was read before.
struct OpenSSLTunnel {
    let host: String
    let port: UInt16
    let timeoutMilliseconds: Int
    let caFile: String?

    /// Connects, verifies and relays until either side closes. Returns normally when the tunnel
    /// ended cleanly; throws when it could not be set up or broke.
    func run() throws(TunnelFailure) {
        let ssl = try OpenSSL.load()
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(1, timeoutMilliseconds)) * 1_000_000
        guard let context = ssl.SSL_CTX_new(ssl.TLS_client_method()) else {
            throw .setup("SSL_CTX_new failed: \(ssl.takeErrors() ?? "no detail")")
        }
        defer { ssl.SSL_CTX_free(context) }
        _ = ssl.SSL_CTX_ctrl(context, OpenSSL.SSL_CTRL_SET_MIN_PROTO_VERSION, OpenSSL.TLS1_2_VERSION, nil)
        _ = ssl.SSL_CTX_ctrl(
            context, OpenSSL.SSL_CTRL_MODE,
            OpenSSL.SSL_MODE_ENABLE_PARTIAL_WRITE | OpenSSL.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, nil)
        // The system's CAs (OpenSSL's default file and folder, or SSL_CERT_FILE/SSL_CERT_DIR);
        // a failure here only means there is no default store, which the CA file may make up for.
        _ = ssl.SSL_CTX_set_default_verify_paths(context)
        ssl.ERR_clear_error()
        if let caFile {
            guard ssl.SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                let detail = ssl.takeErrors() ?? "unreadable"
                throw .setup("cannot load CA file \(caFile) (CLAUDE_OBSERVABILITY_CA_FILE): \(detail)")
            }
        }
        ssl.SSL_CTX_set_verify(context, OpenSSL.SSL_VERIFY_PEER, nil)

        let socket = try TCPDial.connect(host: host, port: port, deadline: deadline)
        defer { socket.close() }
        setNonBlocking(socket.rawValue)
        guard let session = ssl.SSL_new(context) else {
            throw .setup("SSL_new failed: \(ssl.takeErrors() ?? "no detail")")
        }
        defer { ssl.SSL_free(session) }
        _ = ssl.SSL_set_fd(session, socket.rawValue)
        if SocketAddress(ipLiteral: host, port: port) != nil {
            // An IP address: checked against the certificate's IP SANs, and no SNI (RFC 6066).
            guard ssl.X509_VERIFY_PARAM_set1_ip_asc(ssl.SSL_get0_param(session), host) == 1 else {
                throw .setup("cannot check the certificate for IP address \(host)")
            }
        } else {
            let sniSet = host.withCString { name in
                ssl.SSL_ctrl(
                    session, OpenSSL.SSL_CTRL_SET_TLSEXT_HOSTNAME, OpenSSL.TLSEXT_NAMETYPE_host_name,
                    UnsafeMutableRawPointer(mutating: name))
            }
            guard sniSet == 1, ssl.SSL_set1_host(session, host) == 1 else {
                throw .setup("cannot set the expected host name \(host): \(ssl.takeErrors() ?? "rejected")")
            }
        }
        try handshake(ssl, session, socket.rawValue, deadline: deadline)
        TunnelIO.signalReady()
        try relay(ssl, session, socket.rawValue)
    }

    private func handshake(
        _ ssl: OpenSSL, _ session: OpenSSL.Object, _ fd: Int32, deadline: UInt64
    ) throws(TunnelFailure) {
        while true {
            ssl.ERR_clear_error()
            let result = ssl.SSL_connect(session)
            if result == 1 { return }
            let error = ssl.SSL_get_error(session, result)
            let savedErrno = errno
            let events: Int16
            switch error {
            case OpenSSL.SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case OpenSSL.SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            default:
                let verify = ssl.SSL_get_verify_result(session)
                if verify != OpenSSL.X509_V_OK {
                    throw .tls("certificate verify failed: \(ssl.verifyErrorText(verify)) (host \(host))")
                }
                if let detail = ssl.takeErrors() {
                    throw .tls("TLS handshake with \(host):\(port) failed: \(detail)")
                }
                if error == OpenSSL.SSL_ERROR_SYSCALL, savedErrno != 0 {
                    throw .tls("TLS handshake with \(host):\(port) failed: \(Errno(rawValue: savedErrno))")
                }
                throw .tls("TLS handshake with \(host):\(port) failed: the server closed the connection")
            }
            let now = Clock.monotonicNanoseconds()
            guard now < deadline,
                wait(fd, events, timeoutMilliseconds: Int32(clamping: (deadline - now) / 1_000_000 + 1))
            else {
                throw .timeout("TLS handshake with \(host):\(port) timed out")
            }
        }
    }

    /// What an SSL call that could not finish is waiting for.
    private enum Blocked {
        case no, onRead, onWrite

        var events: Int16 {
            switch self {
            case .no: 0
            case .onRead: Int16(POLLIN)
            case .onWrite: Int16(POLLOUT)
            }
        }
    }

    private func relay(_ ssl: OpenSSL, _ session: OpenSSL.Object, _ fd: Int32) throws(TunnelFailure) {
        let local: Int32 = 0  // stdin and stdout: the same socket
        setNonBlocking(local)
        setNonBlocking(1)
        let toServer = RelayBuffer()
        let toClient = RelayBuffer()
        var clientOpen = true
        var serverOpen = true
        var readBlocked = Blocked.no
        var writeBlocked = Blocked.no
        while true {
            var progressed = true
            while progressed {
                progressed = false
                // Server → client.
                if !toClient.isEmpty {
                    let pending = toClient.pending
                    let n = write(1, pending.baseAddress, pending.count)
                    if n > 0 {
                        toClient.consumed(n)
                        progressed = true
                    } else if n < 0, errno != EAGAIN, errno != EINTR {
                        return  // the client went away: nothing left to deliver
                    }
                }
                if toClient.isEmpty, serverOpen {
                    ssl.ERR_clear_error()
                    let n = ssl.SSL_read(session, toClient.storage.baseAddress, Int32(toClient.storage.count))
                    if n > 0 {
                        toClient.filled(Int(n))
                        readBlocked = .no
                        progressed = true
                    } else {
                        switch ssl.SSL_get_error(session, n) {
                        case OpenSSL.SSL_ERROR_WANT_READ: readBlocked = .onRead
                        case OpenSSL.SSL_ERROR_WANT_WRITE: readBlocked = .onWrite
                        case OpenSSL.SSL_ERROR_ZERO_RETURN:
                            serverOpen = false
                        case let error:
                            // A server that just closes its socket (no close_notify) ends the
                            // stream too; HTTP framing tells the client whether it was complete.
                            let detail = ssl.takeErrors()
                            serverOpen = false
                            if error == OpenSSL.SSL_ERROR_SSL, let detail, !detail.contains("unexpected eof") {
                                throw .relay("TLS connection to \(host):\(port) failed: \(detail)")
                            }
                        }
                    }
                }
                // Client → server.
                if toServer.isEmpty, clientOpen {
                    let n = read(local, toServer.storage.baseAddress, toServer.storage.count)
                    if n > 0 {
                        toServer.filled(n)
                        progressed = true
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        clientOpen = false
                    }
                }
                if !toServer.isEmpty {
                    ssl.ERR_clear_error()
                    let pending = toServer.pending
                    let n = ssl.SSL_write(session, pending.baseAddress, Int32(clamping: pending.count))
                    if n > 0 {
                        toServer.consumed(Int(n))
                        writeBlocked = .no
                        progressed = true
                    } else {
                        switch ssl.SSL_get_error(session, n) {
                        case OpenSSL.SSL_ERROR_WANT_READ: writeBlocked = .onRead
                        case OpenSSL.SSL_ERROR_WANT_WRITE: writeBlocked = .onWrite
                        default:
                            let detail = ssl.takeErrors() ?? "the server closed the connection"
                            throw .relay("sending to \(host):\(port) failed: \(detail)")
                        }
                    }
                }
            }
            if !clientOpen, toServer.isEmpty, clientHungUp() {
                // The client closed the connection (not just its sending side, as a shell pipe
                // does): say goodbye to the server, best effort, and leave.
                _ = ssl.SSL_shutdown(session)
                return
            }
            if !serverOpen, toClient.isEmpty {
                shutdown(1, Int32(SHUT_WR))
                return
            }
            var entries: [pollfd] = []
            if clientOpen, toServer.isEmpty { entries.append(pollfd(fd: local, events: Int16(POLLIN), revents: 0)) }
            if !toClient.isEmpty || !clientOpen {
                // With no events asked for, poll still reports the client hanging up.
                entries.append(pollfd(fd: 1, events: toClient.isEmpty ? 0 : Int16(POLLOUT), revents: 0))
            }
            var tlsEvents: Int16 = 0
            if serverOpen, toClient.isEmpty { tlsEvents |= readBlocked.events }
            if !toServer.isEmpty { tlsEvents |= writeBlocked.events }
            // Without events the TLS socket is left out: a hang-up would otherwise wake us forever.
            if tlsEvents != 0 { entries.append(pollfd(fd: fd, events: tlsEvents, revents: 0)) }
            let result = poll(&entries, nfds_t(entries.count), -1)
            if result < 0, errno != EINTR {
                throw .relay("poll: \(Errno.current)")
            }
        }
    }

    /// Whether the client closed the stream entirely: a socket whose peer is closed reports
    /// `POLLHUP` (after a mere `shutdown(SHUT_WR)` it does not), a pipe with no reader `POLLERR`.
    private func clientHungUp() -> Bool {
        var entry = pollfd(fd: 1, events: 0, revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & Int16(POLLHUP | POLLERR) != 0
    }

    private func wait(_ fd: Int32, _ events: Int16, timeoutMilliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let result = poll(&entry, 1, timeoutMilliseconds)
            if result >= 0 { return result > 0 }
            if errno != EINTR { return false }
        }
    }

    private func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL, 0)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }
}
#endif
