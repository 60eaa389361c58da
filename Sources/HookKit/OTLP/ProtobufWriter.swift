import HookKitSystem

/// Writes the protobuf wire format (varint, 64-bit and length-delimited fields), enough for the
/// OTLP messages HookKit sends.
///
/// Nested messages are written in place: ``message(_:_:)`` reserves one byte for the length,
/// lets the body write the child directly into the same buffer, then fills the length in,
/// moving the child right by the few extra bytes only when its length needs more than one
/// varint byte. No child buffer is allocated and each byte moves at most once per enclosing
/// message longer than 127 bytes, so the cost stays linear in the output.
///
/// Fields are written in the order the caller writes them; proto3 default values (0, empty)
/// are the caller's to skip (the `…IfPresent` helpers do it).
package struct ProtobufWriter: Sendable {
    /// The wire types used here.
    package enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// The encoded bytes so far.
    package var bytes: [UInt8]

    /// An empty writer, with room for `capacity` bytes.
    package init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: - Primitives

    /// Appends `value` as a base-128 varint.
    @inline(__always)
    package mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Appends a field's tag (field number and wire type).
    @inline(__always)
    package mutating func appendTag(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// How many bytes `value` takes as a varint.
    @inline(__always)
    package static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    // MARK: - Fields

    /// A varint field (`uint64`, `int64` in two's complement, `uint32`, `enum`, `bool`).
    package mutating func varint(_ field: Int, _ value: UInt64) {
        appendTag(field, .varint)
        appendVarint(value)
    }

    /// A varint field, skipped when it is 0 (the proto3 default).
    package mutating func varintIfPresent(_ field: Int, _ value: UInt64) {
        if value != 0 { varint(field, value) }
    }

    /// An `int64` field: negative values take ten bytes (two's complement), as protobuf says.
    package mutating func int64(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    /// A `bool` field.
    package mutating func bool(_ field: Int, _ value: Bool) {
        varint(field, value ? 1 : 0)
    }

    /// A `fixed64` field (little-endian).
    package mutating func fixed64(_ field: Int, _ value: UInt64) {
        appendTag(field, .fixed64)
        var value = value.littleEndian
        withUnsafeBytes(of: &value) { bytes.append(contentsOf: $0) }
    }

    /// A `fixed64` field, skipped when it is 0.
    package mutating func fixed64IfPresent(_ field: Int, _ value: UInt64) {
        if value != 0 { fixed64(field, value) }
    }

    /// A `double` field (IEEE 754 bits as `fixed64`).
    package mutating func double(_ field: Int, _ value: Double) {
        fixed64(field, value.bitPattern)
    }

    /// A `bytes` field.
    package mutating func bytes(_ field: Int, _ value: some Collection<UInt8>) {
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    package mutating func string(_ field: Int, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            appendTag(field, .lengthDelimited)
            appendVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `string` field, skipped when it is empty.
    package mutating func stringIfPresent(_ field: Int, _ value: String) {
        if !value.isEmpty { string(field, value) }
    }

    /// A nested message written by `body` straight into this buffer, then size-prefixed.
    package mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        appendTag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        let start = bytes.count
        body(&self)
        let length = bytes.count - start
        let size = Self.varintSize(UInt64(length))
        if size > 1 {
            // Rare (children over 127 bytes): make room for the longer length, moving the child once.
            bytes.insert(contentsOf: repeatElement(0, count: size - 1), at: start)
        }
        var value = UInt64(length)
        var index = lengthAt
        while value >= 0x80 {
            bytes[index] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            index += 1
        }
        bytes[index] = UInt8(value)
    }
}
