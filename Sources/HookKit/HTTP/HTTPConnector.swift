import HookKitSystem

/// How an ``HTTPClient`` opens a connection to its server.
///
/// The client speaks HTTP/1.1 over whatever connected byte stream the connector returns: a TCP
/// socket for `http://` servers (the client's built-in default) or one end of a socket pair whose
/// other end a ``TLSTunnel`` helper relays over TLS, for `https://` servers. The client owns the
/// returned socket, keeps it for reuse while the server allows keep-alive, and closes it.
package protocol HTTPConnector: Sendable {
    /// Opens a connected stream to `endpoint`, giving up after `timeoutMilliseconds`.
    func connect(to endpoint: HTTPEndpoint, timeoutMilliseconds: Int) throws(HTTPClientError) -> Socket
}
