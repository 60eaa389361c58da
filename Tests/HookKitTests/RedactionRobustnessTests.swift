import HookKit
import Testing

/// Bad input for redaction: matches spanning escapes, adversarial near-misses, invalid UTF-8,
/// huge strings. The output is always valid JSON and nothing crashes. (Speed is measured by
/// scripts/bench-redact.sh, not asserted here.)
@Suite struct RedactionRobustnessTests {
    func filter(_ json: [UInt8], mode: RedactionMode = .secrets) throws -> (text: [UInt8], counts: RedactionCounts) {
        var counts = RedactionCounts()
        let output =
            PayloadFilter(redactor: Redactor(mode: mode, customWords: ["needle"]), contentMode: .full)
            .apply(json, counts: &counts) ?? json
        _ = try JSONScanner.scan(output)
        return (output, counts)
    }

    func jsonString(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        JSONWriter.appendString(text, to: &output)
        return output
    }

    @Test func aKeySpanningEscapesIsFoundWhole() throws {
        var fake = RedactionFakes(seed: 3)
        let pem = fake.privateKey()
        // Every character of the PEM written as a \u escape: nothing of it is visible undecoded.
        let escaped = pem.unicodeScalars.map {
            "\\u" + String(repeating: "0", count: 4 - String($0.value, radix: 16).count) + String($0.value, radix: 16)
        }.joined()
        let (text, counts) = try filter(Array(#"{"stdout":"key:\n\#(escaped)\n"}"#.utf8))
        #expect(String(decoding: text, as: UTF8.self) == #"{"stdout":"key:\n[REDACTED:private-key]\n"}"#)
        #expect(counts[.privateKey] == 1)
    }

    static let nearMisses: [(String, String)] = [
        ("github", "ghp_" + String(repeating: "a1", count: 17) + "b "),
        ("aws", "AKIA" + String(repeating: "B2", count: 7) + "C "),
        ("gitlab", "glpat-" + String(repeating: "-", count: 19) + " "),
        ("google", "AIza-" + String(repeating: "AIza-", count: 6) + " "),
        ("jwt", "eyJ-" + String(repeating: "eyJ-", count: 30) + ".x "),
        ("jwt second segment", "eyJhbGciOiJIUzI1NiJ9.eyJ." + " "),
        ("pem", "-----BEGIN PRIVATE KEY-----\n"),
        ("anthropic", "sk-ant-" + String(repeating: "sk-ant-", count: 5) + " "),
        ("openai", "sk-proj-" + String(repeating: "x", count: 39) + " "),
        ("slack", "xoxb-" + String(repeating: "xoxb-", count: 1) + " "),
        ("url", "a://b:@c a://:x "),
        ("assignment", "password=abc password=$X token=a.b.c "),
        ("authorization", "Authorization: Bearer x, Authorization: Basic \n"),
        ("custom", "needl needl"),
        ("separators", "::::====::==:=:=" + String(repeating: "a=", count: 40) + " "),
    ]

    @Test(arguments: nearMisses.indices)
    func quarterMegabyteOfNearMissesComesOutUnchanged(_ index: Int) throws {
        let (name, unit) = Self.nearMisses[index]
        var text = ""
        while text.utf8.count < 256 * 1024 { text += unit }
        let json = Array(#"{"tool_response":"#.utf8) + jsonString(text) + Array("}".utf8)
        let (output, counts) = try filter(json)
        #expect(counts.isEmpty, "\(name): \(counts.nonZero.map { $0.rule.id })")
        let unchanged = output == json
        #expect(unchanged, "\(name)")
        let plain = Redactor(mode: .strict).redactText(Array(text.utf8))
        #expect(plain.counts[.custom] == 0, "\(name)")
    }

    @Test func invalidUTF8IsKeptAndNeverBreaksAMatchNearIt() {
        var fake = RedactionFakes(seed: 4)
        let token = fake.githubToken()
        let input: [UInt8] =
            [0xFF, 0xC3] + Array(" \(token) ".utf8) + [0xE2, 0x82] + Array("password=\(fake.password()) ".utf8) + [0x80]
        for mode in [RedactionMode.secrets, .strict] {
            let (output, counts) = Redactor(mode: mode).redactText(input)
            #expect(
                output == [0xFF, 0xC3] + Array(" [REDACTED:github-token] ".utf8) + [0xE2, 0x82]
                    + Array("password=[REDACTED:secret-assignment] ".utf8) + [0x80])
            #expect(counts.total == 2)
        }
    }

    @Test func tenMegabyteStringsAreHandledWhole() throws {
        var fake = RedactionFakes(seed: 5)
        let token = fake.slackToken()
        let filler = String(repeating: "lorem ipsum dolor sit amet ", count: 5 * 1024 * 1024 / 27)  // 10 MB in all
        let json = Array(#"{"a":"#.utf8) + jsonString(filler + token + " " + filler + token) + Array("}".utf8)
        let (output, counts) = try filter(json)
        #expect(counts[.slackToken] == 2)
        let expectedCount = json.count - 2 * (token.utf8.count - "[REDACTED:slack-token]".utf8.count)
        #expect(output.count == expectedCount)
        // One 10 MB run of token characters, and a long run of high-entropy base64, in strict mode.
        let run =
            Array(#"{"a":""#.utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 10 * 1024 * 1024) + Array(#""}"#.utf8)
        #expect(try filter(run, mode: .strict).counts.isEmpty)
        let blob = Array(#"{"a":"x "#.utf8) + Array(fake.base64Blob(1024 * 1024).utf8) + Array(#""}"#.utf8)
        let (redacted, blobCounts) = try filter(blob, mode: .strict)
        #expect(blobCounts[.highEntropy] >= 1)
        let shorter = redacted.count < blob.count
        #expect(shorter)
    }

    @Test func deepNestingAndEveryKindOfValue() throws {
        var fake = RedactionFakes(seed: 6)
        let token = fake.npmToken()
        let depth = 50_000
        let json =
            Array(String(repeating: #"{"a":["#, count: depth).utf8) + jsonString(token)
            + Array(String(repeating: "]}", count: depth).utf8)
        let (output, counts) = try filter(json)
        #expect(counts[.npmToken] == 1)
        let expectedCount = json.count - token.utf8.count - 2 + "\"[REDACTED:npm-token]\"".utf8.count
        #expect(output.count == expectedCount)
    }

    @Test func markersNextToEscapesStayValidJSON() throws {
        var fake = RedactionFakes(seed: 8)
        let token = fake.githubToken()
        let text = "\"\\\(token)\\\"\n\t\u{0}\u{1F}\(token)\u{2028}é😀"
        let json = Array(#"{"k":"#.utf8) + jsonString(text) + Array("}".utf8)
        let (output, counts) = try filter(json, mode: .strict)
        #expect(counts[.githubToken] == 2)
        let decoded = try JSONScanner.scan(output).string(forKey: "k")
        #expect(decoded == "\"\\[REDACTED:github-token]\\\"\n\t\u{0}\u{1F}[REDACTED:github-token]\u{2028}é😀")
    }
}
