import HookKitSystem

/// When a background flusher leaves although events may be waiting, so that none lives forever:
///
/// - its spool folder or its lock file is gone or replaced (someone removed the spool: there is
///   nothing left to deliver from, and nothing must be written there again);
/// - delivery has failed without a break for ``DeliverySettings/giveUpMilliseconds`` (10 minutes
///   by default) and this flusher has itself made at least one of those attempts. `next_attempt_at`
///   stays in the state and `gave_up_at` is recorded: hooks start no flusher before that time;
///   the next hook after it, or `send-event flush`, starts delivery again.
///
/// Checked between steps of any flusher loop (``reasonToLeave(_:now:)``); it keeps nothing but
/// what it was made with.
package struct FlusherLifetime: Sendable {
    /// Why a flusher leaves.
    package enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The spool folder or lock file was removed or replaced.
        case spoolGone(String)
        /// Delivery failed for this long (ms) without a break.
        case gaveUp(failingFor: Int64)

        /// One line.
        package var description: String {
            switch self {
            case .spoolGone(let what): "\(what) was removed or replaced"
            case .gaveUp(let duration): "gave up after \(duration / 1000) s of failed deliveries"
            }
        }
    }

    private let spool: Spool
    private let folder: FileIdentity?
    private let lockFile: FileIdentity?
    private let failuresAtStart: Int
    private let giveUpMilliseconds: Int64

    /// The lifetime of a flusher that holds `lock` on `spool` and starts with `state`.
    package init(spool: Spool, lock: FlusherLock, state: SpoolState, settings: DeliverySettings) {
        self.spool = spool
        folder = Self.identity(spool.directory)
        lockFile = lock.identity()
        failuresAtStart = state.failures
        giveUpMilliseconds = settings.giveUpMilliseconds
    }

    /// Why the flusher should leave now, or nil when it should carry on.
    package func reasonToLeave(_ state: SpoolState, now: Int64) -> Reason? {
        if folder == nil || Self.identity(spool.directory) != folder {
            return .spoolGone("the spool folder \(spool.directory)")
        }
        if lockFile == nil || Self.identity(spool.lockPath) != lockFile {
            return .spoolGone("the lock file \(spool.lockPath)")
        }
        if state.failures > failuresAtStart, let since = state.failingSince, now - since >= giveUpMilliseconds {
            return .gaveUp(failingFor: now - since)
        }
        return nil
    }

    private static func identity(_ path: String) -> FileIdentity? {
        guard let info = try? FileSystem.linkStatus(path) else { return nil }
        return FileIdentity(info)
    }
}
