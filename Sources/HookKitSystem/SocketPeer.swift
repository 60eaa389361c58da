extension Socket {
    /// The address of the connected peer (`getpeername(2)`).
    package func peerAddress() throws(Errno) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(rawValue, $0, &length) }
        }
        if result != 0 { throw Errno.current }
        let parsed = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        guard let parsed else { throw Errno(rawValue: EAFNOSUPPORT) }
        return parsed
    }

    /// Binds the socket to a local IP address before connecting (port 0: any port), so that the
    /// connection comes from that address (tests use 127.0.0.2 as a second client).
    package func bind(toLocal address: SocketAddress) throws(Errno) {
        try setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        try bind(to: address)
    }
}
