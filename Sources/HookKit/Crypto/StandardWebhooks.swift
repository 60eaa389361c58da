import HookKitSystem

/// Standard Webhooks (standardwebhooks.com) request signing and verification: the signature is
/// `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")).
///
/// The body is always the raw bytes sent on the wire, never a re-serialisation.
package enum StandardWebhooks {
    /// Header carrying the message id (the event's `event_uuid`, or a batch's own UUIDv7).
    package static let idHeader = "webhook-id"
    /// Header carrying the attempt's Unix time in seconds.
    package static let timestampHeader = "webhook-timestamp"
    /// Header carrying one or more space-separated `v1,<base64>` signatures.
    package static let signatureHeader = "webhook-signature"
    /// The default replay window: a timestamp more than this many seconds from the verifier's
    /// clock, in either direction, is rejected.
    package static let defaultTolerance: Int64 = 300

    /// A signing key, derived from a configured secret.
    package struct Key: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
        /// The HMAC key bytes.
        package let bytes: [UInt8]

        /// A redacted description, so that logging a key (or a signer) never prints the secret.
        package var description: String { "StandardWebhooks.Key(\(bytes.count) bytes, redacted)" }

        /// Same as ``description``.
        package var debugDescription: String { description }

        /// Uses `bytes` as the HMAC key.
        package init(bytes: [UInt8]) { self.bytes = bytes }

        /// Derives the key from a secret: `whsec_<base64>` (the spec's form) is base64-decoded,
        /// with its `=` padding optional as in the reference libraries; any other string is used
        /// as its UTF-8 bytes. Throws ``SecretError`` for a `whsec_` secret whose remainder is not
        /// valid base64 or is empty, rather than silently using a key other implementations
        /// would not derive.
        package init(secret: String) throws(SecretError) {
            guard secret.hasPrefix("whsec_") else {
                bytes = Array(secret.utf8)
                return
            }
            var encoded = String(secret.dropFirst(6))
            while encoded.utf8.count % 4 != 0 { encoded += "=" }
            guard let decoded = Base64.decode(encoded), !decoded.isEmpty else { throw .invalidBase64 }
            bytes = decoded
        }
    }

    /// Why a secret cannot be turned into a key.
    package enum SecretError: Error, Equatable, Sendable {
        /// The secret starts with `whsec_` but the rest is not non-empty standard base64.
        case invalidBase64
    }

    /// Signs requests with one or more keys.
    package struct Signer: Sendable {
        /// The keys; more than one while a secret is being rotated.
        package let keys: [Key]

        /// Signs with the given keys.
        package init(keys: [Key]) { self.keys = keys }

        /// Signs with the keys derived from `secrets` (see ``Key/init(secret:)``).
        package init(secrets: [String]) throws(SecretError) {
            var keys: [Key] = []
            for secret in secrets { keys.append(try Key(secret: secret)) }
            self.keys = keys
        }

        /// The `webhook-signature` header value: one `v1,<base64>` per key, space-separated.
        package func signatureHeader(id: String, timestamp: Int64, body: UnsafeRawBufferPointer) -> String {
            keys.map { StandardWebhooks.sign(id: id, timestamp: timestamp, body: body, key: $0) }
                .joined(separator: " ")
        }

        /// The `webhook-signature` header value for an array body.
        package func signatureHeader(id: String, timestamp: Int64, body: [UInt8]) -> String {
            body.withUnsafeBytes { signatureHeader(id: id, timestamp: timestamp, body: $0) }
        }
    }

    /// Returns `v1,` + base64 of the HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`.
    package static func sign(id: String, timestamp: Int64, body: UnsafeRawBufferPointer, key: Key) -> String {
        let code = authenticationCode(id: id, timestamp: timestamp, body: body, key: key)
        return "v1," + code.withUnsafeBytes { Base64.encode(bufferPointer: $0) }
    }

    /// Returns `v1,` + base64 of the HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`.
    package static func sign(id: String, timestamp: Int64, body: [UInt8], key: Key) -> String {
        body.withUnsafeBytes { sign(id: id, timestamp: timestamp, body: $0, key: key) }
    }

    /// Why a request failed verification. Each maps to HTTP 401 on a hub.
    package enum VerificationError: Error, Equatable, Sendable {
        /// A required header is absent or empty; the associated value is its name.
        case missingHeader(String)
        /// `webhook-timestamp` is not a plain decimal number of seconds.
        case invalidTimestamp
        /// The timestamp is older than the tolerance allows (a replay, or a very late retry).
        case timestampTooOld
        /// The timestamp is further in the future than the tolerance allows.
        case timestampTooNew
        /// No `v1` signature in the header matches any of the keys.
        case noMatchingSignature
    }

    /// Checks signed requests against one or more keys (several while a secret is rotated).
    package struct Verifier: Sendable {
        /// The keys any one of which may have signed a request.
        package let keys: [Key]
        /// Largest accepted distance, in seconds, between the request's timestamp and `now`.
        package var tolerance: Int64

        /// Verifies against the given keys.
        package init(keys: [Key], tolerance: Int64 = StandardWebhooks.defaultTolerance) {
            self.keys = keys
            self.tolerance = tolerance
        }

        /// Verifies against the keys derived from `secrets` (see ``Key/init(secret:)``).
        package init(secrets: [String], tolerance: Int64 = StandardWebhooks.defaultTolerance) throws(SecretError) {
            var keys: [Key] = []
            for secret in secrets { keys.append(try Key(secret: secret)) }
            self.init(keys: keys, tolerance: tolerance)
        }

        /// Verifies a request given its three header values (`nil` when absent) and raw body.
        /// `now` is the verifier's Unix time in seconds. Returns the request's timestamp.
        @discardableResult
        package func verify(
            id: String?, timestamp: String?, signature: String?,
            body: UnsafeRawBufferPointer, now: Int64 = Clock.unixSeconds()
        ) throws(VerificationError) -> Int64 {
            guard let id, !id.isEmpty else { throw .missingHeader(StandardWebhooks.idHeader) }
            guard let timestamp, !timestamp.isEmpty else {
                throw .missingHeader(StandardWebhooks.timestampHeader)
            }
            guard let signature, !signature.isEmpty else {
                throw .missingHeader(StandardWebhooks.signatureHeader)
            }
            guard let seconds = Self.parseSeconds(timestamp) else { throw .invalidTimestamp }
            // Written so that no operand (a caller's `now` or `tolerance`) can overflow.
            if now >= seconds {
                if now - seconds > tolerance { throw .timestampTooOld }
            } else {
                let (ahead, overflow) = seconds.subtractingReportingOverflow(now)
                if overflow || ahead > tolerance { throw .timestampTooNew }
            }

            let candidates: [[UInt8]] = signature.split(separator: " ").compactMap { entry in
                guard entry.hasPrefix("v1,") else { return nil }  // other schemes: not ours
                return Base64.decode(entry.dropFirst(3))
            }
            // Every key is checked against every candidate without an early exit, so the time
            // taken reveals nothing about which one (if any) matched.
            var matched = false
            for key in keys {
                let code = StandardWebhooks.authenticationCode(id: id, timestamp: seconds, body: body, key: key)
                for candidate in candidates {
                    let equal = code.withUnsafeBytes { constantTimeEquals($0, candidate) }
                    matched = matched || equal
                }
            }
            guard matched else { throw .noMatchingSignature }
            return seconds
        }

        /// Verifies a request whose body is an array (see the buffer-pointer overload).
        @discardableResult
        package func verify(
            id: String?, timestamp: String?, signature: String?,
            body: [UInt8], now: Int64 = Clock.unixSeconds()
        ) throws(VerificationError) -> Int64 {
            let result: Result<Int64, VerificationError> = body.withUnsafeBytes { raw in
                Result { () throws(VerificationError) in
                    try verify(id: id, timestamp: timestamp, signature: signature, body: raw, now: now)
                }
            }
            return try result.get()
        }

        /// Decimal digits only (no sign, spaces or other forms), at most 18 of them.
        private static func parseSeconds(_ text: String) -> Int64? {
            guard !text.utf8.isEmpty, text.utf8.count <= 18 else { return nil }
            var value: Int64 = 0
            for character in text.utf8 {
                guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(character - UInt8(ascii: "0"))
            }
            return value
        }
    }

    /// HMAC-SHA256 of `{id}.{timestamp}.{body}`, fed piecewise so the body is never copied.
    private static func authenticationCode(
        id: String, timestamp: Int64, body: UnsafeRawBufferPointer, key: Key
    ) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: key.bytes)
        hmac.update(data: id.utf8)
        hmac.update(data: CollectionOfOne(UInt8(ascii: ".")))
        hmac.update(data: String(timestamp).utf8)
        hmac.update(data: CollectionOfOne(UInt8(ascii: ".")))
        hmac.update(bufferPointer: body)
        return hmac.finalize()
    }
}
