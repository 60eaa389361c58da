import HookKitSystem

/// Where the last handled line starts and a digest of its first bytes (which hold its
/// `event_uuid`): a queue truncated and filled again is told from the one the offset was
/// about even when the offset happens to fall on a line start of the new contents.
package struct QueueLineMark: Sendable, Equatable {
    /// Where the line starts.
    package var start: Int64
    /// How many of its bytes the digest covers (at most 64).
    package var length: Int
    /// SHA-256 of those bytes, the first 16 hexadecimal digits.
    package var digest: String

    /// The mark of a line starting at `start` whose first bytes are `line` (at most 64 used).
    package init(start: Int64, line: ArraySlice<UInt8>) {
        self.start = start
        let bytes = line.prefix(64)
        length = bytes.count
        digest = Self.digest(bytes)
    }

    init(start: Int64, length: Int, digest: String) {
        self.start = start
        self.length = length
        self.digest = digest
    }

    /// The digest of `bytes`.
    static func digest(_ bytes: ArraySlice<UInt8>) -> String {
        String(SHA256.hash(data: Array(bytes)).hexString.prefix(16))
    }
}
