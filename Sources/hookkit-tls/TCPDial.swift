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
            let message = error.message(connectingTo: "\(host):\(port)")
            throw error.isTimeout ? .timeout(message) : .connect(message)
        }
    }
}
