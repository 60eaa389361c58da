/// `SIGTERM` as a request to stop at the next safe point, for a process that should not stop
/// in the middle of a step (the background flusher: a batch a receiver accepted but that is not
/// recorded yet would be sent again). The handler only sets a flag, which the process reads
/// between steps (``isRequested``); system calls in progress carry on (they retry `EINTR`). If the
/// process has not stopped within ``graceSeconds``, `SIGALRM`'s default action ends it anyway,
/// as `SIGTERM` would have.
package enum TerminationRequest {
    /// How long a stopping process may finish its step.
    package static let graceSeconds: UInt32 = 3

    nonisolated(unsafe) private static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let flag = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        flag.initialize(to: 0)
        return flag
    }()

    /// Installs the handler.
    package static func install() {
        _ = flag  // allocated now, never inside the handler
        signal(SIGTERM) { _ in
            TerminationRequest.flag.pointee = 1
            alarm(TerminationRequest.graceSeconds)
        }
    }

    /// Whether `SIGTERM` arrived.
    package static var isRequested: Bool { flag.pointee != 0 }
}
