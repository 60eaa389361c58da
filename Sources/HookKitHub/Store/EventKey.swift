import HookKit
import HookKitSystem

/// The deduplication key of an event: its `event_uuid`, compactly.
///
/// A canonical 36-character UUID (any case) becomes its 16 bytes, so `A1…` and `a1…` are the
/// same event and the index stays small; any other id is kept as text (a fallback for clients
/// that do not send UUIDs).
package enum EventKey: Hashable, Sendable {
    /// A UUID, as two big-endian 64-bit halves.
    case uuid(UInt64, UInt64)
    /// Any other non-UUID id, verbatim.
    case text(String)

    /// The key of `eventUUID`.
    package init(_ eventUUID: String) {
        if let (high, low) = EventKey.parseUUID(eventUUID) {
            self = .uuid(high, low)
        } else {
            self = .text(eventUUID)
        }
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits, either case) into two halves.
    static func parseUUID(_ text: String) -> (UInt64, UInt64)? {
        var text = text
        return text.withUTF8 { bytes -> (UInt64, UInt64)? in
            guard bytes.count == 36 else { return nil }
            var high: UInt64 = 0, low: UInt64 = 0
            var nibbles = 0
            for (index, byte) in bytes.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard byte == UInt8(ascii: "-") else { return nil }
                    continue
                }
                guard let value = hexDigit(byte) else { return nil }
                if nibbles < 16 {
                    high = high << 4 | UInt64(value)
                } else {
                    low = low << 4 | UInt64(value)
                }
                nibbles += 1
            }
            return (high, low)
        }
    }
}
