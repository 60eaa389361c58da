// In-process redaction latency, run by scripts/bench-redact.sh.
// Usage: redact-bench [ITERATIONS]; prints one Markdown table row per measured path.
import HookKit
import HookKitSystem

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000

/// A deterministic generator for filler (SplitMix64).
struct Generator {
    var state: UInt64 = 42
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func string(_ count: Int, _ alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters[Int(next() % UInt64(characters.count))] })
    }
}
var generator = Generator()
let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func jsonString(_ text: String) -> String {
    var output: [UInt8] = []
    JSONWriter.appendString(text, to: &output)
    return String(decoding: output, as: UTF8.self)
}

// A 2 KiB PreToolUse input as Claude Code sends it: a Bash command and its description.
func preToolUse() -> [UInt8] {
    let command = """
        cd /home/dev/projects/shop-api && git status --short && git log --oneline -5 && \
        swift build -c release 2>&1 | tail -20 && \
        curl -s -X POST http://localhost:8080/api/v1/orders -H 'Content-Type: application/json' \
        -d '{"customer_id": 4211, "items": [{"sku": "A-100", "qty": 2}], "note": "rush delivery"}' | jq '.status'
        """
    var event =
        #"{"session_id":"5f2c9a7e-1b2c-4d5e-8f90-123456789abc","transcript_path":"/home/dev/.claude/projects/-home-dev-projects-shop-api/5f2c9a7e-1b2c-4d5e-8f90-123456789abc.jsonl","cwd":"/home/dev/projects/shop-api","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_01ABCDEFGHIJKLMNOPQRSTUV","tool_input":{"command":\#(jsonString(command)),"description":"#
    var description = "Check the working tree, show recent commits, build in release mode and place a test order against the local server to make sure the new validation keeps accepting well-formed requests. "
    while event.utf8.count + jsonString(description).utf8.count + 2 < 2048 { description += "Then report the status field. " }
    event += jsonString(String(description.prefix(2048 - event.utf8.count - 4))) + "}}"
    return Array(event.utf8)
}

// 256 KiB of mixed tool output: prose, Swift and JS code, JSON lines, logs, SHAs and UUIDs,
// a base64 blob, and a few secrets, as one tool_response string.
func mixed() -> String {
    var text = ""
    var round = 0
    while text.utf8.count < 256 * 1024 {
        round += 1
        text += "The build finished in 12.4 s; 318 tests passed, 2 were skipped because the database was not reachable.\n"
        text += "func login(username: String, password: String) async throws -> Token {\n    let token = try await client.fetchToken(for: username)\n    return token\n}\n"
        text += #"{"level":"info","ts":"2025-03-04T10:12:01Z","msg":"request served","path":"/api/v1/orders","status":200,"duration_ms":18,"request_id":"\#(generator.string(8, "0123456789abcdef"))-\#(generator.string(4, "0123456789abcdef"))-4abc-9def-\#(generator.string(12, "0123456789abcdef"))"}"# + "\n"
        text += "commit \(generator.string(40, "0123456789abcdef"))\nAuthor: Dev <dev@example.com>\n\n    Fix token refresh\n"
        text += "const config = { apiKey: process.env.API_KEY, retries: 3, endpoint: 'https://api.example.com/v2' };\n"
        text += "2025-03-04 10:12:01.123 WARN  [worker-3] retrying upload of chunk 17/64 after timeout (attempt 2)\n"
        if round % 8 == 0 { text += "data: " + generator.string(600, alnum + "+/") + "\n" }
        if round % 25 == 0 {
            text += "export GITHUB_TOKEN=ghp_\(generator.string(36, alnum))\n"
            text += "DB_PASSWORD=\(generator.string(16, alnum))\n"
            text += "curl -H 'Authorization: Bearer \(generator.string(40, alnum))' https://api.example.com\n"
        }
    }
    return text
}

// 256 KiB of near-misses: prefixes and separators with nothing behind them.
func nearMisses() -> String {
    let units = [
        "ghp_\(String(repeating: "a1", count: 17))b ", "AKIA\(String(repeating: "B2", count: 7))C ",
        "glpat-\(String(repeating: "-", count: 19)) ", "AIza-AIza-AIza-AIza-AIza- ", "eyJ-eyJ-eyJ-eyJ-eyJ-eyJ.x ",
        "-----BEGIN PRIVATE KEY-----\n", "sk-ant-sk-ant-sk-ant- ", "xoxb-xoxb- ", "a://b:@c ", "password=abc token=$X ",
        "::::====:=:=a=a=a=a= ",
    ]
    var text = ""
    var index = 0
    while text.utf8.count < 256 * 1024 {
        text += units[index % units.count]
        index += 1
    }
    return text
}

func percentiles(_ samples: [UInt64]) -> (p50: Double, p99: Double) {
    let sorted = samples.sorted()
    func at(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000 }
    return (at(0.5), at(0.99))
}

func measure(_ count: Int, _ body: () -> Void) -> (p50: Double, p99: Double) {
    var samples = [UInt64](repeating: 0, count: count)
    for _ in 0..<max(10, count / 10) { body() }  // warm-up
    for index in 0..<count {
        let start = Clock.monotonicNanoseconds()
        body()
        samples[index] = Clock.monotonicNanoseconds() - start
    }
    return percentiles(samples)
}

func format(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
}

func filter(_ mode: RedactionMode, _ content: ContentMode = .full) -> PayloadFilter {
    PayloadFilter(redactor: Redactor(mode: mode), contentMode: content)
}

func row(_ input: String, _ path: String, _ result: (p50: Double, p99: Double), baseline: Double, count: Int) {
    print("| \(input) | \(path) | \(count) | \(format(result.p50)) | \(format(result.p99)) | \(format(result.p50 / baseline))x |")
}

func run(_ name: String, _ json: [UInt8], count: Int) {
    // Baseline: what the hook already does with every input (validate and minify).
    let scan = measure(count) { _ = try? JSONScanner.scan(json) }
    row(name, "JSONScanner.scan (baseline)", scan, baseline: scan.p50, count: count)
    for (label, payloadFilter) in [
        ("redact, secrets", filter(.secrets)), ("redact, strict", filter(.strict)),
        ("redact, secrets + metadata", filter(.secrets, .metadata)),
    ] {
        let result = measure(count) {
            var counts = RedactionCounts()
            _ = payloadFilter.apply(json, counts: &counts)
        }
        row(name, label, result, baseline: scan.p50, count: count)
    }
}

let hookInput = preToolUse()
let mixedPayload = Array((#"{"hook_event_name":"PostToolUse","tool_response":{"stdout":"# + jsonString(mixed()) + "}}").utf8)
let nearMissPayload = Array((#"{"hook_event_name":"PostToolUse","tool_response":{"stdout":"# + jsonString(nearMisses()) + "}}").utf8)
run("PreToolUse, \(hookInput.count) B", hookInput, count: iterations * 10)
run("mixed text, \(mixedPayload.count / 1024) KiB", mixedPayload, count: iterations / 10)
run("near-misses, \(nearMissPayload.count / 1024) KiB", nearMissPayload, count: iterations / 10)
var checkCounts = RedactionCounts()
_ = filter(.secrets).apply(mixedPayload, counts: &checkCounts)
print("")
print("mixed text redactions (secrets): \(checkCounts.nonZero.map { "\($0.rule.id) \($0.count)" }.joined(separator: ", "))")
