/// Random bytes from the operating system's CSPRNG: `getrandom(2)` on Linux (through glibc's
/// `getentropy`, which blocks only until the kernel pool is first seeded), `arc4random_buf` on
/// Darwin. Suitable for keys, nonces and the random bits of identifiers.
package enum SystemRandom {
    /// Fills `buffer` with random bytes.
    ///
    /// The OS generator does not fail on any supported kernel; if it cannot be reached at all
    /// (Linux before 3.17 without `/dev/urandom`), the process stops rather than use weak bytes.
    package static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Darwin)
        arc4random_buf(base, buffer.count)
        #else
        var offset = 0
        while offset < buffer.count {
            // getentropy serves at most 256 bytes per call and retries EINTR itself.
            let count = min(256, buffer.count - offset)
            if getentropy(base + offset, count) != 0 {
                fillFromDevice(UnsafeMutableRawBufferPointer(start: base + offset, count: buffer.count - offset))
                return
            }
            offset += count
        }
        #endif
    }

    /// Returns `count` random bytes.
    package static func bytes(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Returns a random value of a fixed-width integer type.
    package static func next<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }

    #if !canImport(Darwin)
    /// Fallback for kernels without getrandom(2) (ENOSYS).
    private static func fillFromDevice(_ buffer: UnsafeMutableRawBufferPointer) {
        do {
            let device = try FileDescriptor.open("/dev/urandom", O_RDONLY)
            defer { device.close() }
            var offset = 0
            while offset < buffer.count {
                let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])
                let count = try device.read(into: rest)
                if count <= 0 { break }
                offset += count
            }
            if offset == buffer.count { return }
        } catch {}
        fatalError("SystemRandom: neither getrandom(2) nor /dev/urandom is available")
    }
    #endif
}

/// A `RandomNumberGenerator` backed by ``SystemRandom``, for APIs such as
/// `Int.random(in:using:)` when the randomness must come from the OS CSPRNG.
package struct SystemRandomGenerator: RandomNumberGenerator, Sendable {
    /// Creates a generator; it holds no state.
    package init() {}

    /// Returns 64 random bits.
    package mutating func next() -> UInt64 { SystemRandom.next(UInt64.self) }
}
