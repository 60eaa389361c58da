/// Finding the next interesting byte eight bytes at a time (SWAR: SIMD within a register).
///
/// Redaction reads every byte of every string; most of them are letters and digits, or text
/// between escapes. These searches test a whole 64-bit word per step with branch-free bit
/// arithmetic and fall back to single bytes only for the last few. On a match the lowest flagged
/// byte is exact (a borrow can only add false flags above a true one), so the first index found is
/// always right. Big-endian platforms use the byte loop.
package enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The first index at or after `start` holding `first` or `second`, else `bytes.count`.
    @inline(__always)
    package static func firstIndex(
        of first: UInt8, or second: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int
    )
        -> Int
    {
        var index = start
        #if _endian(little)
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let patternA = ones &* UInt64(first)
            let patternB = ones &* UInt64(second)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let a = word ^ patternA
                let b = word ^ patternB
                let flags = ((a &- ones) & ~a | (b &- ones) & ~b) & highs
                if flags != 0 { return index + flags.trailingZeroBitCount >> 3 }
                index += 8
            }
        }
        #endif
        while index < bytes.count && bytes[index] != first && bytes[index] != second { index += 1 }
        return index
    }

    /// The first index at or after `start` of a byte a JSON string must escape (a control
    /// character, `"` or `\`), else `bytes.count`.
    @inline(__always)
    package static func firstNeedingEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        #if _endian(little)
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let quotes = ones &* 0x22
            let backslashes = ones &* 0x5C
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let control = (word &- ones &* 0x20) & ~word
                let q = word ^ quotes
                let b = word ^ backslashes
                let flags = (control | (q &- ones) & ~q | (b &- ones) & ~b) & highs
                if flags != 0 { return index + flags.trailingZeroBitCount >> 3 }
                index += 8
            }
        }
        #endif
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
            index += 1
        }
        return index
    }

    /// What ``runWords(in:from:previousIsAlnum:)`` saw.
    package struct RunWords {
        /// The end of the whole words consumed (`start` when none).
        package var end: Int
        /// Whether a digit was seen.
        package var digits = false
        /// Whether a letter was seen.
        package var letters = false
        /// A letter after `f`, or `+`, `/`, `_` (anything but hex digits and `-`).
        package var nonHex = false
        /// The first digit that follows a non-alphanumeric byte, or -1.
        package var firstNumber = -1
        /// Whether the last byte consumed is a letter or digit.
        package var lastIsAlnum = false
    }

    /// Consumes eight-byte words made only of `[A-Za-z0-9+/_-]` (`high-entropy`'s run alphabet
    /// without `=`) from `start`, noting what they hold; stops before the first word with any
    /// other byte, or fewer than eight bytes left.
    package static func runWords(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, previousIsAlnum: Bool)
        -> RunWords
    {
        var summary = RunWords(end: start, lastIsAlnum: previousIsAlnum)
        #if _endian(little)
        guard let base = bytes.baseAddress else { return summary }
        let raw = UnsafeRawPointer(base)
        let low7 = ones &* 0x7F
        @inline(__always) func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
            let difference = word ^ (ones &* UInt64(byte))
            return ~((difference & low7 &+ low7) | difference) & highs
        }
        var carry: UInt64 = previousIsAlnum ? 0x80 : 0
        var index = start
        while index + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let seven = word & low7
            let ascii = ~word & highs
            let folded = seven | ones &* 0x20
            let digit = (seven &+ ones &* (0x80 - 0x30)) & ~(seven &+ ones &* (0x80 - 0x3A)) & ascii
            let letter = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x7B)) & ascii
            let hexLetter = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x67)) & ascii
            let symbols =
                equal(word, UInt8(ascii: "+")) | equal(word, UInt8(ascii: "/")) | equal(word, UInt8(ascii: "_"))
            let alnum = digit | letter
            let run = alnum | symbols | equal(word, UInt8(ascii: "-"))
            guard run == highs else { break }
            if digit != 0 { summary.digits = true }
            if letter != 0 { summary.letters = true }
            if (letter & ~hexLetter) | symbols != 0 { summary.nonHex = true }
            let numberStarts = digit & ~(alnum << 8 | carry)
            if summary.firstNumber < 0 && numberStarts != 0 {
                summary.firstNumber = index + numberStarts.trailingZeroBitCount >> 3
            }
            carry = (alnum >> 56) & 0x80
            index += 8
        }
        summary.end = index
        summary.lastIsAlnum = index > start ? carry != 0 : previousIsAlnum
        #endif
        return summary
    }

    /// The first index at or after `start` of a byte that is not an ASCII letter or digit, else
    /// `bytes.count`.
    @inline(__always)
    package static func firstNonAlnum(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        #if _endian(little)
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let low7 = ones &* 0x7F
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let seven = word & low7
                let folded = seven | ones &* 0x20
                // Per byte, high bit set when the (7-bit) byte is >= lo, resp. < hi: no carries
                // cross bytes because every byte is at most 0x7F before the addition.
                let digit = (seven &+ ones &* (0x80 - 0x30)) & ~(seven &+ ones &* (0x80 - 0x3A))
                let letter = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x7B))
                let alnum = (digit | letter) & ~word & highs
                let other = ~alnum & highs
                if other != 0 { return index + other.trailingZeroBitCount >> 3 }
                index += 8
            }
        }
        #endif
        while index < bytes.count && ByteClass.isAlnum(bytes[index]) { index += 1 }
        return index
    }
}
