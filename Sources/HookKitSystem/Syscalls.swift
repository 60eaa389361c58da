// The one place where HookKit meets the platform's C library. Every other file of every target
// imports `HookKitSystem` instead of Glibc or Darwin, and the few calls that differ between
// Linux and macOS are wrapped in this target (see `Platform`), so the rest of the code base has
// no `#if os` of its own.
#if canImport(Darwin)
@_exported import Darwin
#elseif canImport(Glibc)
@_exported import Glibc
#endif
