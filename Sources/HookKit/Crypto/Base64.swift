import HookKitSystem

/// Standard base64 (RFC 4648 §4: alphabet `A–Z a–z 0–9 + /`, with `=` padding).
///
/// Decoding is strict and never traps: it returns `nil` for a length that is not a multiple of 4,
/// a character outside the alphabet (whitespace included), misplaced padding, or non-zero unused
/// bits in the last group (RFC 4648 §3.5), so every byte string has exactly one accepted encoding.
package enum Base64 {
    /// Encodes `bytes` as padded base64.
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(bufferPointer: UnsafeRawBufferPointer($0)) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBytes { encode(bufferPointer: $0) }
    }

    /// Encodes contiguous bytes as padded base64.
    package static func encode(bufferPointer input: UnsafeRawBufferPointer) -> String {
        let outputCount = (input.count + 2) / 3 * 4
        guard outputCount > 0 else { return "" }
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = alphabet.utf8Start
        return String(unsafeUninitializedCapacity: outputCount) { output in
            let fullGroups = input.count / 3
            var inIndex = 0
            var outIndex = 0
            for _ in 0..<fullGroups {
                let group =
                    UInt32(input[inIndex]) << 16 | UInt32(input[inIndex + 1]) << 8
                    | UInt32(input[inIndex + 2])
                output[outIndex] = table[Int(group >> 18)]
                output[outIndex + 1] = table[Int(group >> 12 & 0x3f)]
                output[outIndex + 2] = table[Int(group >> 6 & 0x3f)]
                output[outIndex + 3] = table[Int(group & 0x3f)]
                inIndex += 3
                outIndex += 4
            }
            switch input.count - inIndex {
            case 1:
                let group = UInt32(input[inIndex]) << 16
                output[outIndex] = table[Int(group >> 18)]
                output[outIndex + 1] = table[Int(group >> 12 & 0x3f)]
                output[outIndex + 2] = UInt8(ascii: "=")
                output[outIndex + 3] = UInt8(ascii: "=")
            case 2:
                let group = UInt32(input[inIndex]) << 16 | UInt32(input[inIndex + 1]) << 8
                output[outIndex] = table[Int(group >> 18)]
                output[outIndex + 1] = table[Int(group >> 12 & 0x3f)]
                output[outIndex + 2] = table[Int(group >> 6 & 0x3f)]
                output[outIndex + 3] = UInt8(ascii: "=")
            default:
                break
            }
            return outputCount
        }
    }

    /// Decodes padded base64 text; `nil` when it is not valid (see ``Base64``).
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { decode(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// Decodes padded base64 given as ASCII bytes; `nil` when it is not valid (see ``Base64``).
    package static func decode(bufferPointer input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count % 4 == 0 else { return nil }
        guard input.count > 0 else { return [] }
        let padding =
            input[input.count - 1] != UInt8(ascii: "=")
            ? 0
            : input[input.count - 2] != UInt8(ascii: "=") ? 1 : 2
        let outputCount = input.count / 4 * 3 - padding
        return decodeTable.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                // Every group but the last, which may carry padding.
                let fullGroups = input.count / 4 - 1
                var inIndex = 0
                var outIndex = 0
                var invalidBits: UInt8 = 0
                for _ in 0..<fullGroups {
                    let s0 = table[Int(input[inIndex])], s1 = table[Int(input[inIndex + 1])]
                    let s2 = table[Int(input[inIndex + 2])], s3 = table[Int(input[inIndex + 3])]
                    // Invalid characters map to 0x80, which survives the OR; checked once at the end.
                    invalidBits |= s0 | s1 | s2 | s3
                    let group = UInt32(s0) << 18 | UInt32(s1) << 12 | UInt32(s2) << 6 | UInt32(s3)
                    output[outIndex] = UInt8(truncatingIfNeeded: group >> 16)
                    output[outIndex + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    output[outIndex + 2] = UInt8(truncatingIfNeeded: group)
                    inIndex += 4
                    outIndex += 3
                }
                let s0 = table[Int(input[inIndex])], s1 = table[Int(input[inIndex + 1])]
                let s2 = padding >= 2 ? 0 : table[Int(input[inIndex + 2])]
                let s3 = padding >= 1 ? 0 : table[Int(input[inIndex + 3])]
                invalidBits |= s0 | s1 | s2 | s3
                let group = UInt32(s0) << 18 | UInt32(s1) << 12 | UInt32(s2) << 6 | UInt32(s3)
                // The padded-out bits must be zero: otherwise two texts would decode alike.
                let unusedBits: UInt32 = padding == 2 ? 0xffff : padding == 1 ? 0xff : 0
                if invalidBits & 0x80 != 0 || group & unusedBits != 0 {
                    valid = false
                    initialized = 0
                    return
                }
                output[outIndex] = UInt8(truncatingIfNeeded: group >> 16)
                if padding < 2 { output[outIndex + 1] = UInt8(truncatingIfNeeded: group >> 8) }
                if padding < 1 { output[outIndex + 2] = UInt8(truncatingIfNeeded: group) }
                initialized = outputCount
            }
            return valid ? output : nil
        }
    }

    /// Maps an ASCII byte to its 6-bit value, or to 0x80 when it is not in the alphabet (`=`
    /// included: padding is handled separately, so one anywhere else is rejected).
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0x80, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()
}
