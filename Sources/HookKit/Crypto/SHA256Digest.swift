import HookKitSystem

/// A SHA-256 digest: 32 bytes, iterable as a sequence of `UInt8`.
///
/// `==` runs in constant time, so a digest may be compared with an attacker-supplied value.
package struct SHA256Digest: HashDigest {
    /// The digest size in bytes.
    package static let byteCount = 32

    // The eight words of the final chaining value, most significant byte first on output.
    private let w0, w1, w2, w3, w4, w5, w6, w7: UInt32

    init(
        _ w0: UInt32, _ w1: UInt32, _ w2: UInt32, _ w3: UInt32,
        _ w4: UInt32, _ w5: UInt32, _ w6: UInt32, _ w7: UInt32
    ) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
        (self.w4, self.w5, self.w6, self.w7) = (w4, w5, w6, w7)
    }

    /// Rebuilds a digest from its 32 bytes, for example one received over the wire; `nil` when
    /// `bytes` does not hold exactly 32 bytes.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var words = [UInt32](repeating: 0, count: 8)
        for (index, byte) in bytes.enumerated() {
            words[index / 4] = words[index / 4] << 8 | UInt32(byte)
        }
        self.init(words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7])
    }

    /// Calls `body` with the digest's 32 bytes; the pointer is valid only during the call.
    package func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let bigEndian = (
            w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian,
            w4.bigEndian, w5.bigEndian, w6.bigEndian, w7.bigEndian
        )
        return try Swift.withUnsafeBytes(of: bigEndian) { (raw) throws(E) -> R in try body(raw) }
    }

    /// Iterates over the digest's bytes.
    package func makeIterator() -> Iterator { Iterator(digest: self) }

    /// The digest's number of bytes, 32.
    package var underestimatedCount: Int { Self.byteCount }

    /// Compares two digests without an early exit, in time independent of where they differ.
    package static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        var difference = lhs.w0 ^ rhs.w0
        difference |= lhs.w1 ^ rhs.w1
        difference |= lhs.w2 ^ rhs.w2
        difference |= lhs.w3 ^ rhs.w3
        difference |= lhs.w4 ^ rhs.w4
        difference |= lhs.w5 ^ rhs.w5
        difference |= lhs.w6 ^ rhs.w6
        difference |= lhs.w7 ^ rhs.w7
        return difference == 0
    }

    /// Hashes the digest's bytes.
    package func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// An iterator over a digest's bytes.
    package struct Iterator: IteratorProtocol, Sendable {
        private let digest: SHA256Digest
        private var index = 0

        fileprivate init(digest: SHA256Digest) { self.digest = digest }

        /// The next byte, or `nil` after the 32nd.
        package mutating func next() -> UInt8? {
            guard index < SHA256Digest.byteCount else { return nil }
            let word: UInt32
            switch index / 4 {
            case 0: word = digest.w0
            case 1: word = digest.w1
            case 2: word = digest.w2
            case 3: word = digest.w3
            case 4: word = digest.w4
            case 5: word = digest.w5
            case 6: word = digest.w6
            default: word = digest.w7
            }
            let byte = UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32(index % 4)))
            index += 1
            return byte
        }
    }
}
