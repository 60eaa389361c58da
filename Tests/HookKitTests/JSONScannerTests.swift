import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct JSONScannerTests {
    func scan(_ text: String) throws(JSONSyntaxError) -> ScannedJSON { try JSONScanner.scan(Array(text.utf8)) }

    @Test func minifiesAndIndexesTopLevelMembers() throws {
        let scanned = try scan(" { \"a\" : [1, 2 ,{\"b\" : null}] ,\n\"c\":\"x y\", \"d\": {} }\n")
        #expect(String(decoding: scanned.minified, as: UTF8.self) == #"{"a":[1,2,{"b":null}],"c":"x y","d":{}}"#)
        #expect(scanned.rootKind == .object)
        #expect(scanned.members.map(\.key) == ["a", "c", "d"])
        #expect(scanned.members.map(\.kind) == [.array, .string, .object])
        #expect(String(decoding: scanned.text(forKey: "a") ?? [], as: UTF8.self) == #"[1,2,{"b":null}]"#)
        #expect(scanned.string(forKey: "c") == "x y")
        #expect(scanned.string(forKey: "a") == nil)
    }

    @Test func indexesRootArrayElements() throws {
        let scanned = try scan(#"[ {"x":1}, "s", 2.5e-3, true, [] ]"#)
        #expect(scanned.rootKind == .array)
        #expect(scanned.elements.map(\.kind) == [.object, .string, .number, .bool, .array])
        let texts = scanned.elements.map { String(decoding: scanned.minified[$0.range], as: UTF8.self) }
        #expect(texts == [#"{"x":1}"#, #""s""#, "2.5e-3", "true", "[]"])
    }

    @Test func keepsNumbersVerbatimAndDuplicateKeys() throws {
        let text = #"{"n":1e400,"big":123456789012345678901234567890,"k":1,"k":2,"neg":-0.0E+5}"#
        let scanned = try scan(text)
        #expect(String(decoding: scanned.minified, as: UTF8.self) == text)
        #expect(String(decoding: scanned.text(forKey: "k") ?? [], as: UTF8.self) == "2")
    }

    @Test func decodesEscapesInStrings() throws {
        let scanned = try scan(#"{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x","k\u0041":"v"}"#)
        #expect(scanned.string(forKey: "s") == "a\"b\\c/d\né😀\u{FFFD}x")
        #expect(scanned.string(forKey: "kA") == "v")
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "-", "1e", "+1", "nul", "tru", "[1 2]",
        "\"unterminated", "{\"a\":1}}", "{} {}", "\"tab\there\"", "\"bad \\x escape\"", "\"\\u12G4\"", "{'a':1}",
        "[1]x", "NaN", "Infinity",
    ])
    func rejectsInvalidText(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try scan(text) }
    }

    @Test func rejectsInvalidUTF8AndRawControlBytes() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22],  // not UTF-8 at all
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
            [0x22, 0x00, 0x22],  // NUL inside a string
            [0x7B, 0x00, 0x7D],  // NUL between tokens
        ]
        for bytes in cases {
            #expect(throws: JSONSyntaxError.self) { try JSONScanner.scan(bytes) }
        }
        #expect(throws: Never.self) { try JSONScanner.scan(Array("\"é€😀\"".utf8)) }
    }

    @Test func reportsWhereAndWhy() {
        do {
            _ = try scan(#"{"a": tru}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 6)
            #expect(error.reason == "invalid literal")
        }
        #expect(throws: JSONSyntaxError(offset: 5, reason: "unexpected end of input")) { try scan(#"{"a":"#) }
    }

    @Test func handlesVeryDeepNestingWithoutRecursion() throws {
        let depth = 100_000
        let text =
            [UInt8](repeating: UInt8(ascii: "["), count: depth) + [UInt8](repeating: UInt8(ascii: "]"), count: depth)
        let scanned = try JSONScanner.scan(text)
        #expect(scanned.minified == text)
        #expect(scanned.elements.count == 1)
        let unbalanced = [UInt8](repeating: UInt8(ascii: "["), count: depth)
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.scan(unbalanced) }
    }
}

@Suite struct JSONValueTests {
    @Test func parsesAndSerializesPreservingOrderAndNumbers() throws {
        let value = try JSONValue.parse(#"{"z":1,"a":[true,false,null,"s",1e400],"m":{"k":-12.50}}"#)
        #expect(value["z"] == .number("1"))
        #expect(value["a"]?.arrayValue?.count == 5)
        #expect(value["m"]?["k"] == .number("-12.50"))
        #expect(value.serialized() == #"{"z":1,"a":[true,false,null,"s",1e400],"m":{"k":-12.50}}"#)
        #expect(
            value.serialized(pretty: true) == """
                {
                  "z": 1,
                  "a": [
                    true,
                    false,
                    null,
                    "s",
                    1e400
                  ],
                  "m": {
                    "k": -12.50
                  }
                }
                """)
        #expect(try JSONValue.parse("{}").serialized(pretty: true) == "{}")
    }

    @Test func escapesStringsWhenSerializing() throws {
        let value = JSONValue.object([.init("k\"ey", .string("line\nbreak\u{0}\u{1F}\t\\ é"))])
        let text = value.serialized()
        #expect(text == #"{"k\"ey":"line\nbreak\u0000\u001f\t\\ é"}"#)
        #expect(try JSONValue.parse(text) == value)
    }

    @Test func refusesTreesDeeperThanTheLimit() {
        let text = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        #expect(throws: Never.self) { try JSONValue.parse(text, maximumDepth: 700) }
    }

    @Test func sanitizesArbitraryBytesIntoAValidString() throws {
        var output: [UInt8] = []
        JSONWriter.appendSanitizedString([0x61, 0xFF, 0x00, 0x22, 0x62], to: &output)
        #expect(try JSONValue.parse(output) == .string("a\u{FFFD}\u{0}\"b"))
    }
}
