/// Why a HookKit call failed: what kind of failure, and the reason in one line.
///
/// Every throwing call of the public API throws this type (typed throws), so a `catch` knows
/// what it gets:
///
/// ```swift
/// do {
///     try emitter.flush()
/// } catch {
///     print("not delivered yet: \(error.reason)")  // the events stay queued
/// }
/// ```
public struct HookKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed.
    public enum Kind: Sendable, Hashable {
        /// The configuration cannot work: an unusable hub URL or signing secret.
        case configuration
        /// The spool (the local queue on disk) could not be created, read or written.
        case spool
        /// Events could not be delivered to the hub now; they stay queued.
        case delivery
    }

    /// What failed.
    public var kind: Kind
    /// The reason, in one line for people (for example "connection refused; 3 events still
    /// queued, next attempt in 1 s").
    public var reason: String

    /// Creates an error of `kind` with `reason`.
    public init(_ kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}

extension HookKitError {
    /// A spool failure at the public boundary.
    package init(_ error: SpoolError) {
        self.init(.spool, reason: error.description)
    }
}
