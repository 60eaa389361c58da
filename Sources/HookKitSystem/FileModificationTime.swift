extension stat {
    /// The last modification time, in nanoseconds since the Unix epoch (the field is named
    /// differently on Darwin and Linux).
    package var modificationNanoseconds: Int64 {
        #if canImport(Darwin)
        Int64(st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st_mtimespec.tv_nsec)
        #else
        Int64(st_mtim.tv_sec) * 1_000_000_000 + Int64(st_mtim.tv_nsec)
        #endif
    }
}
