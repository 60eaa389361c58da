// Release-mode throughput benchmark for HookKit's SHA-256, run by scripts/bench-sha256.sh.
// Usage: sha256-bench [seconds] [bytes-per-call]; prints "<MB/s> <digest of the last call>".
import HookKit
import HookKitSystem


let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let chunk = arguments.count > 2 ? Int(arguments[2]) ?? 16384 : 16384

// Deterministic, non-trivial input.
var input = [UInt8](repeating: 0, count: chunk)
var seed: UInt32 = 0x9e37_79b9
for index in input.indices {
    seed = seed &* 1_664_525 &+ 1_013_904_223
    input[index] = UInt8(truncatingIfNeeded: seed >> 24)
}

var digest = SHA256.hash(data: input)
// Warm up, then time whole batches until `seconds` have passed (like `openssl speed`).
let start = Clock.monotonicNanoseconds()
let deadline = start + UInt64(seconds * 1e9)
var calls = 0
var now = start
while now < deadline {
    for _ in 0..<16 {
        digest = input.withUnsafeBytes { SHA256.hash(bufferPointer: $0) }
        input[calls % chunk] ^= digest.withUnsafeBytes { $0[0] }
        calls += 1
    }
    now = Clock.monotonicNanoseconds()
}
let elapsed = Double(now - start) / 1e9
let megabytesPerSecond = Double(calls * chunk) / elapsed / 1e6
print(String(Int(megabytesPerSecond.rounded())), digest.hexString)
