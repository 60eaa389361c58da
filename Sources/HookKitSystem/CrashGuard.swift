/// Makes the hook process exit 0 even if it hits a bug.
///
/// Claude Code treats exit status 2 as "block this action" and any other non-zero status as an
/// error shown to the user. An observability hook must do neither, so fatal signals (a Swift
/// runtime trap is SIGTRAP or SIGILL) end the process with status 0 after one line on stderr,
/// and SIGPIPE is ignored so that a closed stderr cannot kill it either.
package enum CrashGuard {
    /// Installs the handlers. Call first thing in `main`.
    package static func install() {
        signal(SIGPIPE, SIG_IGN)
        // A file that may not grow (RLIMIT_FSIZE) fails the write with EFBIG, reported like a
        // full disk, instead of killing the process.
        signal(SIGXFSZ, SIG_IGN)
        for signalNumber in [SIGTRAP, SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            signal(signalNumber) { _ in
                let message: StaticString = "send-event: internal error; event may be lost (exiting 0)\n"
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
                _exit(0)
            }
        }
    }
}
