import HookKitSystem

/// HTTP header fields in arrival order; names compare case-insensitively (ASCII).
package struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields as `(name, value)` pairs, in order, names as received.
    package private(set) var fields: [(name: String, value: String)] = []

    /// An empty header list.
    package init() {}

    /// Headers from literal pairs.
    package init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// Appends a field (duplicates are kept).
    package mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field.
    package mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field called `name`.
    package mutating func remove(_ name: String) {
        fields.removeAll { HTTPHeaders.equalNames($0.name, name) }
    }

    /// The first value of `name`, or `nil`.
    package subscript(name: String) -> String? {
        fields.first { HTTPHeaders.equalNames($0.name, name) }?.value
    }

    /// Every value of `name`, in order.
    package func values(_ name: String) -> [String] {
        fields.filter { HTTPHeaders.equalNames($0.name, name) }.map(\.value)
    }

    /// Whether a comma-separated field `name` lists `token` (case-insensitively), e.g.
    /// `Connection: keep-alive, Upgrade` contains `keep-alive`.
    package func contains(_ name: String, token: String) -> Bool {
        for value in values(name) {
            for part in value.split(separator: ",") {
                if HTTPHeaders.equalNames(part.trimmingASCIISpaces(), token) { return true }
            }
        }
        return false
    }

    /// The number of fields.
    package var count: Int { fields.count }

    /// Iterates over `(name, value)` pairs.
    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Equal when the same fields appear in the same order.
    package static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison of two header names.
    package static func equalNames<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            if asciiLowercased(p) != asciiLowercased(q) { return false }
        }
        return true
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    package func trimmingASCIISpaces() -> Substring {
        let s = Substring(self)
        var start = s.startIndex, end = s.endIndex
        while start < end, s[start] == " " || s[start] == "\t" { start = s.index(after: start) }
        while end > start, s[s.index(before: end)] == " " || s[s.index(before: end)] == "\t" {
            end = s.index(before: end)
        }
        return s[start..<end]
    }
}

/// A parsed HTTP/1.x request.
package struct HTTPRequest: Sendable, Equatable {
    /// The method token, e.g. `GET`, exactly as sent (methods are case-sensitive).
    package var method: String
    /// The request target as sent, e.g. `/events?session_id=a`.
    package var target: String
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    package var minorVersion: Int
    /// The header fields.
    package var headers: HTTPHeaders
    /// The body (de-chunked when it came chunked).
    package var body: [UInt8]

    /// Creates a request.
    package init(method: String, target: String, minorVersion: Int = 1, headers: HTTPHeaders = [:], body: [UInt8] = [])
    {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// The path part of the target (before `?`).
    package var path: Substring {
        if let q = target.firstIndex(of: "?") { return target[..<q] }
        return Substring(target)
    }

    /// The query parameters, percent-decoded (`+` is a space), in order.
    package var queryItems: [(name: String, value: String)] {
        guard let q = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: q)...].split(separator: "&").map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (
                    HTTPRequest.percentDecoded(pair[..<eq]), HTTPRequest.percentDecoded(pair[pair.index(after: eq)...])
                )
            }
            return (HTTPRequest.percentDecoded(pair), "")
        }
    }

    /// The last value of query parameter `name`, or `nil`.
    package func query(_ name: String) -> String? {
        queryItems.last { $0.name == name }?.value
    }

    /// Whether the connection stays open after this request: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    package var keepAlive: Bool {
        if headers.contains("Connection", token: "close") { return false }
        if minorVersion == 0 { return headers.contains("Connection", token: "keep-alive") }
        return true
    }

    /// Decodes `%XX` escapes and `+`; invalid escapes are kept as they are, invalid UTF-8 repaired.
    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%"), i + 2 < utf8.count,
                let hi = hexDigit(utf8[i + 1]), let lo = hexDigit(utf8[i + 2])
            {
                bytes.append(hi << 4 | lo)
                i += 3
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `byte` lowercased when it is an ASCII capital letter.
@inline(__always)
package func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}

/// The value of an ASCII hex digit, or `nil`.
@inline(__always)
package func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// An HTTP response: status, headers and body. The server adds `Content-Length` and
/// `Connection` when it serializes it.
package struct HTTPResponse: Sendable, Equatable {
    /// The status code, e.g. 201.
    package var status: Int
    /// The header fields.
    package var headers: HTTPHeaders
    /// The body.
    package var body: [UInt8]

    /// Creates a response.
    package init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a JSON body (`Content-Type: application/json`).
    package static func json(_ status: Int, _ body: [UInt8], headers: HTTPHeaders = [:]) -> HTTPResponse {
        var all = headers
        all.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: all, body: body)
    }

    /// The body as UTF-8 text (invalid bytes repaired).
    package var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The standard reason phrase for `status`, or `"Status"`.
    package static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }

    /// Appends the serialized response (status line, headers, `Content-Length`, the
    /// `Connection: close` header when `close`, and the body) to `output`.
    package func serialize(close: Bool, into output: inout [UInt8]) {
        output.append(contentsOf: "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n".utf8)
        for (name, value) in headers
        where !HTTPHeaders.equalNames(name, "Content-Length") && !HTTPHeaders.equalNames(name, "Connection") {
            output.append(contentsOf: name.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: value.utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        output.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        if close { output.append(contentsOf: "Connection: close\r\n".utf8) }
        output.append(contentsOf: "\r\n".utf8)
        output.append(contentsOf: body)
    }
}
