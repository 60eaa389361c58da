/// Where an HTTP server is: host, port and a base path, parsed from an `http://` URL.
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The host name or IP literal (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: UInt16
    /// The path prefix, without a trailing slash (empty for the root).
    public var basePath: String

    /// Creates an endpoint from its parts.
    public init(host: String, port: UInt16, basePath: String = "") {
        self.host = host
        self.port = port
        var path = basePath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// Parses `http://host[:port][/base]`; `nil` for anything else (other schemes included:
    /// TLS is not supported). The default port is 80.
    public init?(url: String) {
        let scheme = "http://"
        guard url.utf8.count > scheme.utf8.count,
              String(url.prefix(scheme.count)).lowercased() == scheme
        else { return nil }
        let rest = url.dropFirst(scheme.count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<cut]) }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host: Substring
        var portText: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        var port: UInt16 = 80
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let value = UInt16(portText), value > 0 else {
                return nil
            }
            port = value
        }
        self.init(host: String(host), port: port, basePath: path)
    }

    /// `http://host:port/base`.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)\(basePath)"
    }

    /// The `Host` header value.
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? shownHost : "\(shownHost):\(port)"
    }
}
