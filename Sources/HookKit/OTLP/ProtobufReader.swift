import HookKitSystem

/// Why bytes are not the protobuf message they were expected to be.
package struct ProtobufDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem.
    package var offset: Int
    /// What is wrong ("truncated varint", "length past the end", ...).
    package var reason: String

    package var description: String { "\(reason) at byte \(offset)" }
}

/// Reads the protobuf wire format field by field: enough to pick the few fields HookKit needs
/// out of an OTLP response (`partial_success`, `google.rpc.Status`) and skip everything else.
package struct ProtobufReader: Sendable {
    /// One field as read: its number and value.
    package enum Field: Sendable, Equatable {
        case varint(Int, UInt64)
        case fixed64(Int, UInt64)
        case lengthDelimited(Int, ArraySlice<UInt8>)
        case fixed32(Int, UInt32)

        /// The field number.
        package var number: Int {
            switch self {
            case .varint(let number, _), .fixed64(let number, _), .lengthDelimited(let number, _),
                .fixed32(let number, _):
                number
            }
        }
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    /// A reader over a message's bytes.
    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The next field, or nil at the end of the message.
    package mutating func next() throws(ProtobufDecodingError) -> Field? {
        guard position < bytes.endIndex else { return nil }
        let tag = try varint()
        let number = Int(truncatingIfNeeded: tag >> 3)
        guard number > 0 else { throw ProtobufDecodingError(offset: position, reason: "field number 0") }
        switch tag & 7 {
        case 0: return .varint(number, try varint())
        case 1: return .fixed64(number, try fixed(8))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw ProtobufDecodingError(offset: position, reason: "length past the end")
            }
            let start = position
            position += Int(length)
            return .lengthDelimited(number, bytes[start..<position])
        case 5: return .fixed32(number, UInt32(truncatingIfNeeded: try fixed(4)))
        default:
            throw ProtobufDecodingError(offset: position, reason: "unsupported wire type \(tag & 7)")
        }
    }

    private mutating func varint() throws(ProtobufDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.endIndex, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw ProtobufDecodingError(offset: position, reason: "truncated varint")
    }

    private mutating func fixed(_ count: Int) throws(ProtobufDecodingError) -> UInt64 {
        guard bytes.endIndex - position >= count else {
            throw ProtobufDecodingError(offset: position, reason: "truncated fixed-size field")
        }
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += count
        return value
    }
}
