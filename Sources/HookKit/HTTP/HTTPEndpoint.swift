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
    /// else (other schemes included). The default port is 80 for http and 443 for https. Scans
    /// bytes: the hook checks its hub URL on every run.
    package init?(url: String) {
        let bytes = Array(url.utf8)
        func hasPrefix(_ prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard bytes.count > count else { return false }
            for index in 0..<count where bytes[index] | 0x20 != prefix.utf8Start[index] | 0x20 { return false }
            return true
        }
        let isTLS = hasPrefix("https://")
        guard isTLS || hasPrefix("http://") else { return nil }
        let authorityStart = isTLS ? 8 : 7
        var authorityEnd = authorityStart
        while authorityEnd < bytes.count, !"/?#".utf8.contains(bytes[authorityEnd]) { authorityEnd += 1 }
        var pathEnd = authorityEnd
        while pathEnd < bytes.count, bytes[pathEnd] != UInt8(ascii: "?"), bytes[pathEnd] != UInt8(ascii: "#") {
            pathEnd += 1
        }
        let authority = bytes[authorityStart..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }
        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            portText = authority[(colon + 1)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        var port: UInt16 = isTLS ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5,
                portText.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            let value = portText.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value > 0, value <= Int(UInt16.max) else { return nil }
            port = UInt16(value)
        }
        self.init(
            host: String(decoding: host, as: UTF8.self), port: port,
            basePath: String(decoding: bytes[authorityEnd..<pathEnd], as: UTF8.self), isTLS: isTLS)
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
