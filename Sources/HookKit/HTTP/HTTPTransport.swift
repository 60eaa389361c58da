import HookKitSystem

/// Something that can POST to a server: ``HTTPClient`` (plain or through the TLS helper); tests
/// give a scripted one. Both sinks, the hub and the OTLP receiver, send through it.
package protocol HTTPTransport {
    /// Sends `POST path` and returns the response, whatever its status.
    func post(_ path: String, body: [UInt8], headers: HTTPHeaders) throws(HTTPClientError) -> HTTPResponse
}

extension HTTPClient: HTTPTransport {}
