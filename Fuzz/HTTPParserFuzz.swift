// libFuzzer entry point for the HTTP/1.1 request and response parsers (see
// scripts/fuzz-http-parser.sh, which compiles it together with the parser sources).
//
// Properties checked on every input, besides "no crash, no sanitizer report":
// - parsing the input whole or split into pieces (piece size from the first byte) gives the
//   same requests and the same final status;
// - every request returned respects the limits;
// - the response parser never crashes on the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let step = Int(bytes[0] % 17) + 1
    let input = Array(bytes.dropFirst())
    let limits = HTTPRequestLimits(maxHeaderBytes: 512, maxHeaderCount: 16, maxBodyBytes: 1024)

    let whole = parseRequests(input, step: input.count + 1, limits: limits)
    let pieces = parseRequests(input, step: step, limits: limits)
    if whole.requests != pieces.requests || whole.status != pieces.status {
        fatalError("split parsing differs: \(whole) vs \(pieces) (step \(step))")
    }
    for request in whole.requests {
        precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
        precondition(request.headers.count <= limits.maxHeaderCount, "too many headers")
    }

    var response = HTTPResponseParser(
        requestMethod: step % 2 == 0 ? "HEAD" : "GET", maxHeaderBytes: 512, maxBodyBytes: 1024)
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + step)
        response.append(Array(input[offset..<end]))
        offset = end
        while let parsed = try? response.next() {
            precondition(parsed.body.count <= 1024)
            response.startNextResponse()
        }
    }
    _ = try? response.finish()
    return 0
}

private func parseRequests(
    _ input: [UInt8], step: Int, limits: HTTPRequestLimits
) -> (requests: [HTTPRequest], status: Int?) {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + step)
        parser.append(Array(input[offset..<end]))
        offset = end
        do {
            while let request = try parser.next() { requests.append(request) }
        } catch {
            return (requests, error.status)
        }
    }
    return (requests, nil)
}
