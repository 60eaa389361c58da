import HookKit
import HookKitSystem

/// Limits that protect a server from oversized requests.
package struct HTTPRequestLimits: Sendable, Equatable {
    /// Maximum size of the request line plus header block, and of a chunked body's trailers
    /// (over it: 431).
    package var maxHeaderBytes: Int
    /// Maximum number of header fields (over it: 431).
    package var maxHeaderCount: Int
    /// Maximum body size, declared or received (over it: 413).
    package var maxBodyBytes: Int

    /// 16 KiB of headers, 100 fields, 4 MiB of body.
    package init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 4 * 1024 * 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// An incremental HTTP/1.0 and HTTP/1.1 request parser (RFC 9112).
///
/// Feed it bytes as they arrive with ``append(_:)`` and take complete requests with ``next()``;
/// bytes after a request stay buffered for the next one (pipelining). It handles
/// `Content-Length` and `chunked` bodies, skips empty lines before a request line, accepts bare
/// LF line ends, and rejects what could be used for request smuggling (both `Content-Length` and
/// `Transfer-Encoding`, conflicting lengths, obsolete line folding, whitespace before a colon,
/// control characters). Work is linear in the input: the header terminator search resumes where
/// it stopped. After it throws, the parser stays failed.
package struct HTTPRequestParser: Sendable {
    private enum State: Sendable {
        case head(searchFrom: Int)
        case body(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, HTTPChunkedDecoder)
        case failed(HTTPParseError)
    }

    /// The limits in force.
    package let limits: HTTPRequestLimits
    private var buffer: [UInt8] = []
    private var start = 0
    private var state: State = .head(searchFrom: 0)
    private var continueRequested = false
    /// When true, ``next()`` stops after the head of a request with a body and hands it out with
    /// ``takeHeadToCheck()`` before any of the body is taken in: a server can refuse the request
    /// (no signature, no room) without buffering its body.
    package var checksHeads = false
    private var headToCheck: HTTPRequest?
    /// The declared body length of the head waiting to be checked (nil when chunked).
    package private(set) var declaredBodyLength: Int?

    /// A parser with `limits`.
    package init(limits: HTTPRequestLimits = HTTPRequestLimits()) {
        self.limits = limits
    }

    /// Appends received bytes.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            rebase(by: start)
        } else if start > 64 * 1024, start > buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            rebase(by: start)
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    private mutating func rebase(by shift: Int) {
        if case .head(let from) = state { state = .head(searchFrom: max(0, from - shift)) }
        start = 0
    }

    /// Whether bytes of an unfinished request are buffered (a request is in progress).
    package var hasPartialRequest: Bool {
        switch state {
        case .head: return start < buffer.count
        case .body, .chunked: return true
        case .failed: return false
        }
    }

    /// Whether the request whose head was just parsed sent `Expect: 100-continue` and its body
    /// has not arrived yet; reading it resets the flag (answer `100 Continue` once).
    package mutating func takeContinueRequest() -> Bool {
        defer { continueRequested = false }
        return continueRequested
    }

    /// The head of a request whose body has not been taken in yet, once (see ``checksHeads``);
    /// ``next()`` goes on with its body after this was taken.
    package mutating func takeHeadToCheck() -> HTTPRequest? {
        defer { headToCheck = nil }
        return headToCheck
    }

    /// The next complete request, `nil` if more bytes are needed.
    package mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head(let searchFrom):
                do {
                    guard let (request, framing) = try parseHead(searchFrom: searchFrom) else { return nil }
                    switch framing {
                    case .none:
                        state = .head(searchFrom: start)
                        return request
                    case .length(let length):
                        if request.headers.contains("Expect", token: "100-continue"), buffer.count - start < length {
                            continueRequested = true
                        }
                        state = .body(request, remaining: length)
                        if checksHeads, length > 0 {
                            headToCheck = request
                            declaredBodyLength = length
                            return nil
                        }
                    case .chunked:
                        if request.headers.contains("Expect", token: "100-continue"), buffer.count == start {
                            continueRequested = true
                        }
                        state = .chunked(request, HTTPChunkedDecoder())
                        if checksHeads {
                            headToCheck = request
                            declaredBodyLength = nil
                            return nil
                        }
                    }
                } catch {
                    state = .failed(error)
                    throw error
                }
            case .body(var request, let remaining):
                state = .head(searchFrom: start)  // release the state's copy of the body
                let available = min(remaining, buffer.count - start)
                if request.body.isEmpty, available == remaining {
                    request.body = Array(buffer[start..<start + available])
                } else {
                    if request.body.capacity == 0 { request.body.reserveCapacity(remaining) }
                    request.body.append(contentsOf: buffer[start..<start + available])
                }
                start += available
                if available == remaining {
                    state = .head(searchFrom: start)
                    return request
                }
                state = .body(request, remaining: remaining - available)
                return nil
            case .chunked(var request, var decoder):
                state = .failed(.bad("internal"))  // avoid copying the body while we work on it
                do {
                    let done = try decoder.decode(
                        buffer, from: &start, into: &request.body,
                        maxBodyBytes: limits.maxBodyBytes, maxTrailerBytes: limits.maxHeaderBytes)
                    if done {
                        state = .head(searchFrom: start)
                        return request
                    }
                    state = .chunked(request, decoder)
                    return nil
                } catch {
                    state = .failed(error)
                    throw error
                }
            }
        }
    }

    // MARK: Head

    private enum Framing { case none, length(Int), chunked }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// Finds the end of the header block; returns the index just past it.
    private mutating func findHeadEnd(searchFrom: Int) throws(HTTPParseError) -> Int? {
        // Skip empty lines before the request line (RFC 9112 §2.2).
        while start < buffer.count {
            if buffer[start] == Self.lf {
                start += 1
            } else if buffer[start] == Self.cr, start + 1 < buffer.count, buffer[start + 1] == Self.lf {
                start += 2
            } else {
                break
            }
        }
        // Reject garbage early instead of waiting for a header block that will never be valid:
        // a request starts with a method token (at most 64 bytes) and a space.
        var method = start
        while method < buffer.count, method - start <= 64, Self.isTokenChar(buffer[method]) { method += 1 }
        let loneCR = start + 1 == buffer.count && buffer[start] == Self.cr  // maybe the start of an empty line
        if method < buffer.count, !loneCR, buffer[method] != UInt8(ascii: " ") || method == start || method - start > 64
        {
            throw .bad("malformed request line")
        }
        // The head, its final empty line included, must fit in maxHeaderBytes: whether the bytes
        // arrive at once or in pieces, the same input gets the same answer.
        var i = max(searchFrom, start)
        let end = min(buffer.count, start + limits.maxHeaderBytes + 1)
        while i < end {
            if buffer[i] == Self.lf {
                var headEnd: Int? = nil
                if i + 1 < buffer.count, buffer[i + 1] == Self.lf { headEnd = i + 2 }
                if i + 2 < buffer.count, buffer[i + 1] == Self.cr, buffer[i + 2] == Self.lf { headEnd = i + 3 }
                if let headEnd {
                    if headEnd - start > limits.maxHeaderBytes {
                        throw HTTPParseError(status: 431, reason: "header block too large")
                    }
                    return headEnd
                }
                if i + 2 >= buffer.count { break }  // need more bytes to decide
            }
            i += 1
        }
        if buffer.count - start > limits.maxHeaderBytes {
            throw HTTPParseError(status: 431, reason: "header block too large")
        }
        state = .head(searchFrom: max(start, i))
        return nil
    }

    private mutating func parseHead(searchFrom: Int) throws(HTTPParseError) -> (HTTPRequest, Framing)? {
        guard let headEnd = try findHeadEnd(searchFrom: searchFrom) else { return nil }
        // Split into lines (without CR LF), the last (empty) one excluded.
        var lines: [Range<Int>] = []
        var lineStart = start
        var i = start
        while i < headEnd {
            if buffer[i] == Self.lf {
                var lineEnd = i
                if lineEnd > lineStart, buffer[lineEnd - 1] == Self.cr { lineEnd -= 1 }
                lines.append(lineStart..<lineEnd)
                lineStart = i + 1
            }
            i += 1
        }
        if let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { throw .bad("missing request line") }
        var request = try parseRequestLine(requestLine)
        if lines.count - 1 > limits.maxHeaderCount {
            throw HTTPParseError(status: 431, reason: "too many header fields")
        }
        for line in lines.dropFirst() {
            let (name, value) = try parseHeaderLine(line)
            request.headers.add(name, value)
        }
        start = headEnd
        return (request, try framing(of: request))
    }

    private static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    private func parseRequestLine(_ line: Range<Int>) throws(HTTPParseError) -> HTTPRequest {
        guard let firstSpace = buffer[line].firstIndex(of: UInt8(ascii: " ")) else {
            throw .bad("malformed request line")
        }
        let method = line.lowerBound..<firstSpace
        guard !method.isEmpty, method.count <= 64, buffer[method].allSatisfy(Self.isTokenChar) else {
            throw .bad("malformed method")
        }
        let rest = (firstSpace + 1)..<line.upperBound
        guard let secondSpace = buffer[rest].firstIndex(of: UInt8(ascii: " ")) else {
            throw .bad("malformed request line")
        }
        let target = rest.lowerBound..<secondSpace
        guard !target.isEmpty, buffer[target].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .bad("malformed request target")
        }
        let version = Array(buffer[(secondSpace + 1)..<line.upperBound])
        let prefix = Array("HTTP/".utf8)
        guard version.count == 8, Array(version[0..<5]) == prefix, version[6] == UInt8(ascii: "."),
            let major = hexDigit(version[5]), major < 10, let minor = hexDigit(version[7]), minor < 10
        else {
            throw .bad("malformed HTTP version")
        }
        guard major == 1, minor <= 1 else {
            throw HTTPParseError(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        if buffer[target].first != UInt8(ascii: "/"), buffer[target] != ArraySlice("*".utf8) {
            // absolute-form (http://host/path) is allowed; anything else is not a target.
            guard buffer[target].starts(with: "http://".utf8) || buffer[target].starts(with: "https://".utf8) else {
                throw .bad("malformed request target")
            }
        }
        var targetBytes = buffer[target]
        if targetBytes.first != UInt8(ascii: "/"), targetBytes.first != UInt8(ascii: "*") {
            // absolute-form: drop "scheme://authority", keep the path and query.
            let afterScheme = targetBytes.dropFirst(targetBytes.starts(with: "https://".utf8) ? 8 : 7)
            if let slash = afterScheme.firstIndex(of: UInt8(ascii: "/")) {
                targetBytes = buffer[slash..<target.upperBound]
            } else {
                targetBytes = ArraySlice("/".utf8)
            }
        }
        let targetText = String(decoding: targetBytes, as: UTF8.self)
        return HTTPRequest(
            method: String(decoding: buffer[method], as: UTF8.self), target: targetText,
            minorVersion: Int(minor))
    }

    private func parseHeaderLine(_ line: Range<Int>) throws(HTTPParseError) -> (String, String) {
        guard let first = buffer[line].first else { throw .bad("empty header line") }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            throw .bad("obsolete line folding")
        }
        guard let colon = buffer[line].firstIndex(of: UInt8(ascii: ":")) else {
            throw .bad("malformed header field")
        }
        let name = line.lowerBound..<colon
        guard !name.isEmpty, buffer[name].allSatisfy(Self.isTokenChar) else {
            throw .bad("malformed header field name")
        }
        var valueStart = colon + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd, buffer[valueStart] == 0x20 || buffer[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, buffer[valueEnd - 1] == 0x20 || buffer[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        for b in buffer[valueStart..<valueEnd] where (b < 0x20 && b != 0x09) || b == 0x7F {
            throw .bad("control character in header field value")
        }
        return (
            String(decoding: buffer[name], as: UTF8.self),
            String(decoding: buffer[valueStart..<valueEnd], as: UTF8.self)
        )
    }

    private func framing(of request: HTTPRequest) throws(HTTPParseError) -> Framing {
        let encodings = request.headers.values("Transfer-Encoding")
        let lengths = request.headers.values("Content-Length")
        if !encodings.isEmpty {
            guard lengths.isEmpty else { throw .bad("both Content-Length and Transfer-Encoding") }
            guard request.minorVersion == 1 else { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIISpaces() }
            guard codings.count == 1, let only = codings.first, HTTPHeaders.equalNames(only, "chunked") else {
                if let last = codings.last, HTTPHeaders.equalNames(last, "chunked") {
                    throw HTTPParseError(status: 501, reason: "unsupported transfer coding")
                }
                throw codings.contains(where: { HTTPHeaders.equalNames($0, "chunked") })
                    ? .bad("chunked must be the last transfer coding")
                    : HTTPParseError(status: 501, reason: "unsupported transfer coding")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        var value: Int? = nil
        for field in lengths {
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = part.trimmingASCIISpaces().utf8
                guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw .bad("malformed Content-Length")
                }
                var parsed = 0
                for d in digits {
                    parsed = parsed * 10 + Int(d - 0x30)
                    if parsed > limits.maxBodyBytes {
                        throw HTTPParseError(status: 413, reason: "body too large")
                    }
                }
                if let value, value != parsed { throw .bad("conflicting Content-Length values") }
                value = parsed
            }
        }
        return .length(value ?? 0)
    }
}
