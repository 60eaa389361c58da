#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// An error number reported by a system call, in the manner of swift-system's `Errno`.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    public var rawValue: Int32

    /// Wraps a raw `errno` value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: errno) }

    /// The system's message for this error, for example "No such file or directory".
    public var description: String { String(cString: strerror(rawValue)) }

    /// Interrupted system call.
    public static let interrupted = Errno(rawValue: EINTR)
    /// Resource temporarily unavailable / operation would block.
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// No such file or directory.
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// File exists.
    public static let fileExists = Errno(rawValue: EEXIST)
    /// Permission denied.
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// No space left on device.
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// Operation in progress (non-blocking connect).
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    /// Connection refused.
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// Timed out.
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
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
