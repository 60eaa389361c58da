/// Masks secrets in text before it leaves the process: the rules of a ``RedactionMode`` plus the
/// custom words, each match replaced by `[REDACTED:<rule-id>]`.
///
/// Plain text goes through ``redactText(_:counts:)``. A JSON string value goes through
/// ``redactValue(_:key:counts:)``, which first applies the rules that need the value's object key
/// (`{"password": "..."}`, `{"Authorization": "Bearer ..."}`), then the text rules. Passes, in
/// order: custom words, the `secrets` rules, then (strict) `email`, `ipv4`, `high-entropy`. Every
/// pass is linear in its input.
package struct Redactor: Sendable {
    /// Which rules run.
    package var mode: RedactionMode
    private let words: CustomWords

    /// A redactor for `mode` with literal `customWords` (ignored when `mode` is `.off`).
    package init(mode: RedactionMode, customWords: [String] = []) {
        self.mode = mode
        words = CustomWords(mode == .off ? [] : customWords)
    }

    /// The redactor `configuration` asks for.
    package init(configuration: Configuration) {
        self.init(mode: configuration.redactMode, customWords: configuration.redactWords)
    }

    /// Whether this redactor changes anything at all.
    package var isActive: Bool { mode != .off }

    /// Redacts plain text; nil when nothing matched. Bytes that are not UTF-8 are kept as they are.
    package func redactText(_ input: UnsafeBufferPointer<UInt8>, counts: inout RedactionCounts) -> [UInt8]? {
        redactText(input, highEntropy: true, counts: &counts)
    }

    private func redactText(
        _ input: UnsafeBufferPointer<UInt8>, highEntropy: Bool, counts: inout RedactionCounts
    ) -> [UInt8]? {
        guard mode != .off else { return nil }
        var current: [UInt8]? = words.isEmpty ? nil : words.redact(input, counts: &counts)
        func pass(_ run: (UnsafeBufferPointer<UInt8>) -> ([UInt8]?, RedactionCounts)) {
            let (result, found) =
                current.map { text in text.withUnsafeBufferPointer { run($0) } } ?? run(input)
            if let result {
                current = result
                counts.add(found)
            }
        }
        pass { buffer in
            var scanner = SecretScanner(buffer)
            return (scanner.run(), scanner.writer.counts)
        }
        if mode == .strict {
            pass { buffer in
                var scanner = StrictScanner(buffer, highEntropy: highEntropy)
                return (scanner.run(), scanner.writer.counts)
            }
        }
        return current
    }

    /// Redacts plain text, returning the result (the input itself when nothing matched).
    package func redactText(_ input: [UInt8]) -> (text: [UInt8], counts: RedactionCounts) {
        var counts = RedactionCounts()
        let result = input.withUnsafeBufferPointer { redactText($0, counts: &counts) }
        return (result ?? input, counts)
    }

    /// Redacts the decoded contents of a JSON string value whose object key is `key` (nil inside
    /// arrays and at the root); nil when nothing matched.
    ///
    /// Under a credential's key (see ``SecretNames``) the whole value is replaced when it is a
    /// literal of at least 8 bytes (`secret-assignment`, or `aws-secret-access-key` for a 40-byte
    /// AWS secret); under `Authorization` only the credential after the scheme word is.
    package func redactValue(
        _ value: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>?, counts: inout RedactionCounts
    ) -> [UInt8]? {
        guard mode != .off else { return nil }
        if let key, let kind = SecretNames.classify(key) {
            var writer = RedactionWriter(value)
            switch kind {
            case .authorization:
                let text = ScanText(value)
                let start = text.runEnd(from: 0, limit: 16) { $0 == 0x20 || $0 == 0x09 }
                if let range = SecretScanner.authorizationCredential(in: text, from: start) {
                    writer.replace(range, with: .authorizationHeader)
                }
            case .awsSecretAccessKey
            where value.count == 40 && value.allSatisfy(Self.isAWSSecretByte) && !SecretValues.isPlaceholder(value):
                writer.replace(0..<value.count, with: .awsSecretAccessKey)
            case .awsSecretAccessKey, .secret:
                if value.count <= 4096,
                    SecretValues.isSecretLiteral(value, quoted: true, stop: 0, allowSpaces: true)
                {
                    // A value that is exactly a recognised token keeps that rule's id.
                    var scanner = SecretScanner(value)
                    var rule = RedactionRule.secretAssignment
                    if let (range, tokenRule) = scanner.prefixedSecret(at: 0), range.count == value.count {
                        rule = tokenRule
                    }
                    writer.replace(0..<value.count, with: rule)
                }
            }
            if let whole = writer.finish() {
                counts.add(writer.counts)
                // The rest of an Authorization value (the scheme) is still scanned.
                let rest = whole.withUnsafeBufferPointer { redactText($0, counts: &counts) }
                return rest ?? whole
            }
        }
        return redactText(value, highEntropy: !(key.map(MetadataOnly.isIDKey) ?? false), counts: &counts)
    }

    private static func isAWSSecretByte(_ byte: UInt8) -> Bool {
        ByteClass.isAlnum(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "=")
    }
}
