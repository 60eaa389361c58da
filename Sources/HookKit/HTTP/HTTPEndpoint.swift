import HookKitSystem

/// Where an HTTP server is: scheme, host, port and a base path, parsed from an `http://` or
/// `https://` URL.
package struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The host name or IP literal (IPv6 without brackets).
    package var host: String
    /// The TCP port.
    package var port: UInt16
    /// The path prefix, without a trailing slash (empty for the root).
    package var basePath: String
    /// Whether the server speaks HTTPS (HTTP over TLS); ``HTTPClient`` then connects through a
    /// ``TLSTunnel`` unless it is given another ``HTTPConnector``.
    package var isTLS: Bool

    /// `https` or `http`.
    package var scheme: String { isTLS ? "https" : "http" }

    /// Creates an endpoint from its parts.
    package init(host: String, port: UInt16, basePath: String = "", isTLS: Bool = false) {
        self.host = host
        self.port = port
        self.isTLS = isTLS
        var path = basePath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// Parses `http://host[:port][/base]` or `https://host[:port][/base]`; `nil` for anything
    /// else (other schemes included). The default port is 80 for http and 443 for https.
    package init?(url: String) {
        let isTLS = url.utf8.count > 8 && String(url.prefix(8)).lowercased() == "https://"
        let scheme = isTLS ? "https://" : "http://"
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
        var port: UInt16 = isTLS ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let value = UInt16(portText), value > 0 else {
                return nil
            }
            port = value
        }
        self.init(host: String(host), port: port, basePath: path, isTLS: isTLS)
    }

    /// `http://host:port/base` or `https://host:port/base`.
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)\(basePath)"
    }

    /// The `Host` header value (the port only when it is not the scheme's default).
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? shownHost : "\(shownHost):\(port)"
    }
}
