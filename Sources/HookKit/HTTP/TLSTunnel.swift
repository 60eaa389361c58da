import HookKitSystem

/// Connects to `https://` servers through the `hookkit-tls` helper, so that no TLS library is
/// ever loaded into this process.
///
/// `send-event` is a static executable that cannot load shared libraries; its flusher speaks
/// plain HTTP and leaves TLS to a helper process. For every new connection the tunnel creates a
/// socket pair and starts `hookkit-tls --connect-timeout-ms MS HOST PORT` with one end as its
/// stdin and stdout and a pipe as its stderr. The helper connects, verifies the certificate and,
/// once the session is up, points its stderr at `/dev/null`: end-of-file on the pipe with no text
/// means "ready", and the other end of the pair is returned as the connection. The helper relays
/// for as long as both sides keep the connection open, so ``HTTPClient``'s keep-alive reuses one
/// helper for many requests; when the client closes the socket the helper ends the TLS session
/// and exits, and a small thread reaps it. On failure the helper prints one line and exits with
/// a status that says what failed; that line becomes the ``HTTPClientError``'s message.
///
/// The helper is `hookkit-tls` next to the running executable, or the path in
/// `CLAUDE_OBSERVABILITY_TLS_HELPER`. It trusts the system's CAs plus the PEM file named by
/// `CLAUDE_OBSERVABILITY_CA_FILE` (the flusher passes both from ``Configuration``).
package struct TLSTunnel: HTTPConnector {
    /// The helper's file name, looked for next to the running executable.
    package static let helperName = "hookkit-tls"
    /// The environment variable that overrides where the helper is.
    package static let helperVariable = "CLAUDE_OBSERVABILITY_TLS_HELPER"

    /// The helper to start; `nil` when no path could be worked out (every connect then fails).
    package var helperPath: String?
    /// A PEM file of extra CA certificates for the helper to trust (`--ca-file`).
    package var caFile: String?
    /// Extra time the helper gets beyond the connect timeout to report its own, more precise
    /// timeout before it is killed.
    var gracePeriodMilliseconds = 250

    /// A tunnel through the helper at `helperPath` (by default `hookkit-tls` next to the running
    /// executable), trusting `caFile` on top of the system's CAs when given.
    package init(helperPath: String? = TLSTunnel.helperPath(configured: nil), caFile: String? = nil) {
        self.helperPath = helperPath
        self.caFile = caFile
    }

    /// `configured` when set, else `hookkit-tls` in the running executable's folder; `nil` when
    /// neither is known.
    package static func helperPath(configured: String?) -> String? {
        if let configured, !configured.isEmpty { return configured }
        guard let executable = Platform.currentExecutable(), let slash = executable.lastIndex(of: "/") else {
            return nil
        }
        return String(executable[...slash]) + helperName
    }

    /// Starts a helper for `endpoint` and returns the local end of its stream once the TLS session
    /// is established; throws with the helper's message when it is not within `timeoutMilliseconds`.
    package func connect(to endpoint: HTTPEndpoint, timeoutMilliseconds: Int) throws(HTTPClientError) -> Socket {
        guard let helperPath else {
            throw HTTPClientError(.connect, "cannot locate \(Self.helperName) (set \(Self.helperVariable))")
        }
        guard access(helperPath, X_OK) == 0 else {
            throw HTTPClientError(
                .connect,
                "TLS helper \(helperPath) is missing or not executable (\(Errno.current)); install \(Self.helperName) "
                    + "next to send-event or set \(Self.helperVariable)")
        }
        let timeout = max(1, timeoutMilliseconds)
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeout + gracePeriodMilliseconds) * 1_000_000
        let helper = try spawn(helperPath, endpoint: endpoint, timeoutMilliseconds: timeout)
        let text: [UInt8]
        switch readUntilEndOfFile(helper.stderr, deadline: deadline) {
        case .some(let bytes):
            text = bytes
            close(helper.stderr)
        case .none:
            close(helper.stderr)
            helper.connection.close()
            kill(helper.pid, SIGKILL)
            _ = Self.waitForExit(helper.pid)
            throw HTTPClientError(.timeout, "TLS connection to \(endpoint.host):\(endpoint.port) timed out")
        }
        if text.isEmpty {
            var status: Int32 = 0
            if waitpid(helper.pid, &status, WNOHANG) != helper.pid {
                Self.reapInBackground(helper.pid)
                return helper.connection  // ready
            }
            helper.connection.close()
            throw HTTPClientError(.connect, "\(Self.helperName) \(Self.describe(status)) without a message")
        }
        helper.connection.close()
        let status = Self.waitForExit(helper.pid)
        var line = String(decoding: text, as: UTF8.self)
        if let end = line.firstIndex(where: { $0 == "\n" || $0 == "\r" }) { line = String(line[..<end]) }
        throw HTTPClientError(Self.kind(forStatus: status), line)
    }

    /// A started helper: its process id, our end of its stream, the read end of its stderr.
    private struct Helper {
        var pid: pid_t
        var connection: Socket
        var stderr: Int32
    }

    private func spawn(
        _ path: String, endpoint: HTTPEndpoint, timeoutMilliseconds: Int
    ) throws(HTTPClientError) -> Helper {
        let pair: (Int32, Int32)
        let errorPipe: (Int32, Int32)
        do {
            pair = try Platform.streamPair()
        } catch {
            throw HTTPClientError(.connect, "socketpair: \(error)")
        }
        do {
            errorPipe = try Platform.streamPair()
        } catch {
            close(pair.0)
            close(pair.1)
            throw HTTPClientError(.connect, "pipe: \(error)")
        }
        var arguments = [path, "--connect-timeout-ms", String(timeoutMilliseconds)]
        if let caFile { arguments += ["--ca-file", caFile] }
        arguments += [endpoint.host, String(endpoint.port)]
        // Our descriptors are all close-on-exec; the helper gets exactly these three.
        let spawned = ProcessSpawn.spawn(
            arguments, stdio: [.descriptor(pair.1), .descriptor(pair.1), .descriptor(errorPipe.1)], newSession: false
        )
        close(pair.1)
        close(errorPipe.1)
        switch spawned {
        case .success(let pid):
            return Helper(pid: pid, connection: Socket(rawValue: pair.0), stderr: errorPipe.0)
        case .failure(let error):
            close(pair.0)
            close(errorPipe.0)
            throw HTTPClientError(.connect, "cannot start TLS helper \(path): \(error)")
        }
    }

    /// Everything the helper writes on stderr up to end-of-file (at most 4 KiB kept), or nil when
    /// the deadline passed first.
    private func readUntilEndOfFile(_ fd: Int32, deadline: UInt64) -> [UInt8]? {
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { return nil }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(clamping: (deadline - now) / 1_000_000 + 1))
            if ready < 0 {
                if errno == EINTR { continue }
                return text  // cannot wait: treat like end-of-file
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count <= 0 { return text }
            if text.count < 4096 { text.append(contentsOf: chunk[0..<min(count, 4096 - text.count)]) }
        }
    }

    /// What the helper's exit status means for the client.
    static func kind(forStatus status: Int32) -> HTTPClientError.Kind {
        guard status & 0x7f == 0 else { return .connect }  // killed by a signal
        switch (status >> 8) & 0xff {
        case 3: return .resolve
        case 5: return .timeout
        default: return .connect
        }
    }

    /// "exited with status 4" or "was killed by signal 9".
    private static func describe(_ status: Int32) -> String {
        status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
    }

    /// Waits for `pid` to exit and returns its raw wait status.
    @discardableResult
    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }

    /// Reaps the helper when it exits (after the connection closed), without blocking anyone.
    private static func reapInBackground(_ pid: pid_t) {
        // If no thread can be started the helper stays a zombie until this process exits.
        try? DetachedThread.start(stackSize: 64 * 1024) { waitForExit(pid) }
    }
}
