import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct SystemRandomTests {
    @Test func fillsEveryByteAcrossChunkBoundaries() {
        // 1000 bytes span several 256-byte getentropy calls; a zero run of 64 bytes anywhere (a
        // chunk left unfilled) has probability 2^-512.
        for _ in 0..<20 {
            let bytes = SystemRandom.bytes(count: 1000)
            #expect(bytes.count == 1000)
            for start in stride(from: 0, to: 1000 - 64, by: 32) {
                #expect(bytes[start..<start + 64].contains { $0 != 0 }, "zero run at \(start)")
            }
        }
        #expect(SystemRandom.bytes(count: 0).isEmpty)
    }

    @Test func outputIsRoughlyUniformAndNotRepeated() {
        // Chi-square over byte values of 256 KiB: 255 degrees of freedom, mean 255, sd ~22.6;
        // 400 is beyond 6 sd (a false failure is astronomically unlikely).
        let bytes = SystemRandom.bytes(count: 1 << 18)
        var histogram = [Int](repeating: 0, count: 256)
        for byte in bytes { histogram[Int(byte)] += 1 }
        let expected = Double(bytes.count) / 256
        let chiSquare = histogram.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 400)
        let draws = (0..<1000).map { _ in SystemRandom.next(UInt64.self) }
        #expect(Set(draws).count == draws.count)
        var generator = SystemRandomGenerator()
        let dice = (0..<600).map { _ in Int.random(in: 1...6, using: &generator) }
        #expect(Set(dice) == Set(1...6))
    }
}
