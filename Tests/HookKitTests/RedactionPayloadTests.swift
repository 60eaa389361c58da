import HookKit
import Testing

/// Redaction of JSON payloads (every string value decoded, scanned, re-encoded), the metadata-only
/// content mode, the settings, and the event envelope's `redactions` member.
@Suite struct RedactionPayloadTests {
    func filter(
        _ json: String, mode: RedactionMode = .secrets, content: ContentMode = .full, words: [String] = []
    ) throws -> (text: String, counts: RedactionCounts) {
        let filter = PayloadFilter(redactor: Redactor(mode: mode, customWords: words), contentMode: content)
        var counts = RedactionCounts()
        let input = Array(json.utf8)
        let output = filter.apply(input, counts: &counts) ?? input
        _ = try JSONScanner.scan(output)  // always valid JSON
        return (String(decoding: output, as: UTF8.self), counts)
    }

    var fake = RedactionFakes(seed: 21)

    @Test mutating func stringsAreScannedDecodedAndReencodedOnlyWhenChanged() throws {
        let token = fake.githubToken()
        // The token is written with escapes in the middle; the untouched string keeps its escapes.
        let escaped =
            String(token.prefix(6)) + "\\u00"
            + String(
                token.unicodeScalars[token.unicodeScalars.index(token.unicodeScalars.startIndex, offsetBy: 6)].value,
                radix: 16) + String(token.dropFirst(7))
        let input = #"{"a":"x\/y \u00e9","b":"say \"\#(escaped)\"\n","c":[1,true,null,{"d":"ok"}]}"#
        let (text, counts) = try filter(input)
        #expect(text == #"{"a":"x\/y \u00e9","b":"say \"[REDACTED:github-token]\"\n","c":[1,true,null,{"d":"ok"}]}"#)
        #expect(counts[.githubToken] == 1)
        #expect(counts.total == 1)
    }

    @Test mutating func keysAreKeptAndJudgeTheirValues() throws {
        let secret = fake.password()
        let (text, counts) = try filter(
            #"{"password":"\#(secret)","password_hint":"\#(secret)","items":["\#(secret)"],"auth":{"Authorization":"Bearer \#(secret)xyz"}}"#
        )
        #expect(
            text
                == #"{"password":"[REDACTED:secret-assignment]","password_hint":"\#(secret)","items":["\#(secret)"],"auth":{"Authorization":"Bearer [REDACTED:authorization-header]"}}"#
        )
        #expect(counts[.secretAssignment] == 1 && counts[.authorizationHeader] == 1)
    }

    @Test mutating func whiteSpaceIsKeptForPrettyInput() throws {
        let secret = fake.password()
        let (text, _) = try filter("{\n  \"db\" : {\n    \"password\" :  \"\(secret)\"\n  }\n}\n")
        #expect(text == "{\n  \"db\" : {\n    \"password\" :  \"[REDACTED:secret-assignment]\"\n  }\n}\n")
    }

    @Test func offChangesNothing() throws {
        var fake = RedactionFakes(seed: 1)
        let input = #"{"k":"\#(fake.githubToken())","password":"\#(fake.password())"}"#
        let (text, counts) = try filter(input, mode: .off, words: ["k"])
        #expect(text == input)
        #expect(counts.isEmpty)
    }

    @Test mutating func metadataKeepsHookFieldsIDsNumbersAndBooleans() throws {
        let input =
            #"{"session_id":"s-1","transcript_path":"/t.jsonl","cwd":"/p","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_1","requestId":"r1","tool_input":{"command":"ls -la","timeout":120,"run_in_background":false,"session_id":"nested"},"prompt":"héllo","list":["a",null]}"#
        let (text, counts) = try filter(input, content: .metadata)
        let event = try JSONScanner.scan(Array(text.utf8))
        for key in [
            "session_id", "transcript_path", "cwd", "permission_mode", "hook_event_name", "tool_name", "tool_use_id",
            "requestId",
        ] {
            #expect(event.raw(key) == (try JSONScanner.scan(Array(input.utf8))).raw(key), "\(key) kept")
        }
        let ls = SHA256.hash(data: Array("ls -la".utf8)).hexString.prefix(16)
        let hello = SHA256.hash(data: Array("héllo".utf8)).hexString.prefix(16)
        let nested = SHA256.hash(data: Array("nested".utf8)).hexString.prefix(16)
        let a = SHA256.hash(data: Array("a".utf8)).hexString.prefix(16)
        #expect(
            event.raw("tool_input")
                == #"{"command":{"omitted":true,"bytes":6,"sha256":"\#(ls)"},"timeout":120,"run_in_background":false,"session_id":{"omitted":true,"bytes":6,"sha256":"\#(nested)"}}"#
        )
        #expect(event.raw("prompt") == #"{"omitted":true,"bytes":6,"sha256":"\#(hello)"}"#)
        #expect(event.raw("list") == #"[{"omitted":true,"bytes":1,"sha256":"\#(a)"},null]"#)
        #expect(counts.isEmpty)
    }

    @Test mutating func metadataHashesTheRedactedStringSoASecretIsNeverHashed() throws {
        let token = fake.npmToken()
        let (text, counts) = try filter(#"{"tool_response":"token \#(token)"}"#, content: .metadata)
        let redacted = SHA256.hash(data: Array("token [REDACTED:npm-token]".utf8)).hexString.prefix(16)
        #expect(text == #"{"tool_response":{"omitted":true,"bytes":\#(6 + token.utf8.count),"sha256":"\#(redacted)"}}"#)
        #expect(counts[.npmToken] == 1)
    }

    @Test func settingsAreReadWithSafeFallbacks() {
        let plain = Configuration(environment: [:])
        #expect(plain.redactMode == .secrets && plain.contentMode == .full && plain.redactWords.isEmpty)
        #expect(plain.problems.isEmpty)
        let set = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_REDACT": " Strict ", "CLAUDE_OBSERVABILITY_CONTENT": "METADATA",
            "CLAUDE_OBSERVABILITY_REDACT_WORDS": " acme , ,internal.corp,",
        ])
        #expect(set.redactMode == .strict && set.contentMode == .metadata)
        #expect(set.redactWords == ["acme", "internal.corp"])
        let wrong = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_REDACT": "none", "CLAUDE_OBSERVABILITY_CONTENT": "minimal",
        ])
        #expect(wrong.redactMode == .secrets && wrong.contentMode == .full)
        #expect(
            wrong.problems == [
                "CLAUDE_OBSERVABILITY_REDACT=none is not one of secrets, strict, off; using secrets",
                "CLAUDE_OBSERVABILITY_CONTENT=minimal is not one of full, metadata; using full",
            ])
        #expect(Configuration(environment: ["CLAUDE_OBSERVABILITY_REDACT": "off"]).redactMode == .off)
    }

    func encode(_ input: [UInt8], _ environment: [String: String] = [:]) throws -> (ScannedJSON, EventEnvelope.Encoded)
    {
        let configuration = Configuration(environment: environment.merging(["HOME": "/home/u"]) { a, _ in a })
        let encoded = EventEnvelope(configuration: configuration, machineID: "m").encode(
            HookInput(bytes: input), id: UUIDv7.generate())
        return (try JSONScanner.scan(encoded.line), encoded)
    }

    @Test mutating func theEventCountsRedactionsOnlyWhenThereAreAny() throws {
        let token = fake.githubToken()
        let (event, _) = try encode(
            Array(#"{"session_id":"s","tool_input":{"command":"git push https://\#(token)@github.com/a/b"}}"#.utf8))
        #expect(event.raw("redactions") == #"{"github-token":1}"#)
        #expect(event.members.map(\.key).firstIndex(of: "redactions") == event.members.count - 2, "just before payload")
        #expect(
            try event.payload().raw("tool_input")
                == #"{"command":"git push https://[REDACTED:github-token]@github.com/a/b"}"#)
        let (clean, _) = try encode(Array(#"{"session_id":"s","tool_input":{"command":"ls"}}"#.utf8))
        #expect(clean.member("redactions") == nil)
        let (off, _) = try encode(
            Array(#"{"session_id":"s","tool_input":{"command":"\#(token)"}}"#.utf8),
            ["CLAUDE_OBSERVABILITY_REDACT": "off"])
        #expect(off.member("redactions") == nil)
        #expect(try off.payload().raw("tool_input") == #"{"command":"\#(token)"}"#)
    }

    @Test mutating func invalidInputKeptAsRawTextIsRedactedToo() throws {
        let password = fake.password()
        let input = Array("DB_PASSWORD=\(password) and then ".utf8) + [0xFF, 0xFE] + Array(" {not json".utf8)
        let (event, encoded) = try encode(input)
        #expect(encoded.payloadError?.hasPrefix("invalid JSON") == true)
        let raw = try #require(try event.payload().string(forKey: "raw"))
        #expect(raw == "DB_PASSWORD=[REDACTED:secret-assignment] and then \u{FFFD}\u{FFFD} {not json")
        #expect(event.raw("redactions") == #"{"secret-assignment":1}"#)
        let (metadata, _) = try encode(input, ["CLAUDE_OBSERVABILITY_CONTENT": "metadata"])
        #expect(try metadata.payload().member("raw")?.kind == .object)
    }

    @Test mutating func redactionHappensBeforeTheSizeLimitCutsStrings() throws {
        // A secret straddling the point where the limiter cuts: no piece of it may survive.
        let token = fake.anthropicKey()
        let filler = String(repeating: "a ", count: 700)
        let input = #"{"session_id":"s","tool_response":"\#(filler)\#(token)\#(filler)"}"#
        let (event, encoded) = try encode(Array(input.utf8), ["CLAUDE_OBSERVABILITY_MAX_PAYLOAD": "1024"])
        #expect(encoded.payloadTruncated)
        let line = String(decoding: encoded.line, as: UTF8.self)
        #expect(!line.contains(String(token.prefix(12))))
        #expect(!line.contains(String(token.suffix(12))))
        #expect(event.raw("redactions") == #"{"anthropic-api-key":1}"#)
    }

    @Test mutating func structureTooLargeFallsBackToRedactedRawText() throws {
        let token = fake.npmToken()
        // Keys cannot be cut: a payload whose keys alone exceed the limit falls back to raw text.
        let keys = (0..<200).map { #""key_number_\#($0)_with_a_long_name":1"# }.joined(separator: ",")
        let input = #"{"session_id":"s","t":"\#(token)",\#(keys)}"#
        let (event, encoded) = try encode(Array(input.utf8), ["CLAUDE_OBSERVABILITY_MAX_PAYLOAD": "1024"])
        #expect(encoded.payloadError?.contains("even with every string shortened") == true)
        #expect(!String(decoding: encoded.line, as: UTF8.self).contains(token))
        #expect(event.raw("redactions") == #"{"npm-token":1}"#)
    }
}
