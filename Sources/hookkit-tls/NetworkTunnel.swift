#if canImport(Network)
// UNVERIFIED: this file was written on Linux, where it is never compiled; it has not been
// built or run on macOS. It mirrors OpenSSLTunnel's contract (exit statuses, one stderr line,
// stderr to /dev/null once ready, relay until either side closes) and must be built and
// exercised (swift test --filter TLS) on a Mac before it is relied on.
import Dispatch
import Foundation
import HookKit
import HookKitSystem
import Network
import Security

/// The macOS tunnel: `NWConnection` with TLS, relaying between stdin/stdout and the connection.
///
/// The server's certificate is checked by a verify block, so that a failure can be reported
/// as text: the SSL policy for the host name (or IP address), the system's anchors and, when
/// given, the CA file's certificates as extra anchors.
struct NetworkTunnel {
    let host: String
    let port: UInt16
    let timeoutMilliseconds: Int
    let caFile: String?

    /// State shared with Network.framework's callbacks (all on `queue`, or before/after them).
    private final class Shared: @unchecked Sendable {
        var anchors: [SecCertificate] = []
        var failure: TunnelFailure?
        var verifyError: String?
        var connection: NWConnection?
    }

    /// Connects, verifies and relays until either side closes. Returns normally when the tunnel
    /// ended cleanly; throws when it could not be set up or broke.
    func run() throws(TunnelFailure) {
        guard let nwPort = NWEndpoint.Port(rawValue: port) else { throw .usage("invalid PORT \(port)") }
        let queue = DispatchQueue(label: "hookkit-tls")
        let shared = Shared()
        if let caFile { shared.anchors = try loadAnchors(caFile) }
        let host = self.host

        let tls = NWProtocolTLS.Options()
        let security = tls.securityProtocolOptions
        sec_protocol_options_set_min_tls_protocol_version(security, .TLSv12)
        if SocketAddress(ipLiteral: host, port: port) == nil {
            sec_protocol_options_set_tls_server_name(security, host)
        }
        sec_protocol_options_set_verify_block(
            security,
            { _, trustRef, complete in
                let trust = sec_trust_copy_ref(trustRef).takeRetainedValue()
                SecTrustSetPolicies(trust, SecPolicyCreateSSL(true, host as CFString))
                if !shared.anchors.isEmpty {
                    SecTrustSetAnchorCertificates(trust, shared.anchors as CFArray)
                    SecTrustSetAnchorCertificatesOnly(trust, false)  // the system's anchors too
                }
                var error: CFError?
                let trusted = SecTrustEvaluateWithError(trust, &error)
                if !trusted {
                    shared.verifyError = error.map { CFErrorCopyDescription($0) as String } ?? "not trusted"
                }
                complete(trusted)
            }, queue)
        let tcp = NWProtocolTCP.Options()
        tcp.noDelay = true
        tcp.connectionTimeout = max(1, (timeoutMilliseconds + 999) / 1000)
        let connection = NWConnection(
            host: NWEndpoint.Host(host), port: nwPort, using: NWParameters(tls: tls, tcp: tcp))
        shared.connection = connection

        let settled = DispatchSemaphore(value: 0)
        connection.stateUpdateHandler = { state in
            switch state {
            case .ready:
                settled.signal()
            case .waiting(let error), .failed(let error):
                // `waiting` (refused, no route, no DNS answer) would retry forever: give up.
                if shared.failure == nil { shared.failure = describe(error, verifyError: shared.verifyError) }
                settled.signal()
            default:
                break
            }
        }
        connection.start(queue: queue)
        if settled.wait(timeout: .now() + .milliseconds(timeoutMilliseconds)) == .timedOut {
            connection.cancel()
            throw .timeout("TLS connection to \(host):\(port) timed out")
        }
        if let failure = queue.sync(execute: { shared.failure }) {
            connection.cancel()
            throw failure
        }
        TunnelIO.signalReady()
        try relay(connection, queue: queue, shared: shared)
    }

    private func relay(_ connection: NWConnection, queue: DispatchQueue, shared: Shared) throws(TunnelFailure) {
        let finished = DispatchSemaphore(value: 0)
        // Server → client: one receive at a time, each written out before the next.
        @Sendable func receiveNext() {
            connection.receive(minimumIncompleteLength: 1, maximumLength: 64 * 1024) {
                data, _, isComplete, error in
                if let data, !data.isEmpty {
                    let written = data.withUnsafeBytes { (try? FileDescriptor.standardOutput.writeAll($0)) != nil }
                    if !written {
                        finished.signal()  // the client went away
                        return
                    }
                }
                if let error {
                    shared.failure = .relay("TLS connection to \(host):\(port) failed: \(error)")
                    finished.signal()
                } else if isComplete {
                    shutdown(1, SHUT_WR)
                    finished.signal()
                } else {
                    receiveNext()
                }
            }
        }
        receiveNext()
        // Client → server: blocking reads on a thread of its own, each send awaited.
        let clientSide: @Sendable () -> Void = {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            let sent = DispatchSemaphore(value: 0)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    // The client closed the stream (not just its sending side): leave.
                    if clientHungUp() { finished.signal() }
                    return
                }
                connection.send(
                    content: Data(buffer[0..<count]),
                    completion: .contentProcessed { error in
                        if let error, shared.failure == nil {
                            shared.failure = .relay("sending to \(host):\(port) failed: \(error)")
                        }
                        sent.signal()
                    })
                sent.wait()
                if queue.sync(execute: { shared.failure }) != nil {
                    finished.signal()
                    return
                }
            }
        }
        do {
            try DetachedThread.start(clientSide)
        } catch {
            connection.cancel()
            throw .setup("cannot start the relay thread: \(error)")
        }
        finished.wait()
        let failure = queue.sync { shared.failure }
        connection.cancel()
        if let failure { throw failure }
    }

    private func describe(_ error: NWError, verifyError: String?) -> TunnelFailure {
        switch error {
        case .dns(let code):
            return .resolve("cannot resolve \(host) (DNS error \(code))")
        case .posix(let code):
            if code == .ETIMEDOUT { return .timeout("connecting to \(host):\(port) timed out") }
            return .connect("cannot connect to \(host):\(port): \(Errno(rawValue: code.rawValue))")
        case .tls(let status):
            if let verifyError { return .tls("certificate verify failed: \(verifyError) (host \(host))") }
            let text = (SecCopyErrorMessageString(status, nil) as String?) ?? "OSStatus \(status)"
            return .tls("TLS handshake with \(host):\(port) failed: \(text)")
        @unknown default:
            return .connect("cannot connect to \(host):\(port): \(error)")
        }
    }

    /// The certificates of a PEM file, for use as extra trust anchors.
    private func loadAnchors(_ path: String) throws(TunnelFailure) -> [SecCertificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .setup("cannot load CA file \(path) (CLAUDE_OBSERVABILITY_CA_FILE): unreadable")
        }
        let text = String(decoding: data, as: UTF8.self)
        var certificates: [SecCertificate] = []
        var rest = Substring(text)
        let begin = "-----BEGIN CERTIFICATE-----"
        let end = "-----END CERTIFICATE-----"
        while let start = rest.range(of: begin),
            let stop = rest.range(of: end, range: start.upperBound..<rest.endIndex)
        {
            let body = rest[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
            if let der = Base64.decode(body),
                let certificate = SecCertificateCreateWithData(nil, Data(der) as CFData)
            {
                certificates.append(certificate)
            }
            rest = rest[stop.upperBound...]
        }
        guard !certificates.isEmpty else {
            throw .setup("cannot load CA file \(path) (CLAUDE_OBSERVABILITY_CA_FILE): no PEM certificate in it")
        }
        return certificates
    }

    /// Whether the client closed the stream entirely (`POLLHUP`) rather than only its sending
    /// side, as a shell pipe does.
    private func clientHungUp() -> Bool {
        var entry = pollfd(fd: 1, events: 0, revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & Int16(POLLHUP | POLLERR) != 0
    }
}
#endif
