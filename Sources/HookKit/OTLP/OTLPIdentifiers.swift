import HookKitSystem

/// A 16-byte OpenTelemetry trace id.
package struct OTLPTraceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bytes 0–7, big-endian.
    package var high: UInt64
    /// Bytes 8–15, big-endian.
    package var low: UInt64

    /// Creates an id from its two halves.
    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The trace of a Claude Code session: the first 16 bytes of SHA-256 over a fixed prefix and
    /// the session id, so every machine and every flusher computes the same one.
    package init(sessionID: String) {
        var hasher = SHA256()
        hasher.update(data: OTLPIdentity.tracePrefix.utf8)
        hasher.update(data: sessionID.utf8)
        let digest = hasher.finalize()
        var iterator = digest.makeIterator()
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<16 {
            let byte = UInt64(iterator.next() ?? 0)
            if index < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
        }
        // An all-zero id is invalid in OTLP; a SHA-256 prefix is never zero in practice.
        self.init(high: high, low: low == 0 && high == 0 ? 1 : low)
    }

    /// The 16 bytes, in network order.
    package var bytes: [UInt8] { OTLPIdentity.bigEndianBytes(high) + OTLPIdentity.bigEndianBytes(low) }

    /// 32 lowercase hexadecimal digits (the OTLP/JSON form).
    package var hex: String { OTLPIdentity.hex(high) + OTLPIdentity.hex(low) }

    /// Parses 32 hexadecimal digits.
    package init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32, let high = OTLPIdentity.parseHex(utf8[0..<16]),
            let low = OTLPIdentity.parseHex(utf8[16..<32])
        else { return nil }
        self.init(high: high, low: low)
    }

    package var description: String { hex }

    package static func < (lhs: Self, rhs: Self) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

/// An 8-byte OpenTelemetry span id.
package struct OTLPSpanID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 8 bytes as a big-endian integer.
    package var value: UInt64

    /// Creates an id from its value (0 is invalid in OTLP and means "none" here).
    package init(_ value: UInt64) {
        self.value = value
    }

    /// The span of a stable id within a session: the first 8 bytes of SHA-256 over a fixed
    /// prefix, the session id, the kind of span (`turn`, `agent`, `tool`) and the stable id
    /// (`prompt_id`, the subagent's `agent_id`, `tool_use_id`). NUL separators keep the parts apart.
    package init(sessionID: String, kind: String, key: String) {
        var hasher = SHA256()
        hasher.update(data: OTLPIdentity.spanPrefix.utf8)
        hasher.update(data: sessionID.utf8)
        hasher.update(data: CollectionOfOne(UInt8(0)))
        hasher.update(data: kind.utf8)
        hasher.update(data: CollectionOfOne(UInt8(0)))
        hasher.update(data: key.utf8)
        var value: UInt64 = 0
        for byte in hasher.finalize().prefix(8) { value = value << 8 | UInt64(byte) }
        self.init(value == 0 ? 1 : value)
    }

    /// The 8 bytes, in network order.
    package var bytes: [UInt8] { OTLPIdentity.bigEndianBytes(value) }

    /// 16 lowercase hexadecimal digits (the OTLP/JSON form).
    package var hex: String { OTLPIdentity.hex(value) }

    /// Parses 16 hexadecimal digits.
    package init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16, let value = OTLPIdentity.parseHex(utf8[...]) else { return nil }
        self.init(value)
    }

    package var description: String { hex }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// The fixed prefixes of the id derivation and hex helpers.
package enum OTLPIdentity {
    /// Hashed before the session id to make its trace id. Changing it changes every id.
    package static let tracePrefix = "hookkit.otlp.trace.v1\u{0}"
    /// Hashed before the parts of a span id.
    package static let spanPrefix = "hookkit.otlp.span.v1\u{0}"

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 { out[index] = digits[Int(value >> (60 - 4 * UInt64(index)) & 0xf)] }
        return String(decoding: out, as: UTF8.self)
    }

    static func parseHex(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for digit in digits {
            guard let nibble = JSONString.hexValue(digit) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
