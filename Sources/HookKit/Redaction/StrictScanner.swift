/// The rules `strict` mode adds: `email`, `ipv4`, `high-entropy`. Runs after the `secrets` pass,
/// on its output, so the specific rules name what they recognise first.
struct StrictScanner {
    let text: ScanText
    var writer: RedactionWriter
    /// False for the value of an id (`tool_use_id`, `id`): ids are random by design and are what
    /// dashboards correlate on.
    let highEntropy: Bool

    init(_ bytes: UnsafeBufferPointer<UInt8>, highEntropy: Bool = true) {
        text = ScanText(bytes)
        writer = RedactionWriter(bytes)
        self.highEntropy = highEntropy
    }

    mutating func run() -> [UInt8]? {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            let count = text.count
            var index = 0
            while index < count {
                let byte = text.bytes[index]
                var match: (Range<Int>, RedactionRule)?
                if byte == UInt8(ascii: "@") {
                    match = email(at: index)
                } else {
                    if ByteClass.isDigit(byte) { match = ipv4(at: index) }
                    if match == nil, highEntropy, EntropyScanner.isRunByte(byte),
                        index == writer.copied || !EntropyScanner.isRunByte(text[index - 1])
                    {
                        let end = text.runEnd(from: index, EntropyScanner.isRunByte)
                        if EntropyScanner.isHighEntropy(text, index..<end, counts: counts) {
                            match = (index..<end, .highEntropy)
                        }
                    }
                }
                if let (range, rule) = match {
                    writer.replace(range, with: rule)
                    index = max(range.upperBound, index + 1)
                } else {
                    index += 1
                }
            }
            return writer.finish()
        }
    }

    /// `email`: `local@domain.tld`: a local part of `[A-Za-z0-9._%+-]` (at most 64), a domain of
    /// at least two dot-separated labels of `[A-Za-z0-9-]`, the last of at least two letters.
    mutating func email(at index: Int) -> (Range<Int>, RedactionRule)? {
        let start = text.runStart(before: index, floor: writer.copied, limit: 64) { byte in
            ByteClass.isAlnum(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        }
        guard start < index, text[start] != UInt8(ascii: ".") else { return nil }
        var position = index + 1
        var labels = 0
        var lastLabelAlpha = false
        var end = position
        while labels < 127 {
            let labelEnd = text.runEnd(from: position, limit: 64) { ByteClass.isAlnum($0) || $0 == UInt8(ascii: "-") }
            guard labelEnd > position else { break }
            labels += 1
            lastLabelAlpha =
                labelEnd - position >= 2 && (position..<labelEnd).allSatisfy { ByteClass.isAlpha(text.bytes[$0]) }
            end = labelEnd
            guard text[labelEnd] == UInt8(ascii: "."), ByteClass.isAlnum(text[labelEnd + 1]) else { break }
            position = labelEnd + 1
        }
        guard labels >= 2, lastLabelAlpha else { return nil }
        return (start..<end, .email)
    }

    /// `ipv4`: four decimal octets (0-255) separated by dots, not part of a longer dotted number.
    /// Loopback (127.x.x.x) and 0.0.0.0 identify nobody and are left alone.
    mutating func ipv4(at index: Int) -> (Range<Int>, RedactionRule)? {
        let previous = text[index - 1]
        guard index == writer.copied || !(previous == UInt8(ascii: ".") || ByteClass.isAlnum(previous)) else {
            return nil
        }
        var position = index
        var first = 0
        var allZero = true
        for part in 0..<4 {
            let end = text.runEnd(from: position, limit: 4, ByteClass.isDigit)
            guard end > position, end - position <= 3 else { return nil }
            var value = 0
            for digit in position..<end { value = value * 10 + Int(text.bytes[digit] - 0x30) }
            guard value <= 255 else { return nil }
            if part == 0 { first = value }
            if value != 0 { allZero = false }
            position = end
            if part < 3 {
                guard text[position] == UInt8(ascii: ".") else { return nil }
                position += 1
            }
        }
        if ByteClass.isAlnum(text[position]) { return nil }
        if text[position] == UInt8(ascii: "."), ByteClass.isDigit(text[position + 1]) { return nil }
        if first == 127 || allZero { return nil }
        return (index..<position, .ipv4)
    }
}
