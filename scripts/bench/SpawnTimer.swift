// spawn-timer: times whole processes the way Claude Code runs a hook (stdin from a file,
// stdout and stderr to /dev/null), alternating the commands round by round so that machine
// noise hits them alike. Built and run by scripts/bench-hook.sh.
//
//   spawn-timer --runs N --warmup W --input FILE --cmd 'LABEL=/path/to/exe arg ...' ...
//
// Prints one row per command: p50, p99, mean (ms) and the p50 ratio to the first command.
#if canImport(Darwin)
import Darwin
#else
import Glibc
#endif

struct Command {
    var label: String
    var argv: [String]
    var samples: [Double] = []
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

func run(_ argv: [String], input: String) -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else {
        fatalError("cannot spawn \(argv[0])")
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let elapsed = now() - start
    posix_spawn_file_actions_destroy(&actions)
    return elapsed
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

var runs = 200
var warmup = 20
var input = "/dev/null"
var commands: [Command] = []
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fatalError("\(flag) needs a value") }
    switch flag {
    case "--runs": runs = Int(value) ?? runs
    case "--warmup": warmup = Int(value) ?? warmup
    case "--input": input = value
    case "--cmd":
        let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
        commands.append(Command(label: parts[0], argv: parts[1].split(separator: " ").map(String.init)))
    default: fatalError("unknown flag \(flag)")
    }
}
for _ in 0..<warmup { for command in commands { _ = run(command.argv, input: input) } }
for _ in 0..<runs {
    for index in commands.indices { commands[index].samples.append(run(commands[index].argv, input: input)) }
}
func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
func fmt(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return String(scaled)
}
let baseline = percentile(commands[0].samples.sorted(), 0.5)
print("| command | p50 ms | p99 ms | mean ms | p50 vs \(commands[0].label) |")
print("|---|---|---|---|---|")
for command in commands {
    let sorted = command.samples.sorted()
    let p50 = percentile(sorted, 0.5)
    let mean = sorted.reduce(0, +) / Double(sorted.count)
    print("| \(command.label) | \(fmt(p50)) | \(fmt(percentile(sorted, 0.99))) | \(fmt(mean)) | \(fmt(p50 / baseline))x |")
}
