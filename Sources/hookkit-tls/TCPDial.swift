import HookKitSystem
import HookKit

/// Opens the TCP connection under the TLS session: every address of the host in turn, all within
/// one deadline.
enum TCPDial {
    /// A connected, blocking TCP socket to `host:port`, or the failure to report.
    static func connect(host: String, port: UInt16, deadline: UInt64) throws(TunnelFailure) -> Socket {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host, port: port)
        } catch {
            // HookKit reports every resolver failure but EAI_SYSTEM as EHOSTUNREACH.
            throw .resolve(
                error.rawValue == EHOSTUNREACH ? "cannot resolve \(host)" : "cannot resolve \(host): \(error)")
        }
        guard !addresses.isEmpty else { throw .connect("no address for \(host)") }
        do {
            return try Socket.dial(addresses, deadline: deadline)
        } catch {
            switch (error.address, error.errno) {
            case (nil, .timedOut): throw .timeout("connecting to \(host):\(port) timed out")
            case (nil, let errno): throw .connect("socket: \(errno)")
            case (let address?, .timedOut): throw .timeout("connecting to \(host):\(port) (\(address)) timed out")
            case (let address?, let errno): throw .connect("cannot connect to \(host):\(port) (\(address)): \(errno)")
            }
        }
    }
}
