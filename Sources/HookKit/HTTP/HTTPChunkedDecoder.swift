import HookKitSystem

/// An incremental decoder of the `chunked` transfer coding (RFC 9112 §7.1), shared by the
/// request and response parsers.
///
/// Chunk extensions are ignored, trailer fields are checked for shape and dropped. Bare LF line
/// ends are accepted. Sizes are bounded before they can overflow.
package struct HTTPChunkedDecoder: Sendable {
    private enum Step: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(bytes: Int)
    }

    private var step = Step.size
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// A decoder at the start of a chunked body.
    package init() {}

    /// Decodes from `buffer[start...]` as far as it goes, appending data to `body` and advancing
    /// `start`; returns `true` once the last chunk and the trailers have been read.
    package mutating func decode(
        _ buffer: [UInt8], from start: inout Int, into body: inout [UInt8],
        maxBodyBytes: Int, maxTrailerBytes: Int
    ) throws(HTTPParseError) -> Bool {
        while true {
            switch step {
            case .size:
                guard let lineEnd = buffer[start...].firstIndex(of: Self.lf) else {
                    if buffer.count - start > 1024 { throw .bad("chunk size line too long") }
                    return false
                }
                if lineEnd - start > 1024 { throw .bad("chunk size line too long") }
                var size = 0
                var digits = 0
                var i = start
                while i < lineEnd, let d = hexDigit(buffer[i]) {
                    size = size &* 16 &+ Int(d)
                    digits += 1
                    if digits > 15 || size > maxBodyBytes {
                        throw HTTPParseError(status: 413, reason: "body too large")
                    }
                    i += 1
                }
                guard digits > 0 else { throw .bad("malformed chunk size") }
                // Optional chunk extensions (`;name=value`) are ignored; nothing else may follow.
                var rest = i
                while rest < lineEnd, buffer[rest] == 0x20 || buffer[rest] == 0x09 { rest += 1 }
                if rest < lineEnd, buffer[rest] != UInt8(ascii: ";"), !(rest == lineEnd - 1 && buffer[rest] == Self.cr)
                {
                    throw .bad("malformed chunk size")
                }
                for b in buffer[rest..<lineEnd] where (b < 0x20 && b != 0x09 && b != Self.cr) || b == 0x7F {
                    throw .bad("control character in chunk extension")
                }
                if body.count + size > maxBodyBytes {
                    throw HTTPParseError(status: 413, reason: "body too large")
                }
                start = lineEnd + 1
                step = size == 0 ? .trailers(bytes: 0) : .data(remaining: size)
            case .data(let remaining):
                let available = min(remaining, buffer.count - start)
                body.append(contentsOf: buffer[start..<start + available])
                start += available
                if available < remaining {
                    step = .data(remaining: remaining - available)
                    return false
                }
                step = .dataEnd
            case .dataEnd:
                guard start < buffer.count else { return false }
                if buffer[start] == Self.lf {
                    start += 1
                } else if buffer[start] == Self.cr {
                    guard start + 1 < buffer.count else { return false }
                    guard buffer[start + 1] == Self.lf else { throw .bad("chunk data not followed by CRLF") }
                    start += 2
                } else {
                    throw .bad("chunk data not followed by CRLF")
                }
                step = .size
            case .trailers(let bytes):
                guard let lineEnd = buffer[start...].firstIndex(of: Self.lf) else {
                    if bytes + buffer.count - start > maxTrailerBytes {
                        throw HTTPParseError(status: 431, reason: "trailer section too large")
                    }
                    return false
                }
                let length = lineEnd + 1 - start
                if bytes + length > maxTrailerBytes {
                    throw HTTPParseError(status: 431, reason: "trailer section too large")
                }
                var end = lineEnd
                if end > start, buffer[end - 1] == Self.cr { end -= 1 }
                let line = buffer[start..<end]
                start = lineEnd + 1
                if line.isEmpty {
                    step = .size
                    return true
                }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                    !line.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }),
                    line.first != 0x20, line.first != 0x09
                else { throw .bad("malformed trailer field") }
                step = .trailers(bytes: bytes + length)
            }
        }
    }
}
