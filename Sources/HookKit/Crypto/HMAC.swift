import HookKitSystem

/// HMAC (RFC 2104) over any ``HashFunction``, shaped like swift-crypto's `HMAC`:
/// `HMAC<SHA256>.authenticationCode(for: message, using: key)`.
///
/// The key is any byte sequence; keys longer than the hash's block are hashed first, as the RFC
/// says. Feed the message with `update`, in chunks of any size, then call ``finalize()``.
package struct HMAC<H: HashFunction>: Sendable {
    private var inner: H
    private var outer: H

    /// Starts an authentication code computation keyed with `key`.
    package init(key: some Sequence<UInt8>) {
        var keyBlock = Array(key)
        if keyBlock.count > H.blockByteCount {
            keyBlock = H.hash(data: keyBlock).bytes
        }
        keyBlock.append(contentsOf: repeatElement(0, count: H.blockByteCount - keyBlock.count))

        inner = H()
        inner.update(data: keyBlock.map { $0 ^ 0x36 })
        outer = H()
        outer.update(data: keyBlock.map { $0 ^ 0x5c })
    }

    /// Feeds contiguous bytes of the message.
    package mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bufferPointer)
    }

    /// Feeds bytes of the message.
    package mutating func update(data: some Sequence<UInt8>) {
        inner.update(data: data)
    }

    /// Returns the authentication code of everything fed so far.
    package func finalize() -> HashedAuthenticationCode<H> {
        let innerDigest = inner.finalize()
        var outer = self.outer
        innerDigest.withUnsafeBytes { outer.update(bufferPointer: $0) }
        return HashedAuthenticationCode(digest: outer.finalize())
    }

    /// Computes the authentication code of `data` under `key` in one call.
    package static func authenticationCode(
        for data: some Sequence<UInt8>, using key: some Sequence<UInt8>
    ) -> HashedAuthenticationCode<H> {
        var hmac = HMAC(key: key)
        hmac.update(data: data)
        return hmac.finalize()
    }

    /// Tells whether `authenticationCode` is the code of `data` under `key`, comparing in constant
    /// time. A code of the wrong length is invalid.
    package static func isValidAuthenticationCode(
        _ authenticationCode: some Collection<UInt8>,
        authenticating data: some Sequence<UInt8>,
        using key: some Sequence<UInt8>
    ) -> Bool {
        let expected = Self.authenticationCode(for: data, using: key)
        return expected.withUnsafeBytes { constantTimeEquals($0, authenticationCode) }
    }
}

/// The output of ``HMAC``: the bytes of the outer hash's digest. Its `==` runs in constant time.
package struct HashedAuthenticationCode<H: HashFunction>: Sequence, Hashable, Sendable,
    CustomStringConvertible
{
    /// The underlying digest.
    package let digest: H.Digest

    /// Wraps a digest.
    package init(digest: H.Digest) { self.digest = digest }

    /// The code's size in bytes (the hash's digest size).
    package static var byteCount: Int { H.byteCount }

    /// The code's bytes.
    package var bytes: [UInt8] { digest.bytes }

    /// The code as lowercase hexadecimal.
    package var hexString: String { digest.hexString }

    /// Same as ``hexString``.
    package var description: String { digest.hexString }

    /// Calls `body` with the code's bytes; the pointer is valid only during the call.
    package func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try digest.withUnsafeBytes(body)
    }

    /// Iterates over the code's bytes.
    package func makeIterator() -> H.Digest.Iterator { digest.makeIterator() }
}
