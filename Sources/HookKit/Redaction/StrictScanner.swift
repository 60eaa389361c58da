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
            let bytes = text.bytes
            let count = bytes.count
            var index = 0
            scan: while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "@") {
                    if let (range, rule) = email(at: index) {
                        writer.replace(range, with: rule)
                        index = range.upperBound
                        continue
                    }
                } else if EntropyScanner.isRunByte(byte) {
                    // A plain word (letters and digits, shorter than a token, ended by a blank or
                    // punctuation) can hold neither: skip it whole.
                    if ByteClass.isAlpha(byte) {
                        let wordEnd = ByteSearch.firstNonAlnum(in: bytes, from: index + 1)
                        if wordEnd - index < EntropyScanner.minimumLength
                            && (wordEnd == count || !EntropyScanner.isRunByte(bytes[wordEnd]))
                        {
                            index = wordEnd
                            continue
                        }
                    }
                    // A whole run at once, in one pass: what it is made of, and where a number
                    // starts (an IPv4 address can only start at a digit after a non-alphanumeric).
                    var end = index
                    var digits = false
                    var letters = false
                    var hexOnly = true
                    var firstNumber = -1
                    var previousAlnum = index > writer.copied && ByteClass.isAlnum(text[index - 1])
                    // Whole words of eight run bytes at a time; the word holding the end, `=` and
                    // the last few bytes go through the byte loop below.
                    let fast = ByteSearch.runWords(in: bytes, from: end, previousIsAlnum: previousAlnum)
                    if fast.end > end {
                        end = fast.end
                        digits = fast.digits
                        letters = fast.letters
                        hexOnly = !fast.nonHex
                        firstNumber = fast.firstNumber
                        previousAlnum = fast.lastIsAlnum
                    }
                    while end < count {
                        let current = bytes[end]
                        if ByteClass.isDigit(current) {
                            digits = true
                            if !previousAlnum && firstNumber < 0 { firstNumber = end }
                            previousAlnum = true
                        } else if ByteClass.isAlpha(current) {
                            letters = true
                            if (current | 0x20) > UInt8(ascii: "f") { hexOnly = false }
                            previousAlnum = true
                        } else if EntropyScanner.isRunByte(current) {
                            // `=` is base64 padding only at the end; inside, it separates a name
                            // from its value (SESSION=...), which then count as two runs.
                            if current == UInt8(ascii: "="), end + 1 < count, bytes[end + 1] != UInt8(ascii: "="),
                                EntropyScanner.isRunByte(bytes[end + 1])
                            {
                                break
                            }
                            if current != UInt8(ascii: "-") { hexOnly = false }
                            previousAlnum = false
                        } else {
                            break
                        }
                        end += 1
                    }
                    if end == index {  // a lone `=` between a name and a value
                        index += 1
                        continue
                    }
                    if highEntropy, end - index >= EntropyScanner.minimumLength, digits, letters, !hexOnly,
                        EntropyScanner.isHighEntropy(text, index..<end, counts: counts)
                    {
                        writer.replace(index..<end, with: .highEntropy)
                        index = end
                        continue
                    }
                    if firstNumber >= 0 {
                        for position in firstNumber..<end where ByteClass.isDigit(bytes[position]) {
                            if let (range, rule) = ipv4(at: position) {
                                writer.replace(range, with: rule)
                                index = range.upperBound
                                continue scan
                            }
                        }
                    }
                    index = end
                    continue
                }
                index += 1
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
