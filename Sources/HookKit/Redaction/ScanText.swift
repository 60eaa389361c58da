/// The bytes a scanner reads, with the small byte-level helpers every rule uses.
///
/// All rules are hand-written scanners over UTF-8 bytes (no regular expressions): every class they
/// test is ASCII, so a match never starts or ends inside a multi-byte character, and bytes that
/// are not valid UTF-8 simply never match.
struct ScanText {
    let bytes: UnsafeBufferPointer<UInt8>
    var count: Int { bytes.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The byte at `index`, or 0 past either end (0 belongs to no class a rule tests).
    @inline(__always) subscript(index: Int) -> UInt8 {
        index >= 0 && index < bytes.count ? bytes[index] : 0
    }

    /// Whether `literal` (ASCII) is at `index`.
    @inline(__always) func has(_ literal: StaticString, at index: Int) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index >= 0, bytes.count - index >= length else { return false }
        let start = literal.utf8Start
        for offset in 0..<length where bytes[index + offset] != start[offset] { return false }
        return true
    }

    /// Whether `literal` (ASCII lowercase) is at `index`, ignoring ASCII case.
    func hasIgnoringCase(_ literal: StaticString, at index: Int) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index >= 0, bytes.count - index >= length else { return false }
        let start = literal.utf8Start
        for offset in 0..<length where ByteClass.lowercased(bytes[index + offset]) != start[offset] { return false }
        return true
    }

    /// The end of the run of bytes satisfying `test` that starts at `index`, looking at most
    /// `limit` bytes ahead.
    @inline(__always) func runEnd(from index: Int, limit: Int = .max, _ test: (UInt8) -> Bool) -> Int {
        let stop = limit >= bytes.count - index ? bytes.count : index + limit
        var end = index
        while end < stop && test(bytes[end]) { end += 1 }
        return end
    }

    /// The start of the run of bytes satisfying `test` that ends just before `index`, looking at
    /// most `limit` bytes back and never before `floor`.
    @inline(__always) func runStart(before index: Int, floor: Int = 0, limit: Int, _ test: (UInt8) -> Bool) -> Int {
        let stop = max(floor, index - limit)
        var start = index
        while start > stop && test(bytes[start - 1]) { start -= 1 }
        return start
    }
}

/// ASCII character classes.
enum ByteClass {
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }
    @inline(__always) static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isAlnum(_ byte: UInt8) -> Bool { isDigit(byte) || isAlpha(byte) }
    /// `[A-Za-z0-9_]`
    @inline(__always) static func isWord(_ byte: UInt8) -> Bool { isAlnum(byte) || byte == UInt8(ascii: "_") }
    /// `[A-Za-z0-9_-]`: base64url, and most token alphabets.
    @inline(__always) static func isTokenChar(_ byte: UInt8) -> Bool {
        isWord(byte) || byte == UInt8(ascii: "-")
    }
    /// Space, tab, CR, LF, vertical tab, form feed.
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
    /// `"`, `'` or a backtick.
    @inline(__always) static func isQuote(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "`")
    }
    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte | 0x20 : byte }
}

/// Builds a scanner's output: the input with matched ranges replaced by markers. Nothing is
/// copied until the first replacement, so text without secrets costs no allocation.
struct RedactionWriter {
    let input: UnsafeBufferPointer<UInt8>
    private(set) var output: [UInt8] = []
    /// Input before this offset is already in `output` (or was replaced).
    private(set) var copied = 0
    private(set) var changed = false
    var counts = RedactionCounts()

    init(_ input: UnsafeBufferPointer<UInt8>) { self.input = input }

    /// Replaces `range` (at or after every earlier replacement) with `rule`'s marker.
    mutating func replace(_ range: Range<Int>, with rule: RedactionRule) {
        guard range.upperBound > copied else { return }  // already inside an earlier replacement
        if !changed {
            changed = true
            output.reserveCapacity(input.count + 32)
        }
        let start = max(range.lowerBound, copied)
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied..<start]))
        let marker = rule.marker
        output.append(contentsOf: UnsafeBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount))
        copied = max(copied, range.upperBound)
        counts[rule] += 1
    }

    /// The redacted text, or nil when nothing was replaced.
    mutating func finish() -> [UInt8]? {
        guard changed else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied...]))
        copied = input.count
        return output
    }
}
