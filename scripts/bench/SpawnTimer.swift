// spawn-timer: times whole processes the way Claude Code runs a hook: stdin, stdout and stderr
// are pipes; the parent writes the event, closes stdin, reads both output pipes to end-of-file
// and reaps the child. The clock stops only when all three have happened. Commands alternate
// round by round so that machine noise hits them alike. Built and run by scripts/bench-hook.sh.
//
//   spawn-timer --runs N --warmup W --input FILE [--stdin file|pipe] --cmd 'LABEL=/path/to/exe arg ...' ...
//
// `--stdin file` gives the child the input file itself as stdin instead (reported beside, never
// instead). Prints one row per command: p50, p99, mean (ms) and the p50 ratio to the first one.
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

func makePipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { fatalError("pipe: \(errno)") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}

/// Spawns `argv` with pipes (or the input file) as stdio, feeds `input`, drains both outputs to
/// end-of-file, reaps it; returns the elapsed milliseconds.
func run(_ argv: [String], input: [UInt8], inputPath: String, stdinFromFile: Bool) -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let stdinPipe = stdinFromFile ? nil : makePipe()
    let out = makePipe()
    let err = makePipe()
    if let stdinPipe {
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, out.write, 1)
    posix_spawn_file_actions_adddup2(&actions, err.write, 2)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else {
        fatalError("cannot spawn \(argv[0])")
    }
    close(out.write)
    close(err.write)
    var pending = input[...]
    if let stdinPipe {
        close(stdinPipe.read)
        _ = fcntl(stdinPipe.write, F_SETFL, O_NONBLOCK)
    }
    var stdinFD: Int32 = stdinPipe?.write ?? -1
    var open = [out.read, err.read]
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty || stdinFD >= 0 {
        if stdinFD >= 0 && pending.isEmpty {
            close(stdinFD)
            stdinFD = -1
            continue
        }
        var entries = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if stdinFD >= 0 { entries.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
        guard poll(&entries, nfds_t(entries.count), -1) > 0 else { continue }
        for entry in entries where entry.revents != 0 {
            if entry.fd == stdinFD {
                let written = pending.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
                if written > 0 {
                    pending = pending.dropFirst(written)
                } else if written < 0 && errno != EAGAIN && errno != EINTR {
                    pending = []  // the child closed stdin early: fine for a hook
                }
            } else {
                let count = read(entry.fd, &buffer, buffer.count)
                if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return now() - start
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

signal(SIGPIPE, SIG_IGN)
var runs = 200
var warmup = 20
var inputPath = "/dev/null"
var stdinFromFile = false
var commands: [Command] = []
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fatalError("\(flag) needs a value") }
    switch flag {
    case "--runs": runs = Int(value) ?? runs
    case "--warmup": warmup = Int(value) ?? warmup
    case "--input": inputPath = value
    case "--stdin": stdinFromFile = value == "file"
    case "--cmd":
        let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
        commands.append(Command(label: parts[0], argv: parts[1].split(separator: " ").map(String.init)))
    default: fatalError("unknown flag \(flag)")
    }
}
var input: [UInt8] = []
if let file = fopen(inputPath, "rb") {
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        input += chunk[0..<count]
    }
    fclose(file)
}
for _ in 0..<warmup {
    for command in commands { _ = run(command.argv, input: input, inputPath: inputPath, stdinFromFile: stdinFromFile) }
}
for _ in 0..<runs {
    for index in commands.indices {
        commands[index].samples.append(
            run(commands[index].argv, input: input, inputPath: inputPath, stdinFromFile: stdinFromFile))
    }
}
func fmt(_ value: Double) -> String { String((value * 1000).rounded() / 1000) }
let baseline = percentile(commands[0].samples.sorted(), 0.5)
print("| command | p50 ms | p99 ms | mean ms | p50 vs \(commands[0].label) |")
print("|---|---|---|---|---|")
for command in commands {
    let sorted = command.samples.sorted()
    let p50 = percentile(sorted, 0.5)
    let mean = sorted.reduce(0, +) / Double(sorted.count)
    print("| \(command.label) | \(fmt(p50)) | \(fmt(percentile(sorted, 0.99))) | \(fmt(mean)) | \(fmt(p50 / baseline))x |")
}
