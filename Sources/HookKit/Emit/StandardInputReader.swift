import HookKitSystem

/// Reads a hook's input without ever hanging or running out of memory.
package enum StandardInputReader {
    /// The most input kept in memory: 64 MiB. Anything past it is read and counted, not kept.
    package static let defaultLimit = 64 * 1024 * 1024
    /// How long to wait for the writer to close the input: one second. Claude Code writes the
    /// event and closes stdin at once; a pipe still open after that is someone else's bug.
    package static let defaultTimeoutMilliseconds = 1000

    /// Reads `fd` to its end, keeping at most `limit` bytes and waiting at most `timeoutMilliseconds`.
    package static func read(
        _ fd: FileDescriptor = .standardInput, limit: Int = defaultLimit,
        timeoutMilliseconds: Int = defaultTimeoutMilliseconds
    ) -> HookInput {
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        var bytes: [UInt8] = []
        var total = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        // A regular file never blocks: no need to wait for it with poll(2).
        let isRegularFile = (try? fd.status()).map { $0.st_mode & S_IFMT == S_IFREG } ?? false
        while true {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else {
                // A writer that never closes stdin but sent a whole event: that is the event.
                if total == bytes.count, (try? JSONScanner.scan(bytes))?.rootKind == .object {
                    return HookInput(bytes: bytes)
                }
                return HookInput(
                    bytes: bytes, originalByteCount: total,
                    readProblem: "stdin still open after \(timeoutMilliseconds) ms")
            }
            if !isRegularFile {
                var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
                let waitMilliseconds = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
                let ready = poll(&poller, 1, waitMilliseconds)
                if ready == 0 { continue }
                if ready < 0 && Errno.current != .interrupted {
                    return HookInput(
                        bytes: bytes, originalByteCount: total, readProblem: "cannot wait for stdin: \(Errno.current)")
                }
            }
            let count: Int
            do {
                count = try fd.read(into: chunk)
            } catch {
                if error == .wouldBlock { continue }
                return HookInput(bytes: bytes, originalByteCount: total, readProblem: "cannot read stdin: \(error)")
            }
            if count == 0 { break }
            total += count
            let kept = min(count, limit - bytes.count)
            // Through a contiguous buffer, so the copy is one memcpy even in a debug build (a
            // slice of the raw buffer would be appended byte by byte).
            if kept > 0 { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<kept])) }
        }
        let problem = total > bytes.count ? "input of \(total) bytes is larger than the \(limit)-byte read limit" : nil
        return HookInput(bytes: bytes, originalByteCount: total, readProblem: problem)
    }
}
