import Foundation
import HookKit
import HookKitHub
import HookKitSystem
import Testing

/// https hubs through the `hookkit-tls` helper: a throwaway CA, a TLS-terminating proxy
/// (scripts/tls-proxy.py) in front of a plain HTTP server, and the real helper binary.
@Suite struct TLSTunnelTests {
    let helper = Executables.path("hookkit-tls")

    func client(_ url: String, caFile: String?, connectTimeoutMilliseconds: Int = 5_000) throws -> HTTPClient {
        let endpoint = try #require(HTTPEndpoint(url: url))
        return HTTPClient(
            endpoint: endpoint,
            configuration: HTTPClientConfiguration(connectTimeoutMilliseconds: connectTimeoutMilliseconds),
            connector: TLSTunnel(helperPath: helper, caFile: caFile))
    }

    func failure(_ body: () throws(HTTPClientError) -> HTTPResponse) -> HTTPClientError? {
        do {
            let response = try body()
            Issue.record("expected a failure, got status \(response.status)")
            return nil
        } catch {
            return error
        }
    }

    @Test func httpsURLsParse() throws {
        let plain = try #require(HTTPEndpoint(url: "http://hub.example/base/"))
        #expect(!plain.isTLS && plain.port == 80 && plain.scheme == "http" && plain.basePath == "/base")
        let secure = try #require(HTTPEndpoint(url: "https://hub.example"))
        #expect(secure.isTLS && secure.port == 443 && secure.scheme == "https" && secure.host == "hub.example")
        #expect(secure.description == "https://hub.example:443")
        let custom = try #require(HTTPEndpoint(url: "HTTPS://[::1]:8443/hooks?x#y"))
        #expect(custom.isTLS && custom.host == "::1" && custom.port == 8443 && custom.basePath == "/hooks")
        #expect(HTTPEndpoint(url: "https://") == nil)
        #expect(HTTPEndpoint(url: "httpss://hub.example") == nil)
        #expect(HTTPEndpoint(url: "ftp://hub.example") == nil)
        // An https endpoint gets the TLS tunnel by default, a plain one a direct connection.
        #expect(HTTPClient(endpoint: secure).connector is TLSTunnel)
        #expect(HTTPClient(endpoint: plain).connector == nil)
    }

    @Test func postsOverHTTPSAndKeepAliveReusesOneHelper() throws {
        let server = try TLSTestServer()
        defer { server.stop() }
        let http = try client("https://localhost:\(server.port)/hub", caFile: server.caFile)
        for index in 0..<3 {
            let body = Array(#"{"event_uuid":"\#(index)"}"#.utf8)
            let response = try http.post("/events", body: body)
            #expect(response.status == 201)
            let echo = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            #expect(echo["path"] as? String == "/hub/events")
            #expect(echo["host"] as? String == "localhost:\(server.port)")
            #expect(echo["bytes"] as? Int == body.count)
        }
        // A large body crosses the relay in many TLS records.
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 3 * 1024 * 1024 + 17)
        let echo = try #require(
            try JSONSerialization.jsonObject(with: Data(http.post("/events/batch", body: large).body))
                as? [String: Any])
        #expect(echo["bytes"] as? Int == large.count)
        let blob = try http.get("/blob?size=\(large.count)")
        #expect(blob.status == 200 && blob.body.count == large.count, "\(blob.status) \(blob.body.count)")
        #expect(blob.body.allSatisfy { $0 == UInt8(ascii: "y") })
        #expect(try http.get("/healthz").status == 200)
        #expect(server.handshakes(on: server.port) == 1, "one helper, one TLS session for all requests")
        // Closing the connection ends the helper, which ends the TLS session, and is reaped.
        http.closeIdleConnections()
        #expect(waitUntil(timeoutSeconds: 5) { server.closedConnections(on: server.port) == 1 })
        #expect(waitUntil(timeoutSeconds: 5) { helperChildren() == 0 }, "no helper left, not even a zombie")
    }

    @Test func aConnectionTheHubClosedWhileIdleIsReplaced() throws {
        let directory = try makeTemporaryDirectory("tls-idle")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory, arguments: ["--idle-timeout", "0.2"])
        defer { hub.crash() }
        let server = try TLSTestServer(upstream: "127.0.0.1:\(hub.port)")
        defer { server.stop() }
        let http = try client("https://localhost:\(server.port)", caFile: server.caFile)
        #expect(try http.get("/healthz").status == 200)
        // hook-hub drops the idle connection; the proxy, then the helper, follow.
        #expect(waitUntil(timeoutSeconds: 5) { server.closedConnections(on: server.port) == 1 })
        #expect(try http.get("/healthz").status == 200)
        #expect(server.handshakes(on: server.port) == 2)
    }

    @Test func ipAddressHostsAreCheckedAgainstIPNames() throws {
        let server = try TLSTestServer()
        defer { server.stop() }
        let http = try client("https://127.0.0.1:\(server.port)", caFile: server.caFile)
        #expect(try http.post("/events", body: Array("{}".utf8)).status == 201)
        let wrong = try client("https://127.0.0.1:\(server.wrongPort)", caFile: server.caFile)
        let error = try #require(failure { () throws(HTTPClientError) in try wrong.get("/healthz") })
        #expect(error.message.contains("certificate verify failed: IP address mismatch (host 127.0.0.1)"))
    }

    @Test func withoutTheCAVerificationFails() throws {
        let server = try TLSTestServer()
        defer { server.stop() }
        // Not trusted: our CA is in no system store (the helper would read
        // CLAUDE_OBSERVABILITY_CA_FILE, which the test environment does not set).
        let http = try client("https://localhost:\(server.port)", caFile: nil)
        let error = try #require(
            failure { () throws(HTTPClientError) in try http.post("/events", body: [0x7B, 0x7D]) })
        #expect(error.kind == .connect)
        #expect(error.message.hasPrefix("hookkit-tls: certificate verify failed: "), "\(error)")
        #expect(error.message.hasSuffix("(host localhost)"), "\(error)")
        #expect(!error.message.contains("\n"))
        #expect(server.handshakes(on: server.port) == 0)
    }

    @Test func wrongHostNameFails() throws {
        let server = try TLSTestServer()
        defer { server.stop() }
        let http = try client("https://localhost:\(server.wrongPort)", caFile: server.caFile)
        let error = try #require(failure { () throws(HTTPClientError) in try http.get("/healthz") })
        #expect(error.kind == .connect)
        #expect(error.message == "hookkit-tls: certificate verify failed: hostname mismatch (host localhost)")
    }

    @Test func caFileFromTheEnvironment() throws {
        let server = try TLSTestServer()
        defer { server.stop() }
        let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let trusted = try runProcess(
            helper, ["localhost", String(server.port)], stdin: Data(request.utf8),
            environment: ["CLAUDE_OBSERVABILITY_CA_FILE": server.caFile])
        #expect(trusted.status == 0, "\(trusted.stderrText)")
        #expect(trusted.stdoutText.hasPrefix("HTTP/1.1 200 "))
        #expect(trusted.stderrText.isEmpty)
        let missing = try runProcess(
            helper, ["localhost", String(server.port)], stdin: Data(request.utf8),
            environment: ["CLAUDE_OBSERVABILITY_CA_FILE": server.directory + "/nope.pem"])
        #expect(missing.status == 7)
        #expect(missing.stderrText.hasPrefix("hookkit-tls: cannot load CA file \(server.directory)/nope.pem"))
    }

    @Test func missingHelperIsAClearError() throws {
        let endpoint = try #require(HTTPEndpoint(url: "https://localhost:1"))
        let http = HTTPClient(endpoint: endpoint, connector: TLSTunnel(helperPath: "/nonexistent/hookkit-tls"))
        let error = try #require(failure { () throws(HTTPClientError) in try http.get("/healthz") })
        #expect(error.kind == .connect)
        #expect(error.message.contains("/nonexistent/hookkit-tls is missing or not executable"))
        #expect(error.message.contains("CLAUDE_OBSERVABILITY_TLS_HELPER"))
        let overridden = TLSTunnel(Configuration(environment: ["CLAUDE_OBSERVABILITY_TLS_HELPER": "/opt/x/tls"]))
            .helperPath
        #expect(overridden == "/opt/x/tls")
        #expect(TLSTunnel(Configuration(environment: [:])).helperPath?.hasSuffix("/hookkit-tls") == true)
    }

    @Test func connectionFailuresAndTimeouts() throws {
        // A port nobody listens on: the helper's connect error, mapped to .connect.
        let closed = try Socket.listening(on: .loopbackIPv4(port: 0))
        let closedPort = try closed.localAddress().port
        closed.close()
        let refused = try client("https://127.0.0.1:\(closedPort)", caFile: nil)
        let refusal = try #require(failure { () throws(HTTPClientError) in try refused.get("/") })
        #expect(refusal.kind == .connect)
        #expect(refusal.message.hasPrefix("hookkit-tls: cannot connect to 127.0.0.1:\(closedPort)"), "\(refusal)")

        // A server that accepts TCP but never answers the handshake: a timeout, within its bound.
        // Which phase the short deadline hits (the connection, the handshake, or the helper not
        // reporting in time) depends on the machine's load, so only the kind, the address and the
        // bound are asserted.
        let silent = try Socket.listening(on: .loopbackIPv4(port: 0))
        defer { silent.close() }
        let silentPort = try silent.localAddress().port
        let stalled = try client("https://127.0.0.1:\(silentPort)", caFile: nil, connectTimeoutMilliseconds: 300)
        let started = Date()
        let timeout = try #require(failure { () throws(HTTPClientError) in try stalled.get("/") })
        #expect(timeout.kind == .timeout, "\(timeout)")
        #expect(timeout.message.contains("127.0.0.1:\(silentPort) timed out"), "\(timeout)")
        #expect(Date().timeIntervalSince(started) < 10, "bounded by the deadline, not by the silent server")
    }

    /// The production path: the static send-event's detached flusher delivers to an https hub
    /// (hook-hub behind the TLS proxy) through the hookkit-tls found next to it.
    @Test func sendEventDeliversToAnHTTPSHub() throws {
        let directory = try makeTemporaryDirectory("tls-e2e")
        defer { removeTemporaryDirectory(directory) }
        let hub = try HubProcess.start(directory: directory)
        defer { hub.crash() }
        let server = try TLSTestServer(upstream: "127.0.0.1:\(hub.port)")
        defer { server.stop() }
        let spool = directory + "/spool"
        var environment = [
            "CLAUDE_OBSERVABILITY_HUB": "https://localhost:\(server.port)", "CLAUDE_OBSERVABILITY_SPOOL": spool,
            "CLAUDE_OBSERVABILITY_CA_FILE": server.caFile, "CLAUDE_OBSERVABILITY_LINGER_MS": "100",
        ]
        let event = #"{"session_id":"tls-e2e","hook_event_name":"Stop"}"#
        let hook = try runProcess(Executables.path("send-event"), stdin: Data(event.utf8), environment: environment)
        #expect(hook.status == 0 && hook.stderrText.isEmpty)
        let stored = waitUntil(timeoutSeconds: 10) {
            guard let response = try? hub.client.get("/events?session_id=tls-e2e"), response.status == 200 else {
                return false
            }
            return (try? JSONValue.parse(response.body).arrayValue?.count) == 1
        }
        #expect(stored, "the background flusher delivered the event over https")
        #expect(server.handshakes(on: server.port) >= 1)

        // Without the CA the foreground flush fails and says why.
        environment["CLAUDE_OBSERVABILITY_CA_FILE"] = nil
        environment["CLAUDE_OBSERVABILITY_SPOOL"] = directory + "/untrusted"
        let id = UUIDv7.generate().uuidString
        try Spool(directory: directory + "/untrusted").append(
            Array(#"{"event_uuid":"\#(id)","session_id":"x","timestamp":\#(Clock.unixMilliseconds())}"#.utf8))
        let flush = try runProcess(Executables.path("send-event"), ["flush"], environment: environment)
        #expect(flush.status == 1)
        #expect(flush.stderrText.contains("hookkit-tls: certificate verify failed: "), "\(flush.stderrText)")
    }

    @Test func helperCommandLine() throws {
        let version = try runProcess(helper, ["--version"])
        #expect(version.status == 0 && version.stdoutText.hasPrefix("hookkit-tls "))
        let help = try runProcess(helper, ["--help"])
        #expect(help.status == 0 && help.stdoutText.contains("CLAUDE_OBSERVABILITY_CA_FILE"))
        let usage = try runProcess(helper, ["localhost"])
        #expect(usage.status == 2)
        #expect(usage.stderrText == "hookkit-tls: expected HOST PORT (see --help)\n")
        let badPort = try runProcess(helper, ["localhost", "0"])
        #expect(badPort.status == 2)
    }
}

/// Child processes of this test process that are `hookkit-tls` helpers, running or zombie.
func helperChildren() -> Int {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard Int32(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let name = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return name == "hookkit-tls" && fields.count > 2 && Int32(fields[1]) == me
    }.count
}
