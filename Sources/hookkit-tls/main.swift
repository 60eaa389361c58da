// hookkit-tls: the TLS helper of HookKit's flusher. See `hookkit-tls --help`.
//
// send-event is a static executable that must not load shared libraries, so it never speaks TLS
// itself: for an https hub its flusher starts this helper with one end of a socket pair as stdin
// and stdout, and sends plain HTTP through it. Only this process loads OpenSSL (Linux) or uses
// Network.framework (macOS), and only when an https hub is actually contacted.
import HookKitSystem
import HookKit

let usage = """
    hookkit-tls \(HookKitVersion.current): relay a byte stream over TLS to HOST:PORT.

    USAGE
      hookkit-tls [--connect-timeout-ms MS] [--ca-file PEM] HOST PORT
      hookkit-tls --check
      hookkit-tls --help | --version

    Standard input and output must be one connected stream (HookKit's flusher passes one end of
    a socket pair as both). The helper connects to HOST:PORT, performs a TLS handshake with SNI
    and verifies the server's certificate for HOST, then relays bytes both ways until either side
    closes. Once connected it redirects standard error to /dev/null: the parent reads end-of-file
    on its stderr pipe as "ready". On failure it prints one line on stderr and exits non-zero:
    1 connection broke, 2 usage, 3 cannot resolve, 4 cannot connect, 5 timed out,
    6 TLS handshake or certificate verification failed, 7 TLS set-up failed.

    --check loads the TLS library (OpenSSL on Linux), prints one line saying so and exits 0, or 7
    when it cannot be loaded (send-event doctor runs it for https hubs).

    OPTIONS
      --connect-timeout-ms MS   time allowed for resolving, connecting and the handshake
                                (default 10000)
      --ca-file PEM             extra CA certificates to trust, on top of the system's
                                (overrides CLAUDE_OBSERVABILITY_CA_FILE)

    ENVIRONMENT
      CLAUDE_OBSERVABILITY_CA_FILE   a PEM file of extra CA certificates to trust, on top of the
                                     system's (for hubs with a private CA or a self-signed
                                     certificate)
      SSL_CERT_FILE, SSL_CERT_DIR    (Linux) where OpenSSL finds the system's CAs, if not in
                                     its default place

    Linux: OpenSSL (libssl.so.3 or libssl.so.1.1) is loaded when the helper starts; nothing
    links against it. macOS: Network.framework and the system trust store.
    """

/// The parsed command line.
struct Invocation {
    var host: String
    var port: UInt16
    var timeoutMilliseconds = 10_000
    var caFile: String?
}

func parse(_ arguments: ArraySlice<String>) throws(TunnelFailure) -> Invocation {
    var rest = arguments
    var positional: [String] = []
    var timeout = 10_000
    var caFile = Configuration().caFile
    while let argument = rest.popFirst() {
        switch argument {
        case "--help", "-h":
            TunnelIO.printOutput(usage)
            exit(0)
        case "--version":
            TunnelIO.printOutput("hookkit-tls \(HookKitVersion.current)")
            exit(0)
        case "--check":
            #if canImport(Network)
            TunnelIO.printOutput("hookkit-tls: Network.framework available")
            #elseif canImport(Glibc)
            _ = try OpenSSL.load()
            TunnelIO.printOutput("hookkit-tls: OpenSSL loaded")
            #endif
            exit(0)
        case "--connect-timeout-ms":
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                throw .usage("--connect-timeout-ms needs a positive number of milliseconds")
            }
            timeout = value
        case "--ca-file":
            guard let path = rest.popFirst(), !path.isEmpty else { throw .usage("--ca-file needs a path") }
            caFile = path
        default:
            if argument.hasPrefix("-"), argument.count > 1 { throw .usage("unknown option \(argument) (see --help)") }
            positional.append(argument)
        }
    }
    guard positional.count == 2 else { throw .usage("expected HOST PORT (see --help)") }
    var host = positional[0]
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw .usage("empty HOST") }
    guard let port = UInt16(positional[1]), port > 0 else { throw .usage("invalid PORT \(positional[1])") }
    return Invocation(host: host, port: port, timeoutMilliseconds: timeout, caFile: caFile)
}

func main() -> Never {
    // Writes to a closed peer must fail with EPIPE, not kill the helper.
    signal(SIGPIPE, SIG_IGN)
    do {
        let invocation = try parse(CommandLine.arguments.dropFirst())
        #if canImport(Network)
        try NetworkTunnel(
            host: invocation.host, port: invocation.port, timeoutMilliseconds: invocation.timeoutMilliseconds,
            caFile: invocation.caFile
        ).run()
        #elseif canImport(Glibc)
        try OpenSSLTunnel(
            host: invocation.host, port: invocation.port, timeoutMilliseconds: invocation.timeoutMilliseconds,
            caFile: invocation.caFile
        ).run()
        #else
        throw TunnelFailure.setup("no TLS implementation for this platform")
        #endif
        exit(0)
    } catch {
        error.exit()
    }
}

main()
