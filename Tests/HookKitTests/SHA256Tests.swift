import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct SHA256Tests {
    /// One `Len`/`Msg`/`MD` record of a CAVP byte-oriented response file.
    struct Vector {
        var message: [UInt8]
        var digest: String
    }

    /// Parses SHA256ShortMsg.rsp / SHA256LongMsg.rsp (`Len` is in bits; `Msg = 00` for Len 0).
    static func messageVectors(_ file: String) throws -> [Vector] {
        let text = try String(
            contentsOf: CryptoTestSupport.vectorsDirectory.appendingPathComponent(file), encoding: .utf8)
        var vectors: [Vector] = []
        var bitLength: Int?
        var message: [UInt8]?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let parts = line.components(separatedBy: " = ")
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Len": bitLength = Int(parts[1])
            case "Msg": message = CryptoTestSupport.bytes(hex: parts[1])
            case "MD":
                let length = try #require(bitLength)
                let bytes = try #require(message)
                try #require(length % 8 == 0 && bytes.count >= length / 8)
                vectors.append(Vector(message: Array(bytes.prefix(length / 8)), digest: parts[1].lowercased()))
                bitLength = nil
                message = nil
            default: continue
            }
        }
        return vectors
    }

    /// Hashes `data` by feeding it `chunk` bytes at a time through the buffer-pointer path.
    static func hash(_ data: [UInt8], chunk: Int) -> SHA256Digest {
        var hasher = SHA256()
        data.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                let end = min(start + chunk, raw.count)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                start = end
            }
        }
        return hasher.finalize()
    }

    static let chunkSizes = [1, 7, 63, 64, 65, 1000]

    @Test func knownAnswers() {
        // FIPS 180-4 examples (NIST "Example Algorithms" document).
        #expect(
            SHA256.hash(data: Array("abc".utf8)).hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hash(data: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hash(data: [UInt8]()).hexString
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // One million "a": crosses many blocks, fed in one call.
        #expect(
            SHA256.hash(data: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hexString
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func cavpShortMessages() throws {
        let vectors = try Self.messageVectors("SHA256ShortMsg.rsp")
        #expect(vectors.count == 65)
        for vector in vectors {
            #expect(SHA256.hash(data: vector.message).hexString == vector.digest, "Len \(vector.message.count * 8)")
            for chunk in [1, 7, 63] {
                #expect(Self.hash(vector.message, chunk: chunk).hexString == vector.digest)
            }
        }
    }

    @Test func cavpLongMessages() throws {
        let vectors = try Self.messageVectors("SHA256LongMsg.rsp")
        #expect(vectors.count == 64)
        for vector in vectors {
            #expect(SHA256.hash(data: vector.message).hexString == vector.digest, "Len \(vector.message.count * 8)")
            for chunk in [7, 65] {
                #expect(Self.hash(vector.message, chunk: chunk).hexString == vector.digest)
            }
        }
    }

    /// The CAVP Monte Carlo test (SHAVS §6.4): from Seed, 100 checkpoints of 1000 chained hashes,
    /// each over the concatenation of the previous three digests.
    @Test func cavpMonteCarlo() throws {
        let text = try String(
            contentsOf: CryptoTestSupport.vectorsDirectory.appendingPathComponent("SHA256Monte.rsp"), encoding: .utf8)
        var seed: [UInt8]?
        var checkpoints: [String] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let parts = rawLine.trimmingCharacters(in: .whitespaces).components(separatedBy: " = ")
            guard parts.count == 2 else { continue }
            if parts[0] == "Seed" { seed = CryptoTestSupport.bytes(hex: parts[1]) }
            if parts[0] == "MD" { checkpoints.append(parts[1].lowercased()) }
        }
        #expect(checkpoints.count == 100)
        var current = try #require(seed)
        for expected in checkpoints {
            var md0 = current, md1 = current, md2 = current
            for _ in 3..<1003 {
                var hasher = SHA256()
                hasher.update(data: md0)
                hasher.update(data: md1)
                hasher.update(data: md2)
                (md0, md1, md2) = (md1, md2, hasher.finalize().bytes)
            }
            current = md2
            #expect(CryptoTestSupport.hex(current) == expected)
        }
    }

    /// Every length 0...1100 (all padding cases, several blocks) and a few MiB, whole and in odd
    /// chunks, against Python's hashlib, in a single python3 run.
    @Test func matchesHashlibForEveryLength() throws {
        let maxShort = 1100
        let largeSizes =
            CryptoTestSupport.stress
            ? [1 << 20, 3 << 20 | 1, 64 << 20 | 63]
            : [1 << 20, (2 << 20) + 65]
        let data = CryptoTestSupport.deterministicBytes(count: largeSizes.max() ?? 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hookkit-sha256-\(getpid()).bin")
        try Data(data).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let script = """
            import hashlib, sys
            data = open(sys.argv[1], 'rb').read()
            for n in list(range(int(sys.argv[2]) + 1)) + [int(s) for s in sys.argv[3:]]:
                print(hashlib.sha256(data[:n]).hexdigest())
            """
        let output = try #require(
            CryptoTestSupport.runPython(
                script, arguments: [file.path, String(maxShort)] + largeSizes.map(String.init)),
            "python3 with hashlib is required for this test")
        let expected = output.split(separator: "\n").map(String.init)
        let lengths = Array(0...maxShort) + largeSizes
        try #require(expected.count == lengths.count)

        for (length, digest) in zip(lengths, expected) {
            let message = Array(data[0..<length])
            #expect(SHA256.hash(data: message).hexString == digest, "length \(length)")
            // Chunk size 1 costs a call per byte: skipped for the MiB-sized messages in debug.
            for chunk in Self.chunkSizes where chunk > 1 || length <= maxShort {
                #expect(Self.hash(message, chunk: chunk).hexString == digest, "length \(length), chunk \(chunk)")
            }
        }
    }

    @Test func everyInputPathAgrees() {
        let message = CryptoTestSupport.deterministicBytes(count: 333)
        let expected = SHA256.hash(data: message)
        // Non-contiguous sequence (staged through the generic path), slice, and String UTF-8 view.
        #expect(SHA256.hash(data: message.lazy.map { $0 }) == expected)
        #expect(SHA256.hash(data: (message + [0])[0..<333]) == expected)
        var hasher = SHA256()
        hasher.update(data: message[0..<100])
        hasher.update(data: AnySequence(message[100..<300]))
        message[300...].withUnsafeBytes { hasher.update(bufferPointer: $0) }
        #expect(hasher.finalize() == expected)
        let text = "héllo, wörld"
        #expect(SHA256.hash(data: text.utf8) == SHA256.hash(data: Array(text.utf8)))
    }

    @Test func finalizeLeavesTheHasherUsable() {
        let first = Array("hello ".utf8), second = Array("world".utf8)
        var hasher = SHA256()
        hasher.update(data: first)
        #expect(hasher.finalize() == SHA256.hash(data: first))
        #expect(hasher.finalize() == SHA256.hash(data: first))
        hasher.update(data: second)
        #expect(hasher.finalize() == SHA256.hash(data: first + second))
    }

    @Test func digestValueSemantics() throws {
        let digest = SHA256.hash(data: Array("abc".utf8))
        #expect(Array(digest) == digest.bytes)
        #expect(digest.bytes.count == SHA256.byteCount && SHA256.byteCount == 32)
        #expect(SHA256.blockByteCount == 64)
        #expect(digest.description == digest.hexString)
        #expect(CryptoTestSupport.hex(digest) == digest.hexString)
        let rebuilt = try #require(SHA256Digest(bytes: digest.bytes))
        #expect(rebuilt == digest && rebuilt.hashValue == digest.hashValue)
        var altered = digest.bytes
        altered[31] ^= 1
        #expect(try #require(SHA256Digest(bytes: altered)) != digest)
        #expect(SHA256Digest(bytes: digest.bytes.dropLast()) == nil)
        #expect(Set([digest, rebuilt, SHA256.hash(data: [UInt8]())]).count == 2)
    }
}
