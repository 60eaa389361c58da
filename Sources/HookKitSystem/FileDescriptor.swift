/// A thin, typed wrapper over a file descriptor, modelled on swift-system's `FileDescriptor`.
///
/// It owns nothing: call ``close()`` exactly once. Every call retries on `EINTR` and reports
/// failures as ``Errno``.
package struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    /// The raw descriptor.
    package let rawValue: Int32

    /// Wraps a raw descriptor.
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// Standard input.
    package static let standardInput = FileDescriptor(rawValue: 0)
    /// Standard output.
    package static let standardOutput = FileDescriptor(rawValue: 1)
    /// Standard error.
    package static let standardError = FileDescriptor(rawValue: 2)

    /// Opens `path` with `open(2)` flags; `O_CLOEXEC` is always added so that no child we spawn
    /// inherits the descriptor.
    package static func open(
        _ path: String, _ flags: Int32, permissions: UInt16 = 0o600
    ) throws(Errno) -> FileDescriptor {
        let fd = try retryingOnInterrupt { system_open(path, flags | O_CLOEXEC, mode_t(permissions)) }
        return FileDescriptor(rawValue: fd)
    }

    /// Closes the descriptor.
    package func close() {
        _ = system_close(rawValue)
    }

    /// Reads at most `count` bytes into `buffer`; returns 0 at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { system_read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads at most `buffer.count` bytes at `offset` without moving the file position.
    package func read(
        fromAbsoluteOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        try retryingOnInterrupt { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Writes all of `bytes`, looping over short writes.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let n = try retryingOnInterrupt { system_write(rawValue, bytes.baseAddress! + done, bytes.count - done) }
            done += n
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    package func writeAll(_ bytes: [UInt8]) throws(Errno) {
        let result: Result<Void, Errno> = bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try writeAll(buffer) }
        }
        try result.get()
    }

    /// Reads until end of file, at most `limit` bytes.
    package func readAll(limit: Int = .max) throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        while result.count < limit {
            let wanted = min(chunk.count, limit - result.count)
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]))
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    package func read(fromAbsoluteOffset offset: Int64, count: Int) throws(Errno) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < count {
            let n = try read(
                fromAbsoluteOffset: offset + Int64(filled),
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<count]))
            if n == 0 { break }
            filled += n
        }
        return Array(buffer[0..<filled])
    }

    /// `fstat(2)`.
    package func status() throws(Errno) -> stat {
        var info = stat()
        _ = try retryingOnInterrupt { fstat(rawValue, &info) }
        return info
    }

    /// Flushes written data to the device (`fsync(2)`).
    package func sync() throws(Errno) {
        _ = try retryingOnInterrupt { fsync(rawValue) }
    }

    /// Cuts the file to `size` bytes (`ftruncate(2)`).
    package func truncate(to size: Int64) throws(Errno) {
        _ = try retryingOnInterrupt { ftruncate(rawValue, off_t(size)) }
    }
}
