import HookKitSystem

/// Why the tunnel could not be set up or broke: one line for stderr and the exit status.
///
/// The exit statuses are part of the contract with HookKit's `TLSTunnel`, which maps them onto
/// `HTTPClientError` kinds: 3 resolve, 4 connect, 5 timeout, 6 TLS (handshake or certificate),
/// 7 set-up (OpenSSL not loadable, CA file unreadable), 1 the relay broke, 2 usage.
struct TunnelFailure: Error {
    /// The exit status.
    var status: Int32
    /// The message, without the `hookkit-tls: ` prefix.
    var message: String

    /// Bad command line.
    static func usage(_ message: String) -> TunnelFailure { TunnelFailure(status: 2, message: message) }
    /// The host name did not resolve.
    static func resolve(_ message: String) -> TunnelFailure { TunnelFailure(status: 3, message: message) }
    /// The TCP connection failed.
    static func connect(_ message: String) -> TunnelFailure { TunnelFailure(status: 4, message: message) }
    /// Connecting or the handshake took too long.
    static func timeout(_ message: String) -> TunnelFailure { TunnelFailure(status: 5, message: message) }
    /// The TLS handshake or the certificate check failed.
    static func tls(_ message: String) -> TunnelFailure { TunnelFailure(status: 6, message: message) }
    /// The TLS library or the trust settings could not be set up.
    static func setup(_ message: String) -> TunnelFailure { TunnelFailure(status: 7, message: message) }
    /// The connection broke after the handshake.
    static func relay(_ message: String) -> TunnelFailure { TunnelFailure(status: 1, message: message) }

    /// Prints the line on stderr and exits with the status.
    func exit() -> Never {
        TunnelIO.printError("hookkit-tls: \(message)")
        #if canImport(Darwin)
        Darwin.exit(status)
        #else
        Glibc.exit(status)
        #endif
    }
}
