/// An error number reported by a system call, in the manner of swift-system's `Errno`.
package struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    package var rawValue: Int32

    /// Wraps a raw `errno` value.
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    package static var current: Errno { Errno(rawValue: errno) }

    /// The system's message for this error, for example "No such file or directory".
    package var description: String { String(cString: strerror(rawValue)) }

    /// Interrupted system call.
    package static let interrupted = Errno(rawValue: EINTR)
    /// Resource temporarily unavailable / operation would block.
    package static let wouldBlock = Errno(rawValue: EAGAIN)
    /// No such file or directory.
    package static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// File exists.
    package static let fileExists = Errno(rawValue: EEXIST)
    /// Permission denied.
    package static let permissionDenied = Errno(rawValue: EACCES)
    /// No space left on device.
    package static let noSpace = Errno(rawValue: ENOSPC)
    /// Operation in progress (non-blocking connect).
    package static let inProgress = Errno(rawValue: EINPROGRESS)
    /// Connection refused.
    package static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// Timed out.
    package static let timedOut = Errno(rawValue: ETIMEDOUT)
}

/// Runs `body` until it stops failing with `EINTR`; a result of -1 becomes the thread's `Errno`.
@inline(__always)
func retryingOnInterrupt<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Errno.current
        if error != .interrupted { throw error }
    }
}
