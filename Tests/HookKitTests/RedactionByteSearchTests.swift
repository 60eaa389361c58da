import HookKit
import Testing

/// The word-at-a-time searches redaction relies on agree with the obvious byte loops, on random
/// bytes (ASCII-heavy, with high bytes mixed in) at every start offset.
@Suite struct RedactionByteSearchTests {
    static func samples() -> [[UInt8]] {
        var fake = RedactionFakes(seed: 77)
        let alphabet = Array("aZ09+/_-=:\"\\ \n.é".utf8) + [0x01, 0x1F, 0x7F, 0x80, 0xFF]
        // Mostly run bytes, so that whole words of them come up often.
        let runHeavy = Array("aAfFgGzZ0159+/_-".utf8) + Array(repeating: UInt8(ascii: "b"), count: 8) + [0x20]
        return (0..<600).map { round in
            let count = Int(fake.next() % 40)
            return (0..<count).map { _ in
                switch round % 3 {
                case 0: UInt8(truncatingIfNeeded: fake.next())
                case 1: runHeavy[Int(fake.next() % UInt64(runHeavy.count))]
                default: alphabet[Int(fake.next() % UInt64(alphabet.count))]
                }
            }
        }
    }

    func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @Test func searchesMatchByteLoops() {
        for bytes in Self.samples() {
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...bytes.count {
                    let rest = start..<bytes.count
                    let quoteOrSlash = rest.first { bytes[$0] == 0x22 || bytes[$0] == 0x5C } ?? bytes.count
                    #expect(
                        ByteSearch.firstIndex(of: 0x22, or: 0x5C, in: buffer, from: start) == quoteOrSlash,
                        "\(bytes) \(start)")
                    let escape =
                        rest.first { bytes[$0] < 0x20 || bytes[$0] == 0x22 || bytes[$0] == 0x5C } ?? bytes.count
                    #expect(ByteSearch.firstNeedingEscape(in: buffer, from: start) == escape, "\(bytes) \(start)")
                    let nonAlnum = rest.first { !isAlnum(bytes[$0]) } ?? bytes.count
                    #expect(ByteSearch.firstNonAlnum(in: buffer, from: start) == nonAlnum, "\(bytes) \(start)")
                }
            }
        }
    }

    @Test func runWordsMatchesAByteLoop() {
        func isRun(_ byte: UInt8) -> Bool { isAlnum(byte) || Array("+/_-".utf8).contains(byte) }
        for bytes in Self.samples() {
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...bytes.count {
                    for previous in [false, true] {
                        let words = ByteSearch.runWords(in: buffer, from: start, previousIsAlnum: previous)
                        // Whole words of run bytes only.
                        var end = start
                        while end + 8 <= bytes.count && bytes[end..<(end + 8)].allSatisfy(isRun) { end += 8 }
                        #expect(words.end == end)
                        let consumed = bytes[start..<end]
                        #expect(words.digits == consumed.contains { $0 >= 0x30 && $0 <= 0x39 })
                        #expect(words.letters == consumed.contains { isAlnum($0) && $0 > 0x39 })
                        #expect(
                            words.nonHex
                                == consumed.contains {
                                    isRun($0)
                                        && !(($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66)
                                            || $0 == 0x2D)
                                })
                        let firstNumber =
                            (start..<end).first { index in
                                bytes[index] >= 0x30 && bytes[index] <= 0x39
                                    && !(index == start ? previous : isAlnum(bytes[index - 1]))
                            } ?? -1
                        #expect(words.firstNumber == firstNumber)
                        #expect(words.lastIsAlnum == (end > start ? isAlnum(bytes[end - 1]) : previous))
                    }
                }
            }
        }
    }
}
