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
        writeAll(.standardError, Array((text + "\n").utf8))
    }

    /// Writes `text` and a newline to stdout (for `--help` and `--version`).
    static func printOutput(_ text: String) {
        writeAll(.standardOutput, Array((text + "\n").utf8))
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

    /// Writes all of `bytes` to `fd`; a failure leaves nobody to tell, so it is not reported.
    private static func writeAll(_ fd: FileDescriptor, _ bytes: [UInt8]) {
        do {
            try fd.writeAll(bytes)
        } catch {
            return  // stderr or stdout is gone: there is nowhere to report it
        }
    }
}
