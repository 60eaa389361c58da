// hook-hub: the reference hub of the wire contract. Argument parsing and start-up only; the
// logic lives in HookKitHub (Hub, EventStore, HTTPServer).
import HookKitSystem
import HookKit
import HookKitHub

let usage = """
    usage: hook-hub [options]

    The reference HookKit hub: receives events over HTTP (POST /events, POST /events/batch),
    stores them durably in a JSONL file, and serves them back (GET /events, GET /healthz).

    options:
      --host ADDRESS          IP address to bind (default 127.0.0.1; use 0.0.0.0 or :: with care)
      --port N                TCP port (default 4000; 0 picks a free port, shown at start-up)
      --store PATH            JSONL event store (default ./hook-hub-events.jsonl)
      --secret S              Standard Webhooks secret; repeat for rotation. Default:
                              $CLAUDE_OBSERVABILITY_SECRET. Without any, requests are not verified.
      --max-body BYTES        largest request body (default 4194304)
      --request-timeout SEC   time to receive one request (default 10)
      --idle-timeout SEC      keep-alive idle time (default 60)
      --max-connections N     concurrent connections (default 1024)
      --help                  this text
      --version               the version
    """

func say(_ text: String, to descriptor: Int32) {
    var text = text + "\n"
    text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say("hook-hub: \(message)", to: 2)
    exit(64)
}

func milliseconds(_ text: String, _ option: String) -> Int {
    guard let seconds = Double(text), seconds > 0, seconds < 86_400 else {
        fail("\(option) expects a number of seconds")
    }
    return Int(seconds * 1000)
}

struct Options {
    var host = "127.0.0.1"
    var port: UInt16 = 4000
    var storePath = "hook-hub-events.jsonl"
    var secrets: [String] = []
    var limits = HTTPRequestLimits()
    var requestTimeout = 10_000
    var idleTimeout = 60_000
    var maxConnections = 1024
}

func parseOptions(_ all: [String]) -> Options {
    var options = Options()
    var arguments = all.dropFirst()
    func value(_ option: String) -> String {
        guard let next = arguments.popFirst() else { fail("\(option) needs a value") }
        return next
    }
    while let argument = arguments.popFirst() {
        var option = argument
        if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
            option = String(argument[..<equals])
            arguments.insert(String(argument[argument.index(after: equals)...]), at: arguments.startIndex)
        }
        switch option {
        case "--help", "-h":
            say(usage, to: 1)
            exit(0)
        case "--version":
            say("hook-hub \(HookKitVersion.current)", to: 1)
            exit(0)
        case "--host": options.host = value(option)
        case "--port":
            guard let parsed = UInt16(value(option)) else { fail("--port expects 0...65535") }
            options.port = parsed
        case "--store": options.storePath = value(option)
        case "--secret":
            let secret = value(option)
            guard !secret.isEmpty else { fail("--secret must not be empty") }
            options.secrets.append(secret)
        case "--max-body":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-body expects a byte count") }
            options.limits.maxBodyBytes = parsed
        case "--request-timeout": options.requestTimeout = milliseconds(value(option), option)
        case "--idle-timeout": options.idleTimeout = milliseconds(value(option), option)
        case "--max-connections":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-connections expects a count") }
            options.maxConnections = parsed
        default:
            fail("unknown argument \(argument) (see --help)")
        }
    }
    if options.secrets.isEmpty, let secret = Configuration().secret { options.secrets = [secret] }
    for secret in options.secrets where (try? StandardWebhooks.Key(secret: secret)) == nil {
        fail("a whsec_ secret must be followed by non-empty base64 (got one of \(secret.utf8.count) bytes)")
    }
    return options
}

let options = parseOptions(CommandLine.arguments)

// A parent may have spawned us with signals blocked (a test runner's worker thread does): make
// SIGTERM and SIGINT end the hub as usual. Nothing is lost: every acknowledged event is synced.
var noSignals = sigset_t()
sigemptyset(&noSignals)
sigprocmask(SIG_SETMASK, &noSignals, nil)
signal(SIGTERM, SIG_DFL)
signal(SIGINT, SIG_DFL)
signal(SIGPIPE, SIG_IGN)
signal(SIGXFSZ, SIG_IGN)  // a store that may not grow fails the write (EFBIG), answered 503, instead of killing the hub
guard
    let address = SocketAddress(ipLiteral: options.host, port: options.port)
        ?? (options.host == "localhost" ? .loopbackIPv4(port: options.port) : nil)
else {
    fail("--host expects an IP address, got \(options.host)")
}

let store: EventStore
do {
    store = try EventStore(path: options.storePath)
} catch {
    fail(error.message)
}
for warning in store.openReport.warnings {
    say("hook-hub: warning: \(warning)", to: 2)
}
if !options.secrets.isEmpty {
    do {
        _ = try StandardWebhooks.Verifier(secrets: options.secrets)
    } catch {
        fail("unusable secret: \(error) (a whsec_ secret must be base64 after the prefix)")
    }
}
let hub = Hub(store: store, configuration: HubConfiguration(secrets: options.secrets))
let server: HTTPServer
do {
    server = try HTTPServer(
        configuration: HTTPServerConfiguration(
            address: address, limits: options.limits, requestTimeoutMilliseconds: options.requestTimeout,
            idleTimeoutMilliseconds: options.idleTimeout, maxConnections: options.maxConnections),
        handler: { request in hub.handle(request) })
} catch {
    fail("cannot listen on \(address): \(error)")
}
if !server.address.isLoopback, options.secrets.isEmpty {
    say("hook-hub: warning: listening beyond loopback without --secret: anyone who can reach it can write", to: 2)
}
let secretCount = options.secrets.count
let signing =
    secretCount == 0
    ? "unsigned requests accepted" : "signatures required (\(secretCount) secret\(secretCount == 1 ? "" : "s"))"
say(
    "hook-hub \(HookKitVersion.current) listening on http://\(server.address) store \(options.storePath) (\(store.count) events), \(signing)",
    to: 1)
server.run()
