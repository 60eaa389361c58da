import Foundation

/// A throwaway CA, two server certificates and `scripts/tls-proxy.py` terminating TLS in front of
/// a plain HTTP server, all on 127.0.0.1, for the TLS tests. Call ``stop()`` when done.
///
/// `port` serves a certificate for `localhost` and `127.0.0.1`; `wrongPort` one for
/// `hub.example` only, signed by the same CA.
final class TLSTestServer {
    let directory: String
    let caFile: String
    private(set) var port: UInt16 = 0
    private(set) var wrongPort: UInt16 = 0
    private let process = Process()
    private let input = Pipe()
    private let outputPath: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/tls-proxy.py").path

    /// Generates the certificates and starts the proxy; returns once it accepts connections.
    init(upstream: String? = nil) throws {
        directory = try makeTemporaryDirectory("hookkit-tls")
        caFile = directory + "/ca.pem"
        outputPath = directory + "/proxy.out"
        do {
            try makeCertificates()
            try start(upstream: upstream)
        } catch {
            stop()
            throw error
        }
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try runProcess("/usr/bin/env", ["openssl"] + arguments)
        guard result.status == 0 else {
            throw TLSTestServerError("openssl \(arguments.first ?? "") failed: \(result.stderrText)")
        }
    }

    private func makeCertificates() throws {
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "\(directory)/ca.key", "-out", caFile, "-days", "2", "-subj", "/CN=HookKit Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        for (name, names, serial) in [
            ("server", "DNS:localhost,IP:127.0.0.1", "0x1001"), ("wrong", "DNS:hub.example", "0x1002"),
        ] {
            let base = "\(directory)/\(name)"
            try openssl(
                ["req", "-new"] + ec + ["-keyout", "\(base).key", "-out", "\(base).csr", "-subj", "/CN=\(name)"])
            try "subjectAltName=\(names)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
            try openssl([
                "x509", "-req", "-in", "\(base).csr", "-CA", caFile, "-CAkey", "\(directory)/ca.key",
                "-set_serial", serial, "-days", "2", "-extfile", "\(base).ext", "-out", "\(base).pem",
            ])
        }
    }

    private func start(upstream: String?) throws {
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        FileManager.default.createFile(atPath: directory + "/proxy.err", contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = [
            "python3", Self.script, "--cert", "\(directory)/server.pem", "--key", "\(directory)/server.key",
            "--wrong-cert", "\(directory)/wrong.pem", "--wrong-key", "\(directory)/wrong.key",
        ]
        if let upstream { arguments += ["--upstream", upstream] }
        process.arguments = arguments
        process.standardInput = input  // the proxy also exits when this closes
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/proxy.err"))
        try process.run()
        guard waitUntil(timeoutSeconds: 10, { self.lines().contains("READY") }) else {
            let errors = (try? String(contentsOfFile: directory + "/proxy.err", encoding: .utf8)) ?? ""
            throw TLSTestServerError("tls-proxy.py did not become ready: \(errors)")
        }
        for line in lines() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = UInt16(parts[1]) else { continue }
            if parts[0] == "PORT" { port = value }
            if parts[0] == "WRONG_PORT" { wrongPort = value }
        }
    }

    /// The proxy's output lines so far.
    func lines() -> [String] {
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Completed TLS handshakes on `port`.
    func handshakes(on port: UInt16) -> Int { lines().filter { $0 == "HANDSHAKE \(port)" }.count }

    /// TLS connections on `port` that have ended.
    func closedConnections(on port: UInt16) -> Int { lines().filter { $0 == "CLOSED \(port)" }.count }

    /// Stops the proxy and removes the folder.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            // SIGKILL: Foundation's Process spawns with the calling thread's signal mask, and test
            // threads block SIGTERM, so `terminate()` may never be delivered.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        removeTemporaryDirectory(directory)
    }
}

/// A set-up step of the TLS test server failed.
struct TLSTestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 5 ms until it holds (true) or `timeoutSeconds` pass (false).
func waitUntil(timeoutSeconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}
