import HookKitSystem

/// A cryptographic hash function, shaped like swift-crypto's `HashFunction`, so that generic code
/// such as ``HMAC`` can be written once.
package protocol HashFunction: Sendable {
    /// The digest this function produces.
    associatedtype Digest: HashDigest

    /// The size of the digest in bytes.
    static var byteCount: Int { get }

    /// The size of one input block in bytes (HMAC pads its key to this length).
    static var blockByteCount: Int { get }

    /// Starts a new, empty hash computation.
    init()

    /// Feeds contiguous bytes into the hash.
    mutating func update(bufferPointer: UnsafeRawBufferPointer)

    /// Returns the digest of everything fed so far; the hasher itself is left unchanged, so more
    /// data may still be added.
    func finalize() -> Digest
}

extension HashFunction {
    /// Feeds any sequence of bytes into the hash, using its contiguous storage when it has one.
    package mutating func update(data: some Sequence<UInt8>) {
        let handled: Void? = data.withContiguousStorageIfAvailable { buffer in
            update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if handled != nil { return }
        // Non-contiguous input: stage it through a stack buffer to keep the block path hot.
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { staging in
            var count = 0
            for byte in data {
                staging[count] = byte
                count += 1
                if count == staging.count {
                    update(bufferPointer: UnsafeRawBufferPointer(staging))
                    count = 0
                }
            }
            update(bufferPointer: UnsafeRawBufferPointer(rebasing: staging[0..<count]))
        }
    }

    /// Computes the digest of `data` in one call.
    package static func hash(data: some Sequence<UInt8>) -> Digest {
        var hasher = Self()
        hasher.update(data: data)
        return hasher.finalize()
    }

    /// Computes the digest of contiguous bytes in one call.
    package static func hash(bufferPointer: UnsafeRawBufferPointer) -> Digest {
        var hasher = Self()
        hasher.update(bufferPointer: bufferPointer)
        return hasher.finalize()
    }
}

/// The fixed-size output of a ``HashFunction``: a sequence of bytes whose `==` runs in constant
/// time (it may be compared against an attacker-supplied value).
package protocol HashDigest: Sequence<UInt8>, Hashable, Sendable, CustomStringConvertible {
    /// The size of the digest in bytes.
    static var byteCount: Int { get }

    /// Calls `body` with the digest's bytes; the pointer is valid only during the call.
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
}

extension HashDigest {
    /// The digest's bytes.
    package var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The digest as lowercase hexadecimal, two characters per byte.
    package var hexString: String {
        withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                let digits: StaticString = "0123456789abcdef"
                let table = digits.utf8Start
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = table[Int(byte >> 4)]
                    out[2 * index + 1] = table[Int(byte & 0x0f)]
                }
                return raw.count * 2
            }
        }
    }

    /// Same as ``hexString``.
    package var description: String { hexString }
}
