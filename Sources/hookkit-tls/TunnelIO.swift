import HookKitSystem

/// The helper's side of its contract with the process that started it.
///
/// Standard input and output are one connected stream (the flusher passes one end of a socket
/// pair as both). Standard error carries at most one line, and only on failure: once the tunnel
/// is up the helper points stderr at `/dev/null`, so the parent sees end-of-file on its stderr
/// pipe without any text and knows that the connection is ready for its first request.
enum TunnelIO {
    /// Writes `text` and a newline to stderr.
    static func printError(_ text: String) {
        writeAll(2, Array((text + "\n").utf8))
    }

    /// Writes `text` and a newline to stdout (for `--help` and `--version`).
    static func printOutput(_ text: String) {
        writeAll(1, Array((text + "\n").utf8))
    }

    /// Signals "connected": stderr now goes to `/dev/null`, closing the parent's pipe.
    static func signalReady() {
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else {
            close(2)
            return
        }
        dup2(null, 2)
        close(null)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = write(fd, base + done, raw.count - done)
                if n > 0 {
                    done += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
