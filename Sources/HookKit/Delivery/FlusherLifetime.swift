import HookKitSystem

/// When a background flusher leaves although events may be waiting, so that none lives forever:
///
/// - its spool folder or its lock file is gone or replaced (someone removed the spool: there is
///   nothing left to deliver from, and nothing must be written there again);
/// - delivery has failed without a break for ``DeliverySettings/giveUpMilliseconds`` (10 minutes
///   by default) and this flusher has itself made at least one of those attempts. This is decided
///   per sink (the hub, the OTLP receiver): the flusher stops retrying a sink that failed that
///   long (`next_attempt_at` stays in its state and `gave_up_at` is recorded: hooks start no
///   flusher for it before that time; the next hook after it, or `send-event flush`, starts its
///   delivery again) and goes on with the others; it leaves when it has given up on all of them.
///
/// Checked between rounds of any flusher loop (``reasonToLeave(_:now:)``); it keeps nothing but
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
    private let giveUpMilliseconds: Int64

    /// The lifetime of a flusher that holds `lock` on `spool` (the failures it counts are those
    /// after the delivery's last ``SpoolDelivery/reload()``).
    package init(spool: Spool, lock: FlusherLock, settings: DeliverySettings) {
        self.spool = spool
        folder = Self.identity(spool.directory)
        lockFile = lock.identity()
        giveUpMilliseconds = settings.giveUpMilliseconds
    }

    /// Why the flusher should leave now, or nil when it should carry on; retires the sinks of
    /// `delivery` that failed too long (see ``SpoolDelivery/retireFailingSinks(giveUpMilliseconds:now:)``).
    package func reasonToLeave(_ delivery: inout SpoolDelivery, now: Int64) -> Reason? {
        if folder == nil || Self.identity(spool.directory) != folder {
            return .spoolGone("the spool folder \(spool.directory)")
        }
        if lockFile == nil || Self.identity(spool.lockPath) != lockFile {
            return .spoolGone("the lock file \(spool.lockPath)")
        }
        if let failing = delivery.retireFailingSinks(giveUpMilliseconds: giveUpMilliseconds, now: now) {
            return .gaveUp(failingFor: failing)
        }
        return nil
    }

    private static func identity(_ path: String) -> FileIdentity? {
        guard let info = try? FileSystem.linkStatus(path) else { return nil }
        return FileIdentity(info)
    }
}
