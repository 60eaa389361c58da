/// A fixed-size byte buffer that is filled once and then drained from the front, for one
/// direction of the relay. Its storage never moves, as `SSL_write` retries require.
final class RelayBuffer {
    /// The storage.
    let storage: UnsafeMutableRawBufferPointer
    /// The first byte not yet passed on.
    private(set) var start = 0
    /// One past the last byte held.
    private(set) var end = 0

    /// A buffer of `capacity` bytes.
    init(capacity: Int = 64 * 1024) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Whether every byte has been passed on.
    var isEmpty: Bool { start == end }

    /// The bytes waiting to be passed on.
    var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[start..<end]) }

    /// Records that `count` bytes were written into an empty buffer.
    func filled(_ count: Int) {
        precondition(isEmpty && count <= storage.count)
        start = 0
        end = count
    }

    /// Records that the first `count` pending bytes were passed on.
    func consumed(_ count: Int) {
        start = min(end, start + count)
        if start == end {
            start = 0
            end = 0
        }
    }
}
