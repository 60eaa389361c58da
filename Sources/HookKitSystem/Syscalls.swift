// The one place where HookKit meets the platform's C library. Every other file of every target
// imports `HookKitSystem` instead of Glibc or Darwin, and the few calls that differ between
// Linux and macOS are wrapped in this target (see `Platform`), so the rest of the code base has
// no `#if os` of its own.
#if canImport(Darwin)
@_exported import Darwin
#elseif canImport(Glibc)
@_exported import Glibc
#endif

// The system calls whose Swift names clash with methods of our wrappers (`FileDescriptor.read`,
// `Socket.close`, ...) or whose argument types differ between Glibc and Darwin, in the manner of
// swift-system's `system_open`: the wrappers call these and need no `#if` of their own.

@inline(__always)
func system_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

@inline(__always)
func system_close(_ fd: Int32) -> Int32 { close(fd) }

@inline(__always)
func system_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }

@inline(__always)
func system_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }

@inline(__always)
func system_poll(_ entries: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
    poll(entries, count, timeout)
}

@inline(__always)
func system_bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    bind(fd, address, length)
}

@inline(__always)
func system_connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

@inline(__always)
func system_shutdown(_ fd: Int32, _ how: Int32) -> Int32 { shutdown(fd, how) }

/// `SOCK_STREAM` as the `Int32` that `socket(2)` and `getaddrinfo(3)` take on every platform.
let system_SOCK_STREAM: Int32 = {
    #if canImport(Darwin)
    SOCK_STREAM
    #else
    Int32(SOCK_STREAM.rawValue)
    #endif
}()

/// `SHUT_WR` and `SHUT_RDWR` as `Int32`.
let system_SHUT_WR = Int32(SHUT_WR)
let system_SHUT_RDWR = Int32(SHUT_RDWR)

/// Flags for `send(2)` so that a write to a closed peer fails with `EPIPE` instead of raising
/// SIGPIPE: `MSG_NOSIGNAL` on Linux; on Darwin the socket carries `SO_NOSIGPIPE` instead.
let system_sendNoSignal: Int32 = {
    #if canImport(Darwin)
    0
    #else
    Int32(MSG_NOSIGNAL)
    #endif
}()
