// hook-hub: the reference hub of the wire contract. Argument parsing and start-up only; the
// logic lives in HookKitHub (Hub, EventStore, HTTPServer).
import HookKitSystem
import HookKit
import HookKitHub

let usage = """
    usage: hook-hub [options]

    The reference HookKit hub: receives events over HTTP (POST /events, POST /events/batch),
    stores them durably in a JSONL file, and serves them back (GET /events, GET /healthz).

    Signing: give the Standard Webhooks secret in a file or the environment, where `ps` does
    not show it: --secret-file PATH, else $CLAUDE_OBSERVABILITY_SECRET. With a secret every POST
    must be signed, and GET /events needs "Authorization: Bearer TOKEN" with the token of
    --read-token-file. Without one, anyone who can reach the hub can write and read.

    options:
      --host ADDRESS          IP address to bind (default 127.0.0.1; use 0.0.0.0 or :: with care)
      --port N                TCP port (default 4000; 0 picks a free port, shown at start-up)
      --store PATH            JSONL event store (default ./hook-hub-events.jsonl)
      --secret-file PATH      file holding the secret (one per line: several for rotation)
      --read-token-file PATH  file holding the token for GET /events (needed when a secret is set)
      --secret S              the secret on the command line (visible to every local user in
                              `ps`; prefer --secret-file); repeat for rotation
      --max-body BYTES        largest request body (default 4194304)
      --max-buffered BYTES    request bodies buffered at once, all connections (default 67108864)
      --max-read-bytes BYTES  most bytes of events in one GET /events answer (default 8388608)
      --request-timeout SEC   time to receive one request (default 10)
      --first-byte-timeout SEC  time a new connection has to start its request (default 5)
      --idle-timeout SEC      keep-alive idle time (default 60)
      --max-connections N     concurrent connections (default 1024)
      --downloads DIR         also serve GET /install.sh (DIR's install.sh, its defaults set to
                              this hub) and GET /downloads/NAME (files directly in DIR: the
                              archives and SHA256SUMS that scripts/release.sh makes), so that
                              curl -fsSL http://HUB:PORT/install.sh | bash installs HookKit
      --public-url URL        with --downloads: the URL clients reach this hub at (default:
                              http:// and the request's Host header)
      --max-connections-per-client N  concurrent connections from one address (default 256)
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
    var downloads: String?
    var publicURL: String?
    var maxConnectionsPerClient = 256
    var firstByteTimeout = 5_000
    var maxBuffered = 64 << 20
    var maxReadBytes = 8 << 20
    var readToken: String?
    var warnings: [String] = []
}

/// The non-empty lines of a small file (a secret or a token), or exit 64 saying why not.
func secretLines(_ path: String, _ option: String, into options: inout Options) -> [String] {
    let bytes: [UInt8]
    do {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        let info = try fd.status()
        if info.st_mode & 0o077 != 0 {
            options.warnings.append("\(path) can be read by group or others (chmod 600 it)")
        }
        bytes = try fd.readAll(limit: 64 * 1024)
    } catch {
        fail("\(option) \(path): \(error)")
    }
    let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        .map { $0.trimmingCharacters(in: " \t\r") }.filter { !$0.isEmpty }
    guard !lines.isEmpty else { fail("\(option) \(path) is empty") }
    return lines
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
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
        case "--secret-file":
            let path = value(option)
            options.secrets += secretLines(path, option, into: &options)
        case "--read-token-file":
            let path = value(option)
            options.readToken = secretLines(path, option, into: &options)[0]
        case "--max-buffered":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-buffered expects a byte count") }
            options.maxBuffered = parsed
        case "--max-read-bytes":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-read-bytes expects a byte count") }
            options.maxReadBytes = parsed
        case "--first-byte-timeout": options.firstByteTimeout = milliseconds(value(option), option)
        case "--max-connections-per-client":
            guard let parsed = Int(value(option)), parsed > 0 else {
                fail("--max-connections-per-client expects a count")
            }
            options.maxConnectionsPerClient = parsed
        case "--max-body":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-body expects a byte count") }
            options.limits.maxBodyBytes = parsed
        case "--request-timeout": options.requestTimeout = milliseconds(value(option), option)
        case "--idle-timeout": options.idleTimeout = milliseconds(value(option), option)
        case "--max-connections":
            guard let parsed = Int(value(option)), parsed > 0 else { fail("--max-connections expects a count") }
            options.maxConnections = parsed
        case "--downloads": options.downloads = value(option)
        case "--public-url": options.publicURL = value(option)
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
let hub = Hub(
    store: store,
    configuration: HubConfiguration(
        secrets: options.secrets, readToken: options.readToken, maxReadBytes: options.maxReadBytes))
let downloads = makeDownloads(options)
let server: HTTPServer
do {
    server = try HTTPServer(
        configuration: HTTPServerConfiguration(
            address: address, limits: options.limits, requestTimeoutMilliseconds: options.requestTimeout,
            idleTimeoutMilliseconds: options.idleTimeout, maxConnections: options.maxConnections,
            maxConnectionsPerClient: options.maxConnectionsPerClient,
            firstByteTimeoutMilliseconds: options.firstByteTimeout, maxBufferedBodyBytes: options.maxBuffered),
        headCheck: { head in hub.checkHead(head) },
        handler: { request in downloads?.handle(request) ?? hub.handle(request) })
} catch {
    fail("cannot listen on \(address): \(error)")
}
for warning in options.warnings {
    say("hook-hub: warning: \(warning)", to: 2)
}
if !server.address.isLoopback, options.secrets.isEmpty {
    say(
        "hook-hub: warning: listening beyond loopback without a secret: anyone who can reach it can write "
            + "and read every event (prompts, tool inputs); use --secret-file and --read-token-file", to: 2)
}
if !options.secrets.isEmpty, options.readToken == nil {
    say("hook-hub: note: GET /events answers 401 until a token is given with --read-token-file", to: 2)
}
if let downloads {
    say("hook-hub: serving /install.sh and /downloads/ from \(downloads.directory)", to: 2)
}
let secretCount = options.secrets.count
let signing =
    secretCount == 0
    ? "unsigned requests accepted" : "signatures required (\(secretCount) secret\(secretCount == 1 ? "" : "s"))"
say(
    "hook-hub \(HookKitVersion.current) listening on http://\(server.address) store \(options.storePath) (\(store.count) events), \(signing)",
    to: 1)
server.run()
