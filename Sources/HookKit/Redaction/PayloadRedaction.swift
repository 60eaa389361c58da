/// Applies redaction and the content mode to a JSON text: the step between reading a hook's
/// input and spooling it.
///
/// Walks the text once. Every string value is decoded (escapes resolved, so a PEM key written
/// with `\n` escapes is seen whole), scanned, and written back escaped only if something changed;
/// unchanged strings, object keys, numbers, literals and white space are copied byte for byte, so
/// the result is valid JSON of the same shape (minified input stays minified). In metadata mode
/// string values other than the kept ones (see ``MetadataOnly``) become `{"omitted":true,...}`.
package struct PayloadFilter: Sendable {
    /// The secrets masked in kept strings.
    package var redactor: Redactor
    /// Whether strings are kept at all.
    package var contentMode: ContentMode

    /// A filter from its parts.
    package init(redactor: Redactor, contentMode: ContentMode) {
        self.redactor = redactor
        self.contentMode = contentMode
    }

    /// The filter `configuration` asks for.
    package init(configuration: Configuration) {
        self.init(redactor: Redactor(configuration: configuration), contentMode: configuration.contentMode)
    }

    /// Whether the filter can change anything.
    package var isActive: Bool { redactor.isActive || contentMode == .metadata }

    /// Filters `json`, a valid JSON text (as ``JSONScanner`` accepts); nil when nothing changed.
    /// Replacements are added to `counts`.
    package func apply(_ json: [UInt8], counts: inout RedactionCounts) -> [UInt8]? {
        guard isActive else { return nil }
        return json.withUnsafeBufferPointer { apply($0, counts: &counts) }
    }

    /// Filters plain text that is not JSON: redacted, and in metadata mode replaced by the
    /// omitted-string object. Returns the bytes to show.
    package func applyText(_ bytes: [UInt8], counts: inout RedactionCounts) -> [UInt8] {
        var found = RedactionCounts()
        let redacted = bytes.withUnsafeBufferPointer { redactor.redactText($0, counts: &found) } ?? bytes
        counts.add(found)
        guard contentMode == .metadata else { return redacted }
        var output: [UInt8] = []
        redacted.withUnsafeBufferPointer {
            MetadataOnly.appendOmitted(byteCount: bytes.count, hashing: $0, to: &output)
        }
        return output
    }

    private func apply(_ json: UnsafeBufferPointer<UInt8>, counts: inout RedactionCounts) -> [UInt8]? {
        var output: [UInt8] = []
        var copied = 0
        var changed = false
        var depth = 0
        var afterColon = false
        var key: Range<Int>?
        let count = json.count
        var index = 0
        while index < count {
            switch json[index] {
            case UInt8(ascii: "\""):
                let start = index
                var hasEscape = false
                index += 1
                while true {
                    index = ByteSearch.firstIndex(of: UInt8(ascii: "\""), or: UInt8(ascii: "\\"), in: json, from: index)
                    guard index < count, json[index] == UInt8(ascii: "\\") else { break }
                    hasEscape = true
                    index += 2
                }
                let end = min(index, count)  // the closing quote
                index = end + 1
                var next = index
                while next < count && ByteClass.isSpace(json[next]) { next += 1 }
                if next < count && json[next] == UInt8(ascii: ":") {
                    key = (start + 1)..<end
                    continue
                }
                let valueKey = afterColon ? key : nil
                afterColon = false
                if filterString(
                    json, content: (start + 1)..<end, hasEscape: hasEscape, key: valueKey, depth: depth,
                    pending: copied..<start, output: &output, counts: &counts)
                {
                    changed = true
                    copied = min(index, count)
                }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                afterColon = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                afterColon = false
            case UInt8(ascii: ":"): afterColon = true
            case UInt8(ascii: ","): afterColon = false
            default: break
            }
            index += 1
        }
        guard changed else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: json[copied...]))
        return output
    }

    /// Appends `json[pending]` and the JSON text replacing one string value to `output` and
    /// returns true, or returns false (leaving `output` as it was) to keep the string as it is.
    private func filterString(
        _ json: UnsafeBufferPointer<UInt8>, content: Range<Int>, hasEscape: Bool, key: Range<Int>?, depth: Int,
        pending: Range<Int>, output: inout [UInt8], counts: inout RedactionCounts
    ) -> Bool {
        let raw = UnsafeBufferPointer(rebasing: json[content])
        let keyBytes = key.map { UnsafeBufferPointer(rebasing: json[$0]) }
        let omit = contentMode == .metadata && !MetadataOnly.keeps(key: keyBytes, depth: depth)
        guard redactor.isActive || omit else { return false }
        func filter(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
            let redacted = redactor.redactValue(value, key: keyBytes, counts: &counts)
            if omit || redacted != nil {
                if output.isEmpty { output.reserveCapacity(json.count + 64) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: json[pending]))
            }
            if omit {
                if let redacted {
                    redacted.withUnsafeBufferPointer {
                        MetadataOnly.appendOmitted(byteCount: value.count, hashing: $0, to: &output)
                    }
                } else {
                    MetadataOnly.appendOmitted(byteCount: value.count, hashing: value, to: &output)
                }
                return true
            }
            guard let redacted else { return false }
            // Valid UTF-8: decoded from validated JSON, with ASCII markers put in at ASCII boundaries.
            redacted.withUnsafeBufferPointer { JSONWriter.appendEscapedBytes($0, to: &output) }
            return true
        }
        guard hasEscape else { return filter(raw) }
        return JSONString.decodeBytes(raw).withUnsafeBufferPointer { filter($0) }
    }
}
