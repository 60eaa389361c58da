/// Why an HTTP message (a request at the hub, a response at the client) could not be parsed; every
/// case maps to a status code, after which the connection must be closed (the byte stream can no
/// longer be trusted).
package struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status to answer: 400, 413, 431, 501 or 505.
    package var status: Int
    /// A short, fixed, ASCII explanation (safe to put in a JSON string as is).
    package var reason: String

    /// Creates an error.
    package init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// `"400: <reason>"`.
    package var description: String { "\(status): \(reason)" }

    package static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(status: 400, reason: reason) }
}
