import Foundation
@testable import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct UUIDv7Tests {
    @Test func rfc9562ExampleLayout() throws {
        // RFC 9562 Appendix A.6: 017F22E2-79B0-7CC3-98C4-DC0C0C07398F.
        let id = UUIDv7(timestampMilliseconds: 0x017F_22E2_79B0, randA: 0xCC3, randB: 0x18C4_DC0C_0C07_398F)
        #expect(id.uuidString == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
        #expect(
            id.bytes == [
                0x01, 0x7F, 0x22, 0xE2, 0x79, 0xB0, 0x7C, 0xC3,
                0x98, 0xC4, 0xDC, 0x0C, 0x0C, 0x07, 0x39, 0x8F,
            ])
        #expect(id.timestampMilliseconds == 1_645_557_742_000)
        #expect(id.randA == 0xCC3 && id.randB == 0x18C4_DC0C_0C07_398F)
        #expect(UUIDv7(parsing: "017F22E2-79B0-7CC3-98C4-DC0C0C07398F") == id)
        #expect(UUIDv7(bytes: id.bytes) == id)
        #expect(id.description == id.uuidString)
    }

    @Test func versionVariantAndTimestampFields() {
        let moments: [Int64] = [0, 1, 1_614_265_330_123, Clock.unixMilliseconds(), UUIDv7.maximumTimestampMilliseconds]
        for milliseconds in moments {
            for id in [
                UUIDv7.generate(at: milliseconds),
                UUIDv7(timestampMilliseconds: milliseconds, randA: .max, randB: .max),
                UUIDv7(timestampMilliseconds: milliseconds, randA: 0, randB: 0),
            ] {
                let bytes = id.bytes
                #expect(bytes.count == 16)
                #expect(bytes[6] >> 4 == 7, "version")
                #expect(bytes[8] >> 6 == 0b10, "variant")
                let field = bytes[0..<6].reduce(Int64(0)) { $0 << 8 | Int64($1) }
                #expect(field == milliseconds && id.timestampMilliseconds == milliseconds)
            }
        }
        // Out-of-range inputs are clamped or masked, never trapped on.
        #expect(UUIDv7(timestampMilliseconds: -5, randA: 0, randB: 0).timestampMilliseconds == 0)
        #expect(UUIDv7.generate(at: .max).timestampMilliseconds == UUIDv7.maximumTimestampMilliseconds)
        #expect(UUIDv7(timestampMilliseconds: 1, randA: .max, randB: .max).randA == 0xfff)
        #expect(UUIDv7(timestampMilliseconds: 1, randA: .max, randB: .max).randB == 1 << 62 - 1)
    }

    @Test func generateUsesTheCurrentTime() {
        let before = Clock.unixMilliseconds()
        let id = UUIDv7.generate()
        let after = Clock.unixMilliseconds()
        #expect(id.timestampMilliseconds >= before && id.timestampMilliseconds <= after)
    }

    @Test func canonicalStringRoundTrip() throws {
        for _ in 0..<1000 {
            let id = UUIDv7.generate()
            let text = id.uuidString
            #expect(text.count == 36 && text == text.lowercased())
            #expect(Array(text).enumerated().allSatisfy { [8, 13, 18, 23].contains($0.offset) == ($0.element == "-") })
            #expect(UUIDv7(parsing: text) == id)
            #expect(UUIDv7(parsing: text.uppercased()) == id)
            #expect(UUID(uuidString: text).map { $0.uuidString.lowercased() } == text)  // Foundation agrees
        }
    }

    @Test(arguments: [
        "", "017f22e2-79b0-7cc3-98c4-dc0c0c07398", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f0",
        "017f22e279b07cc398c4dc0c0c07398f", "{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}",
        "017f22e2_79b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4-dc0c0c07398g",
        "017f22e2-79b0-4cc3-98c4-dc0c0c07398f",  // version 4
        "017f22e2-79b0-7cc3-c8c4-dc0c0c07398f",  // variant 110
        "017f22e2-79b0-7cc3-78c4-dc0c0c07398f",  // variant 0
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398é",
    ])
    func rejectsNonCanonicalOrNonV7Text(_ text: String) {
        #expect(UUIDv7(parsing: text) == nil)
    }

    @Test func rejectsWrongBytes() {
        let good = UUIDv7(timestampMilliseconds: 42, randA: 1, randB: 2).bytes
        #expect(UUIDv7(bytes: good) != nil)
        #expect(UUIDv7(bytes: good.dropLast()) == nil)
        var version4 = good
        version4[6] = 0x40 | version4[6] & 0x0f
        #expect(UUIDv7(bytes: version4) == nil)
    }

    @Test func tightLoopIsStrictlyIncreasing() {
        // Strictly increasing implies unique. HOOKKIT_STRESS=1 runs ten times as many.
        let count = CryptoTestSupport.stress ? 10_000_000 : 1_000_000
        var previous = UUIDv7.generate()
        var increasing = 0
        let first = previous
        for _ in 0..<count {
            let next = UUIDv7.generate()
            if previous < next { increasing += 1 }
            previous = next
        }
        #expect(increasing == count)
        #expect(previous.timestampMilliseconds >= first.timestampMilliseconds)
        // Ids sort the same as their strings (the canonical form is fixed-width lowercase hex).
        #expect((first < previous) == (first.uuidString < previous.uuidString))
    }

    @Test func monotonicAndUniqueAcrossThreads() {
        let threads = 4
        let perThread = CryptoTestSupport.stress ? 500_000 : 50_000
        let results = ResultsBox(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var ids: [UUIDv7] = []
            ids.reserveCapacity(perThread)
            for _ in 0..<perThread { ids.append(UUIDv7.generate()) }
            results.store(ids, at: thread)
        }
        let all = results.all
        #expect(all.count == threads)
        for ids in all {
            #expect(ids.count == perThread)
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "each thread sees increasing ids")
        }
        #expect(Set(all.joined()).count == threads * perThread, "all ids unique")
    }

    @Test func generatorStaysMonotonicWhenTheClockStallsOrStepsBack() {
        var generator = UUIDv7.Generator()
        var ids: [UUIDv7] = []
        // Same millisecond, then a step back of 5 s, then forward again.
        let clock: [Int64] = [1000, 1000, 1000, 995, 5, 1000, 1001, 1001, 2000]
        for (index, milliseconds) in clock.enumerated() {
            ids.append(
                generator.next(clockMilliseconds: milliseconds, randomBits: UInt64(index) &* 0x9e37_79b9_7f4a_7c15))
        }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ids.map(\.timestampMilliseconds) == [1000, 1000, 1000, 1000, 1000, 1000, 1001, 1001, 2000])
        // Even with the same random bits every time (the counter alone orders them).
        var fixed = UUIDv7.Generator()
        let same = (0..<100).map { _ in fixed.next(clockMilliseconds: 7, randomBits: .max) }
        #expect(zip(same, same.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func counterOverflowBorrowsTheNextMillisecond() {
        // A counter one step from exhausting its 42 bits.
        var generator = UUIDv7.Generator(lastMilliseconds: 500, counter: 1 << 42 - 1)
        let before = UUIDv7(timestampMilliseconds: 500, randA: 0xfff, randB: 1 << 62 - 1)
        let next = generator.next(clockMilliseconds: 500, randomBits: 0)
        #expect(next.timestampMilliseconds == 501 && next > before)
        #expect(generator.next(clockMilliseconds: 500, randomBits: 0) > next)
    }

    @Test func exactTimestampsAgreeWithTheEvent() {
        var generator = UUIDv7.Generator()
        let a = generator.next(exactMilliseconds: 2000, randomBits: 1 << 40)
        let b = generator.next(exactMilliseconds: 2000, randomBits: 1 << 40)
        let c = generator.next(exactMilliseconds: 2001, randomBits: 0)
        #expect(a < b && b < c)
        // An older timestamp keeps its value (so it sorts before c) and restarts the sequence
        // there, which is increasing again from then on.
        let old = generator.next(exactMilliseconds: 1500, randomBits: 0xdead_beef_0000_0000)
        #expect(old.timestampMilliseconds == 1500 && old < c)
        let after = generator.next(exactMilliseconds: 1500, randomBits: .max)
        #expect(after > old && after.timestampMilliseconds == 1500)
        #expect(generator.next(exactMilliseconds: 1501, randomBits: 0) > after)
        // Through the process-wide generator too.
        let now = Clock.unixMilliseconds()
        let ids = (0..<1000).map { _ in UUIDv7.generate(at: now) }
        #expect(ids.allSatisfy { $0.timestampMilliseconds == now })
        #expect(Set(ids).count == ids.count)
        // A far-future timestamp does not drag generate() along with it.
        _ = UUIDv7.generate(at: UUIDv7.maximumTimestampMilliseconds)
        #expect(UUIDv7.generate().timestampMilliseconds <= Clock.unixMilliseconds())
    }

    /// Collects per-thread results; each slot is written by one thread only.
    private final class ResultsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [[UUIDv7]]
        init(count: Int) { slots = Array(repeating: [], count: count) }
        func store(_ ids: [UUIDv7], at index: Int) { lock.withLock { slots[index] = ids } }
        var all: [[UUIDv7]] { lock.withLock { slots } }
    }
}
