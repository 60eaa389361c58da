import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct HMACTests {
    /// RFC 4231 §4 test cases 1–7 for HMAC-SHA-256 (case 5 is specified truncated to 128 bits).
    static let rfc4231: [(key: [UInt8], data: [UInt8], mac: String)] = [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            Array(1...25), [UInt8](repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            [UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
            "a3b6167473100ee06e0c796c2955552b"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger "
                    + "than block-size data. The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test(arguments: 1...7) func rfc4231TestCase(_ number: Int) throws {
        let (key, data, expected) = Self.rfc4231[number - 1]
        let code = HMAC<SHA256>.authenticationCode(for: data, using: key)
        // Case 5 gives only the first 128 bits; the others the whole 256.
        #expect(code.hexString.prefix(expected.count) == expected)
        #expect(code.bytes.count == 32 && HashedAuthenticationCode<SHA256>.byteCount == 32)
        if expected.count == 64 {
            let expectedBytes = try #require(CryptoTestSupport.bytes(hex: expected))
            #expect(HMAC<SHA256>.isValidAuthenticationCode(expectedBytes, authenticating: data, using: key))
        }
    }

    @Test func streamingMatchesOneShot() {
        let key = CryptoTestSupport.deterministicBytes(count: 40, seed: 7)
        let message = CryptoTestSupport.deterministicBytes(count: 1000, seed: 8)
        let expected = HMAC<SHA256>.authenticationCode(for: message, using: key)
        for chunk in [1, 63, 64, 65, 999] {
            var hmac = HMAC<SHA256>(key: key)
            var start = 0
            while start < message.count {
                let end = min(start + chunk, message.count)
                if chunk == 63 {
                    message[start..<end].withUnsafeBytes { hmac.update(bufferPointer: $0) }
                } else {
                    hmac.update(data: message[start..<end])
                }
                start = end
            }
            #expect(hmac.finalize() == expected, "chunk \(chunk)")
        }
    }

    @Test func keyLengthsAroundTheBlockSize() throws {
        // Keys of 63, 64 (used as is) and 65 bytes (hashed first), against Python's hmac.
        let message = Array("block-size keys".utf8)
        let keys = [63, 64, 65].map { [UInt8](repeating: 0x5a, count: $0) }
        let script = """
            import hmac, hashlib
            for n in (63, 64, 65):
                print(hmac.new(b'\\x5a' * n, b'block-size keys', hashlib.sha256).hexdigest())
            """
        let output = try #require(CryptoTestSupport.runPython(script), "python3 is required for this test")
        let expected = output.split(separator: "\n").map(String.init)
        try #require(expected.count == 3)
        for (key, mac) in zip(keys, expected) {
            #expect(HMAC<SHA256>.authenticationCode(for: message, using: key).hexString == mac)
        }
    }

    @Test func rejectsWrongCodesKeysAndData() throws {
        let (key, data, expected) = Self.rfc4231[1]
        let good = try #require(CryptoTestSupport.bytes(hex: expected))
        var flipped = good
        flipped[31] ^= 0x01
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(flipped, authenticating: data, using: key))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(good.dropLast(), authenticating: data, using: key))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(good, authenticating: data + [0], using: key))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(good, authenticating: data, using: key + [1]))
        // HMAC pads short keys with zeros, so a trailing zero byte is the same key (RFC 2104 §2).
        #expect(HMAC<SHA256>.isValidAuthenticationCode(good, authenticating: data, using: key + [0]))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode([UInt8](), authenticating: data, using: key))
    }

    @Test func constantTimeEqualsCompares() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([0, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([1, 2, 3][1...], [2, 3]))
    }
}
