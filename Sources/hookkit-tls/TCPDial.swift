import HookKit

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

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
        var failure = TunnelFailure.connect("no address for \(host)")
        for address in addresses {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { throw .timeout("connecting to \(host):\(port) timed out") }
            let socket: Socket
            do {
                socket = try Socket.tcp(family: address.family)
            } catch {
                failure = .connect("socket: \(error)")
                continue
            }
            do {
                try socket.connect(to: address, timeoutMilliseconds: Int((deadline - now) / 1_000_000))
                socket.setNoDelay()
                return socket
            } catch {
                socket.close()
                failure =
                    error == .timedOut
                    ? .timeout("connecting to \(host):\(port) (\(address)) timed out")
                    : .connect("cannot connect to \(host):\(port) (\(address)): \(error)")
            }
        }
        throw failure
    }
}
