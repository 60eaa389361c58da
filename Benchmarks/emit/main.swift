// In-process send latency of HookKit's EventEmitter, run by scripts/bench-emit.sh.
// Usage: emit-bench SPOOL_DIR [EVENTS [HUB_URL]]; prints one table row per measured path. With a
// hub, one more row: sends while the emitter's thread delivers them to that hub.
import HookKit
import HookKitSystem


let arguments = CommandLine.arguments
let directory = arguments[1]
let count = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let payload = Array(
    #"{"session_id":"bench","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"swift test --parallel"},"tool_use_id":"toolu_01"}"#
        .utf8)

func percentiles(_ samples: [UInt64]) -> (p50: Double, p99: Double, p999: Double) {
    let sorted = samples.sorted()
    func at(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000 }
    return (at(0.5), at(0.99), at(0.999))
}

func measure(_ body: () -> Void) -> [UInt64] {
    var samples = [UInt64](repeating: 0, count: count)
    for _ in 0..<1000 { body() }  // warm-up
    for index in 0..<count {
        let start = Clock.monotonicNanoseconds()
        body()
        samples[index] = Clock.monotonicNanoseconds() - start
    }
    return samples
}

// Baseline: one write(2) of a line of the same size to an O_APPEND file, nothing else.
let line = Array(repeating: UInt8(ascii: "x"), count: 560) + [UInt8(ascii: "\n")]
let raw = open(directory + "/raw.jsonl", O_WRONLY | O_APPEND | O_CREAT, 0o600)
let baseline = percentiles(measure { line.withUnsafeBytes { _ = write(raw, $0.baseAddress, $0.count) } })
close(raw)

// Background delivery off: this measures stamping and spooling, and sends nothing anywhere.
let emitter = try EventEmitter(
    configuration: Configuration(environment: ["CLAUDE_OBSERVABILITY_SPOOL": directory + "/spool"]),
    deliversInBackground: false)
let ours = percentiles(measure { _ = try? emitter.send(payload) })

func format(_ value: Double) -> String { String((value * 100).rounded() / 100) }
print(
    "| EventEmitter.send | \(count) | \(format(ours.p50)) | \(format(ours.p99)) | \(format(ours.p999)) | \(format(ours.p50 / baseline.p50))x |"
)
if arguments.count > 3 {
    // The default: a thread of this process delivers to the hub while the sends go on.
    let delivering = try EventEmitter(
        configuration: Configuration(environment: [
            "CLAUDE_OBSERVABILITY_SPOOL": directory + "/delivering", "CLAUDE_OBSERVABILITY_HUB": arguments[3],
        ]))
    let sent = percentiles(measure { _ = try? delivering.send(payload) })
    let start = Clock.monotonicNanoseconds()
    let flushed = (try? delivering.flush()).map { _ in "flushed" } ?? "flush failed"
    let rest = Double(Clock.monotonicNanoseconds() - start) / 1e6
    print(
        "| EventEmitter.send, delivering to hook-hub in the background (\(flushed) \(format(rest)) ms after the last send) | \(count) | \(format(sent.p50)) | \(format(sent.p99)) | \(format(sent.p999)) | \(format(sent.p50 / baseline.p50))x |"
    )
}
print(
    "| raw write(2) of a line (baseline) | \(count) | \(format(baseline.p50)) | \(format(baseline.p99)) | \(format(baseline.p999)) | 1.00x |"
)
