import HookKitSystem

/// An incremental HTTP/1.x response parser, for ``HTTPClient``.
///
/// Bodies framed by `Content-Length`, by the `chunked` coding or by the end of the connection
/// are supported; interim `1xx` responses are skipped; responses to `HEAD` and `204`/`304`
/// responses have no body. Sizes are bounded by the limits.
package struct HTTPResponseParser: Sendable {
    private enum State: Sendable {
        case head
        case body(HTTPResponse, remaining: Int)
        case chunked(HTTPResponse, HTTPChunkedDecoder)
        case untilClose(HTTPResponse)
        case done
        case failed(HTTPParseError)
    }

    /// Maximum size of the status line plus headers.
    package let maxHeaderBytes: Int
    /// Maximum body size.
    package let maxBodyBytes: Int
    /// Whether the request was a `HEAD` (its response has no body).
    package private(set) var isHeadRequest: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var state = State.head
    private var closeDelimited = false

    /// A parser for the response to one request.
    package init(requestMethod: String = "GET", maxHeaderBytes: Int = 64 * 1024, maxBodyBytes: Int = 64 * 1024 * 1024) {
        self.isHeadRequest = requestMethod == "HEAD"
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Appends received bytes.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    package mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    /// Prepares for the next response on the same connection (pipelining), keeping the bytes
    /// received after the previous one.
    package mutating func startNextResponse(requestMethod: String = "GET") {
        isHeadRequest = requestMethod == "HEAD"
        state = .head
        closeDelimited = false
    }

    /// Whether the connection can carry another request after this response: the response was
    /// not delimited by the end of the connection, nothing extra arrived, and neither side asked
    /// to close. Meaningful once ``next()`` returned the response.
    package var connectionReusable: Bool { !closeDelimited && start == buffer.count }

    /// The response once it is complete, `nil` if more bytes are needed.
    package mutating func next() throws(HTTPParseError) -> HTTPResponse? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .done:
                return nil
            case .head:
                do throws(HTTPParseError) {
                    guard let response = try parseHead() else { return nil }
                    if (100..<200).contains(response.status) { continue }  // interim response
                    let noBody = isHeadRequest || response.status == 204 || response.status == 304
                    if response.headers.contains("Connection", token: "close") { closeDelimited = true }
                    if noBody {
                        state = .done
                        return response
                    }
                    if let coding = response.headers["Transfer-Encoding"] {
                        guard HTTPHeaders.equalNames(coding.trimmingASCIISpaces(), "chunked") else {
                            throw HTTPParseError(status: 501, reason: "unsupported transfer coding")
                        }
                        state = .chunked(response, HTTPChunkedDecoder())
                    } else if let length = response.headers["Content-Length"] {
                        let digits = length.trimmingASCIISpaces().utf8
                        guard !digits.isEmpty, digits.count < 16, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                            let value = Int(String(length.trimmingASCIISpaces()))
                        else { throw HTTPParseError.bad("malformed Content-Length") }
                        guard value <= maxBodyBytes else { throw HTTPParseError(status: 413, reason: "body too large") }
                        state = .body(response, remaining: value)
                    } else {
                        closeDelimited = true
                        state = .untilClose(response)
                    }
                } catch {
                    state = .failed(error)
                    throw error
                }
            case .body(var response, let remaining):
                state = .done
                let available = min(remaining, buffer.count - start)
                response.body.append(contentsOf: buffer[start..<start + available])
                start += available
                if available == remaining { return response }
                state = .body(response, remaining: remaining - available)
                return nil
            case .chunked(var response, var decoder):
                state = .done
                do {
                    if try decoder.decode(
                        buffer, from: &start, into: &response.body,
                        maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxHeaderBytes)
                    {
                        return response
                    }
                    state = .chunked(response, decoder)
                    return nil
                } catch {
                    state = .failed(error)
                    throw error
                }
            case .untilClose(var response):
                state = .done
                response.body.append(contentsOf: buffer[start...])
                start = buffer.count
                if response.body.count > maxBodyBytes {
                    let error = HTTPParseError(status: 413, reason: "body too large")
                    state = .failed(error)
                    throw error
                }
                state = .untilClose(response)
                return nil
            }
        }
    }

    /// Call when the peer closed the connection: completes a body delimited by the close;
    /// throws if the response is incomplete.
    package mutating func finish() throws(HTTPParseError) -> HTTPResponse {
        if let response = try next() { return response }
        if case .untilClose(let response) = state {
            state = .done
            return response
        }
        throw .bad("connection closed before the response was complete")
    }

    private mutating func parseHead() throws(HTTPParseError) -> HTTPResponse? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = start
        var headEnd: Int? = nil
        while i < buffer.count {
            if buffer[i] == lf {
                if i + 1 < buffer.count, buffer[i + 1] == lf { headEnd = i + 2; break }
                if i + 2 < buffer.count, buffer[i + 1] == cr, buffer[i + 2] == lf { headEnd = i + 3; break }
            }
            i += 1
        }
        guard let headEnd else {
            if buffer.count - start > maxHeaderBytes {
                throw HTTPParseError(status: 431, reason: "response header too large")
            }
            return nil
        }
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        for j in start..<headEnd where buffer[j] == lf {
            var end = j
            if end > lineStart, buffer[end - 1] == cr { end -= 1 }
            if end > lineStart { lines.append(buffer[lineStart..<end]) }
            lineStart = j + 1
        }
        start = headEnd
        guard let statusLine = lines.first, statusLine.starts(with: "HTTP/1.".utf8), statusLine.count >= 12 else {
            throw .bad("malformed status line")
        }
        let code = statusLine.dropFirst(9).prefix(3)
        guard statusLine[statusLine.startIndex + 8] == UInt8(ascii: " "), code.count == 3,
            code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let status = Int(String(decoding: code, as: UTF8.self))
        else { throw .bad("malformed status line") }
        var response = HTTPResponse(status: status)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw .bad("malformed header field")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingASCIISpaces()
            response.headers.add(name, String(value))
        }
        if statusLine[statusLine.startIndex + 7] == UInt8(ascii: "0"),
            !response.headers.contains("Connection", token: "keep-alive")
        {
            closeDelimited = true  // HTTP/1.0 closes unless told otherwise
        }
        return response
    }
}
