import HookKit
import Testing

/// The protobuf wire format: the writer against hand-computed bytes, and writer/reader round trips.
@Suite struct OTLPProtobufTests {
    @Test func writesVarintsAndTags() {
        var writer = ProtobufWriter()
        writer.varint(1, 150)  // the protobuf documentation's example: 08 96 01
        #expect(writer.bytes == [0x08, 0x96, 0x01])
        writer = ProtobufWriter()
        writer.int64(3, -1)  // ten bytes of two's complement
        #expect(writer.bytes == [0x18] + Array(repeating: 0xFF, count: 9) + [0x01])
        writer = ProtobufWriter()
        writer.varint(16, 0)  // field 16 needs a two-byte tag
        #expect(writer.bytes == [0x80, 0x01, 0x00])
        for value: UInt64 in [0, 1, 127, 128, 16383, 16384, .max] {
            var sized = ProtobufWriter()
            sized.appendVarint(value)
            #expect(sized.bytes.count == ProtobufWriter.varintSize(value))
        }
    }

    @Test func writesFixed64LittleEndianAndStrings() {
        var writer = ProtobufWriter()
        writer.fixed64(7, 0x0102_0304_0506_0708)
        #expect(writer.bytes == [0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        writer = ProtobufWriter()
        writer.string(2, "testing")  // 12 07 74 65 73 74 69 6e 67
        #expect(writer.bytes == [0x12, 0x07] + Array("testing".utf8))
        writer = ProtobufWriter()
        writer.stringIfPresent(1, "")
        writer.varintIfPresent(2, 0)
        writer.fixed64IfPresent(3, 0)
        #expect(writer.bytes.isEmpty)
    }

    /// Nested messages get the right length prefix whatever their size, including children
    /// whose length needs two or three varint bytes (the writer then moves them).
    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, 70_000])
    func prefixesNestedMessagesWithTheirLength(payloadSize: Int) throws {
        let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var writer = ProtobufWriter()
        writer.varint(1, 7)
        writer.message(2) { outer in
            outer.message(3) { inner in inner.bytes(4, payload) }
            outer.varint(5, 9)
        }
        writer.varint(6, 1)

        var reader = ProtobufReader(writer.bytes[...])
        #expect(try reader.next() == .varint(1, 7))
        guard case .lengthDelimited(2, let outerBytes)? = try reader.next() else {
            Issue.record("no outer message")
            return
        }
        #expect(try reader.next() == .varint(6, 1))
        #expect(try reader.next() == nil)
        var outer = ProtobufReader(outerBytes)
        guard case .lengthDelimited(3, let innerBytes)? = try outer.next() else {
            Issue.record("no inner message")
            return
        }
        #expect(try outer.next() == .varint(5, 9))
        var inner = ProtobufReader(innerBytes)
        #expect(try inner.next() == .lengthDelimited(4, payload[...]))
    }

    @Test func readerRefusesTruncatedInput() {
        for bytes: [UInt8] in [[0x08], [0x12, 0x05, 0x01], [0x09, 0x01, 0x02], [0x0B], [0x00, 0x00]] {
            var reader = ProtobufReader(bytes[...])
            #expect(throws: ProtobufDecodingError.self) {
                while try reader.next() != nil {}
            }
        }
    }
}
