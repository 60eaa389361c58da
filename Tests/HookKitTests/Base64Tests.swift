import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct Base64Tests {
    @Test func rfc4648Vectors() {
        // RFC 4648 §10.
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func matchesFoundationForAllLengthsAndByteValues() {
        // Lengths 0...300 cover every tail; the data covers all 256 byte values and so all 64
        // characters. Foundation's encoder is an independent implementation.
        let data = CryptoTestSupport.deterministicBytes(count: 300) + (0...255).map { UInt8($0) }
        for length in 0...data.count {
            let bytes = Array(data.prefix(length))
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.decode(encoded) == bytes, "length \(length)")
        }
    }

    @Test func roundTripsOneMebibyte() {
        let bytes = CryptoTestSupport.deterministicBytes(count: 1 << 20)
        let encoded = bytes.withUnsafeBytes { Base64.encode(bufferPointer: $0) }
        #expect(encoded.utf8.count == (1 << 20 + 2) / 3 * 4)
        #expect(encoded == Data(bytes).base64EncodedString())
        let decoded = Array(encoded.utf8).withUnsafeBytes { Base64.decode(bufferPointer: $0) }
        #expect(decoded == bytes)
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm9", "Z===", "====", "=Zm9", "Zm=v", "Zg==Zm9v", "Zm9v ", " Zm9v", "Zm9v\n",
        "Zm9-", "Zm9_", "Zm9v\u{0}", "Zm9vé", "Zh==", "Zm9=", "Zm+v/A=",
    ])
    func rejectsMalformedText(_ text: String) {
        // Wrong length, misplaced or excess padding, characters outside the standard alphabet
        // (URL-safe ones, whitespace, NUL, non-ASCII), and non-zero bits under the padding.
        #expect(Base64.decode(text) == nil)
    }

    @Test func decodesEveryAlphabetCharacter() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let decoded = Base64.decode(alphabet)
        #expect(decoded == [UInt8](Data(base64Encoded: alphabet) ?? Data()))
        #expect(decoded.map { Base64.encode($0) } == alphabet)
    }

    @Test func rejectsRandomGarbageWithoutTrapping() {
        // Random printable text of lengths that are multiples of 4: Foundation is the oracle.
        let noise = CryptoTestSupport.deterministicBytes(count: 40_000, seed: 42)
        for start in stride(from: 0, to: noise.count - 16, by: 16) {
            let text = String(decoding: noise[start..<start + 16].map { 0x21 + $0 % 94 }, as: UTF8.self)
            let expected = Data(base64Encoded: text).map { [UInt8]($0) }
            let strictlyValid = expected.map { Base64.encode($0) == text } ?? false
            #expect(Base64.decode(text) == (strictlyValid ? expected : nil), "\(text)")
        }
    }
}
