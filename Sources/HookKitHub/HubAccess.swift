import HookKit
import HookKitSystem

extension Hub {
    /// The check a server runs on the head of a request with a body, before reading the body:
    /// with a secret, a `POST` must carry the three Standard Webhooks headers, well formed, with a
    /// timestamp within the tolerance (401 otherwise), so that unsigned clients cannot make the
    /// hub buffer bodies. The signature itself is verified once the body is there.
    package func checkHead(_ request: HTTPRequest) -> HTTPResponse? {
        guard !configuration.secrets.isEmpty, request.method == "POST" else { return nil }
        guard let id = request.headers["webhook-id"], !id.isEmpty, id.utf8.count <= 256 else {
            return Self.unauthorized("signature: missing or malformed webhook-id header")
        }
        guard let text = request.headers["webhook-timestamp"], let seconds = Self.seconds(text) else {
            return Self.unauthorized("signature: missing or malformed webhook-timestamp header")
        }
        let now = configuration.now()
        if seconds > now
            ? seconds - now > configuration.signatureToleranceSeconds
            : now - seconds > configuration.signatureToleranceSeconds
        {
            return Self.unauthorized("signature: webhook-timestamp outside the tolerance")
        }
        let signatures = request.headers["webhook-signature"]?.split(separator: " ") ?? []
        guard signatures.contains(where: { $0.hasPrefix("v1,") && Base64.decode($0.dropFirst(3))?.count == 32 }) else {
            return Self.unauthorized("signature: missing or malformed webhook-signature header")
        }
        return nil
    }

    /// nil when `request` may read events, else the 401 answer: with a secret, reads need
    /// `Authorization: Bearer <read token>`, and without a read token there are none.
    func authorizeRead(_ request: HTTPRequest) -> HTTPResponse? {
        guard !configuration.secrets.isEmpty else { return nil }
        guard let token = configuration.readToken else {
            return Self.unauthorized("reads need a token: start hook-hub with --read-token-file", bearer: true)
        }
        guard let header = request.headers["Authorization"], header.utf8.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            return Self.unauthorized("reads need Authorization: Bearer <read token>", bearer: true)
        }
        let presented = Array(header.utf8.dropFirst(7))
        let expected = Array(token.utf8)
        let equal =
            presented.count == expected.count
            && presented.withUnsafeBytes { a in expected.withUnsafeBytes { b in constantTimeEquals(a, b) } }
        return equal ? nil : Self.unauthorized("wrong read token", bearer: true)
    }

    private static func unauthorized(_ message: String, bearer: Bool = false) -> HTTPResponse {
        var body: [UInt8] = []
        JSONWriter.append("{\"error\":", to: &body)
        JSONWriter.appendString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        var response = HTTPResponse.json(401, body)
        if bearer { response.headers.set("WWW-Authenticate", "Bearer") }
        return response
    }

    /// Decimal digits only, at most 18.
    private static func seconds(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int64(text)
    }
}
