// OTLP sink throughput and state memory, run by scripts/bench-otlp.sh.
// Usage: otlp-bench PORT [EVENTS]; prints markdown table rows.
//
// Events: sessions shaped like Claude Code's (prompts, Bash/Read/Edit calls with ~1 KiB inputs and
// results, an Agent call with a subagent, Stop, SessionEnd), eight sessions interleaved, stamped
// by the real EventEnvelope. Batches of 500 events, as the flusher reads them.
import HookKit
import HookKitSystem


let arguments = CommandLine.arguments
// `otlp-bench write-queue PATH EVENTS [open]`: writes a spool queue of the benchmark's events (or,
// with `open`, of 10,000 spans that stay open) for the flusher rows of scripts/bench-otlp.sh.
let writesQueue = arguments.count > 3 && arguments[1] == "write-queue"
guard writesQueue || arguments.count > 1, writesQueue || UInt16(arguments[1]) != nil else {
    print("usage: otlp-bench PORT [EVENTS] | otlp-bench write-queue PATH EVENTS [open]")
    exit(2)
}
let port = UInt16(arguments[1]) ?? 0
let eventCount = writesQueue ? Int(arguments[3]) ?? 100_000 : arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let batchSize = 500

// MARK: - Events

func sessionEvents(_ session: Int) -> [String] {
    let id = "bench-session-\(session)"
    let filler = String(repeating: "lorem ipsum dolor sit amet ", count: 36)  // ~1 KiB
    func event(_ fields: String) -> String {
        #"{"session_id":"\#(id)","transcript_path":"/home/u/.claude/projects/p/\#(id).jsonl","cwd":"/home/u/app",\#(fields)}"#
    }
    var events = [event(#""hook_event_name":"SessionStart","source":"startup""#)]
    for turn in 0..<4 {
        let prompt = "p-\(session)-\(turn)"
        events.append(
            event(#""hook_event_name":"UserPromptSubmit","prompt_id":"\#(prompt)","prompt":"\#(filler.prefix(200))""#))
        for call in 0..<6 {
            let tool = ["Bash", "Read", "Edit", "Grep"][call % 4]
            let use = "toolu_\(session)_\(turn)_\(call)"
            events.append(
                event(
                    #""hook_event_name":"PreToolUse","prompt_id":"\#(prompt)","tool_name":"\#(tool)","tool_use_id":"\#(use)","tool_input":{"command":"\#(filler)"}"#
                ))
            events.append(
                event(
                    #""hook_event_name":"PostToolUse","prompt_id":"\#(prompt)","tool_name":"\#(tool)","tool_use_id":"\#(use)","tool_input":{"command":"x"},"tool_response":{"stdout":"\#(filler)","stderr":""}"#
                ))
        }
        let agent = "agent-\(session)-\(turn)"
        let agentUse = "toolu_\(session)_\(turn)_agent"
        events.append(
            event(
                #""hook_event_name":"PreToolUse","prompt_id":"\#(prompt)","tool_name":"Agent","tool_use_id":"\#(agentUse)","tool_input":{"subagent_type":"Explore","prompt":"look"}"#
            ))
        events.append(
            event(
                #""hook_event_name":"SubagentStart","prompt_id":"\#(prompt)","agent_id":"\#(agent)","agent_type":"Explore""#
            ))
        events.append(
            event(
                #""hook_event_name":"PostToolUse","prompt_id":"\#(prompt)","tool_name":"Agent","tool_use_id":"\#(agentUse)","tool_response":{"status":"async_launched","agentId":"\#(agent)"}"#
            ))
        events.append(event(#""hook_event_name":"Stop","prompt_id":"\#(prompt)""#))
        for call in 0..<3 {
            let use = "toolu_\(session)_\(turn)_sub\(call)"
            events.append(
                event(
                    #""hook_event_name":"PreToolUse","prompt_id":"\#(prompt)","agent_id":"\#(agent)","agent_type":"Explore","tool_name":"Grep","tool_use_id":"\#(use)","tool_input":{"pattern":"\#(filler.prefix(100))"}"#
                ))
            events.append(
                event(
                    #""hook_event_name":"PostToolUse","prompt_id":"\#(prompt)","agent_id":"\#(agent)","agent_type":"Explore","tool_name":"Grep","tool_use_id":"\#(use)","tool_response":{"filenames":["a.swift"]}"#
                ))
        }
        events.append(
            event(
                #""hook_event_name":"SubagentStop","prompt_id":"\#(prompt)","agent_id":"\#(agent)","agent_type":"Explore""#
            ))
    }
    events.append(event(#""hook_event_name":"SessionEnd","reason":"exit""#))
    return events
}

func makeLines(_ count: Int) -> [[UInt8]] {
    let envelope = EventEnvelope(
        configuration: Configuration(environment: ["HOME": "/home/u", "CLAUDE_OBSERVABILITY_SOURCE_APP": "app"]),
        machineID: "machine-bench")
    var lines: [[UInt8]] = []
    lines.reserveCapacity(count)
    var session = 0
    var clock: Int64 = 1_760_000_000_000
    while lines.count < count {
        // Eight sessions at a time, interleaved event by event.
        let group = (0..<8).map { sessionEvents(session + $0) }
        session += 8
        let longest = group.map(\.count).max() ?? 0
        for index in 0..<longest {
            for events in group where index < events.count && lines.count < count {
                clock += 3
                let id = UUIDv7(timestampMilliseconds: clock, randA: 0, randB: UInt64(lines.count))
                lines.append(envelope.encode(HookInput(bytes: Array(events[index].utf8)), id: id).line)
            }
        }
    }
    return lines
}

func seconds(_ start: UInt64) -> Double { Double(Clock.monotonicNanoseconds() - start) / 1e9 }
func rate(_ events: Int, _ elapsed: Double) -> String { String(Int((Double(events) / elapsed).rounded())) }
func ratio(_ a: Double, _ b: Double) -> String { String((a / b * 100).rounded() / 100) + "x" }

/// 100 sessions, each with one open turn and 99 tool calls still running: 10,000 open spans.
func openSpanLines(filler: String) -> [[UInt8]] {
    let envelope = EventEnvelope(configuration: Configuration(environment: ["HOME": "/home/u"]), machineID: "m")
    let start = Clock.unixMilliseconds() - 20_000
    var openLines: [[UInt8]] = []
    for session in 0..<100 {
        for call in 0..<100 {
            let input =
                call == 0
                ? #"{"session_id":"mem-\#(session)","hook_event_name":"UserPromptSubmit","prompt_id":"p-\#(session)"}"#
                : #"{"session_id":"mem-\#(session)","hook_event_name":"PreToolUse","prompt_id":"p-\#(session)","tool_name":"Bash","tool_use_id":"toolu_\#(session)_\#(call)","tool_input":{"command":"\#(filler)"}}"#
            let id = UUIDv7(timestampMilliseconds: start + Int64(openLines.count), randA: 0, randB: 1)
            openLines.append(envelope.encode(HookInput(bytes: Array(input.utf8)), id: id).line)
        }
    }
    return openLines
}

if writesQueue {
    // Fresh timestamps: the flusher drops events older than its age bound (7 days).
    let shift = Clock.unixMilliseconds() - 1_760_000_000_000 - Int64(eventCount) * 3
    let queue =
        arguments.count > 4 && arguments[4] == "open"
        ? openSpanLines(filler: String(repeating: "lorem ipsum dolor sit amet ", count: 36))
        : makeLines(eventCount).map { line -> [UInt8] in
            // Move the timestamp (the envelope's first `"timestamp":`, before the payload).
            let key = Array(#""timestamp":"#.utf8)
            guard let at = line.indices.first(where: { line[$0...].starts(with: key) }) else { return line }
            let digitsStart = at + key.count
            let digitsEnd = line[digitsStart...].firstIndex { $0 < 0x30 || $0 > 0x39 } ?? line.endIndex
            let moved = (Int64(String(decoding: line[digitsStart..<digitsEnd], as: UTF8.self)) ?? 0) + shift
            return Array(line[..<digitsStart]) + Array(String(moved).utf8) + Array(line[digitsEnd...])
        }
    do {
        let fd = try FileDescriptor.open(arguments[2], O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600)
        try fd.writeAll(queue.flatMap { $0 + [0x0A] })
        fd.close()
    } catch {
        print("cannot write \(arguments[2]): \(error)")
        exit(1)
    }
    exit(0)
}

let lines = makeLines(eventCount)
let bytes = lines.reduce(0) { $0 + $1.count + 1 }
let batches = stride(from: 0, to: lines.count, by: batchSize).map {
    Array(lines[$0..<min($0 + batchSize, lines.count)])
}
let options = OTLPMappingOptions()

// MARK: - Mapping and encoding, in process

func mapAndEncode(_ wireProtocol: OTLPSettings.WireProtocol) -> (elapsed: Double, spans: Int, bodyBytes: Int) {
    var state = OTLPSpanState()
    var spans = 0
    var bodyBytes = 0
    let start = Clock.monotonicNanoseconds()
    for batch in batches {
        let mapping = OTLPSpanMapper.map(batch, from: state, options: options)
        state = mapping.state
        spans += mapping.batch.spans.count
        switch wireProtocol {
        case .protobuf:
            bodyBytes += OTLPProtobufEncoder.traces(mapping.batch).count + OTLPProtobufEncoder.logs(mapping.batch).count
        case .json:
            bodyBytes += OTLPJSONEncoder.traces(mapping.batch).count + OTLPJSONEncoder.logs(mapping.batch).count
        }
    }
    return (seconds(start), spans, bodyBytes)
}

_ = mapAndEncode(.protobuf)  // warm-up
let mapProtobuf = mapAndEncode(.protobuf)
let mapJSON = mapAndEncode(.json)

// MARK: - Into the decoding receiver

let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
let client = HTTPClient(
    endpoint: endpoint,
    configuration: HTTPClientConfiguration(connectTimeoutMilliseconds: 5_000, requestTimeoutMilliseconds: 120_000))

func check(_ answer: OTLPAnswer) {
    guard case .accepted(0, nil) = answer else {
        print("receiver did not accept: \(answer)")
        exit(1)
    }
}

/// Mapping + encoding + POSTing every batch (traces, then logs), as the flusher does.
func drain(_ wireProtocol: OTLPSettings.WireProtocol, _ batches: [[[UInt8]]]) -> Double {
    let sender = OTLPSender(settings: OTLPSettings(endpoint: endpoint, wireProtocol: wireProtocol))
    var state = OTLPSpanState()
    let start = Clock.monotonicNanoseconds()
    for batch in batches {
        let mapping = OTLPSpanMapper.map(batch, from: state, options: options)
        let delivery = sender.send(mapping.batch, via: client)
        check(delivery.traces)
        check(delivery.logs)
        state = mapping.state
    }
    return seconds(start)
}

/// The receiver's own ceiling: the same requests, encoded beforehand, POSTed back to back.
func ceiling(_ wireProtocol: OTLPSettings.WireProtocol, _ batches: [[[UInt8]]]) -> Double {
    let sender = OTLPSender(settings: OTLPSettings(endpoint: endpoint, wireProtocol: wireProtocol))
    var state = OTLPSpanState()
    var bodies: [(traces: [UInt8], logs: [UInt8])] = []
    for batch in batches {
        let mapping = OTLPSpanMapper.map(batch, from: state, options: options)
        bodies.append((sender.body(.traces, of: mapping.batch), sender.body(.logs, of: mapping.batch)))
        state = mapping.state
    }
    let start = Clock.monotonicNanoseconds()
    for body in bodies {
        check(sender.send(.traces, body: body.traces, via: client))
        check(sender.send(.logs, body: body.logs, via: client))
    }
    return seconds(start)
}

var rows: [String] = []
for wireProtocol in [OTLPSettings.WireProtocol.protobuf, .json] {
    // Python's protobuf JSON parser decodes about a thousand events a second: 10,000 are enough.
    let measured = wireProtocol == .json ? Array(batches.prefix(10_000 / batchSize)) : batches
    let count = measured.reduce(0) { $0 + $1.count }
    let baseline = ceiling(wireProtocol, measured)
    let ours = drain(wireProtocol, measured)
    // The ceiling for scripts/bench-otlp.sh's flusher row, in events/s.
    if wireProtocol == .protobuf, let path = getenv("OTLP_BENCH_CEILING_FILE").map({ String(cString: $0) }) {
        let text = Array("\(rate(count, baseline))\n".utf8)
        if let fd = try? FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600) {
            try? fd.writeAll(text)
            fd.close()
        }
    }
    rows.append(
        "| map + encode + POST into the decoding receiver, \(wireProtocol.rawValue), \(count) events | \(rate(count, ours)) | \(fixed2(ours)) s | receiver ceiling (the same requests pre-encoded) \(rate(count, baseline))/s: **\(ratio(baseline, ours))** |"
    )
}

func fixed2(_ seconds: Double) -> String { String((seconds * 100).rounded() / 100) }

print(
    "| map + encode in process, http/protobuf | \(rate(lines.count, mapProtobuf.elapsed)) | \(fixed2(mapProtobuf.elapsed)) s | \(mapProtobuf.spans) spans, \(lines.count) logs, \(mapProtobuf.bodyBytes / 1_000_000) MB of bodies from \(bytes / 1_000_000) MB of events |"
)
print(
    "| map + encode in process, http/json | \(rate(lines.count, mapJSON.elapsed)) | \(fixed2(mapJSON.elapsed)) s | \(mapJSON.bodyBytes / 1_000_000) MB of bodies |"
)
for row in rows { print(row) }

// MARK: - The state file with 10,000 open spans

// (The resident size of a flusher holding them is measured by scripts/bench-otlp.sh on a
// separate `send-event flush --background` process: in this one, after the runs above, the
// heap's own fragmentation blurs a difference of a few MiB.)

func openSpanState(content: Bool) -> String {
    var memoryOptions = OTLPMappingOptions()
    memoryOptions.maxOpenSpans = 10_000
    memoryOptions.recordsContent = content
    let openLines = openSpanLines(filler: String(repeating: "lorem ipsum dolor sit amet ", count: 36))
    var state = OTLPSpanState()
    for start in stride(from: 0, to: openLines.count, by: batchSize) {
        state =
            OTLPSpanMapper.map(
                openLines[start..<min(start + batchSize, openLines.count)], from: state, options: memoryOptions
            ).state
    }
    precondition(state.openSpanCount == 10_000, "expected 10,000 open spans, got \(state.openSpanCount)")
    let path = "/tmp/hookkit-otlp-bench-state-\(getpid()).json"
    var start = Clock.monotonicNanoseconds()
    do { try state.save(to: path) } catch { print("save failed: \(error)") }
    let saveTime = seconds(start)
    let fileBytes = (try? FileSystem.contents(of: path))??.count ?? 0
    start = Clock.monotonicNanoseconds()
    let loaded = (try? OTLPSpanState.load(from: path)) ?? nil
    let loadTime = seconds(start)
    FileSystem.remove(path)
    precondition(loaded == state, "the state did not load back equal")
    return
        "| 10,000 open spans\(content ? ", content on (1 KiB inputs)" : "") | \(fileBytes / 1024) KiB | \(Int(saveTime * 1000)) ms | \(Int(loadTime * 1000)) ms |"
}

print()
print("| mapping state (otlp-state.json) | file | save (write, fsync, rename) | load |")
print("|---|---|---|---|")
print(openSpanState(content: false))
print(openSpanState(content: true))
