import Foundation
import HookKit
import HookKitHub
import HookKitSystem

/// Helpers shared by the crypto test suites: vector files, hex, deterministic data, python3.
enum CryptoTestSupport {
    /// Tests/HookKitTests/Vectors, found from this file's path (no bundle resources).
    static let vectorsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Vectors")

    /// `HOOKKIT_STRESS=1` selects the larger (slower) variants of the stress tests.
    static var stress: Bool { ProcessInfo.processInfo.environment["HOOKKIT_STRESS"] == "1" }

    /// Decodes hexadecimal text (either case); `nil` when malformed.
    static func bytes(hex: some StringProtocol) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let pair = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            result.append(pair)
        }
        return result
    }

    /// Lowercase hexadecimal of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// `count` pseudo-random bytes from a fixed xorshift seed: the same on every run and platform.
    static func deterministicBytes(count: Int, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
    }

    /// Runs `python3 -c script args…` once and returns its standard output, or `nil` when python3
    /// cannot be started or exits non-zero (its standard error goes to the test's).
    static func runPython(_ script: String, arguments: [String] = []) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
