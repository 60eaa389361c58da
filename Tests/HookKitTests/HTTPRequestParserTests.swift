import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Suite struct HTTPRequestParserTests {
    /// Feeds `text` in pieces of `step` bytes and collects every request (or the error).
    private func parse(
        _ text: String, step: Int = .max, limits: HTTPRequestLimits = HTTPRequestLimits()
    ) -> (requests: [HTTPRequest], error: HTTPParseError?) {
        var parser = HTTPRequestParser(limits: limits)
        var requests: [HTTPRequest] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(1, min(step, bytes.count)))
            parser.append(Array(bytes[offset..<end]))
            offset = end
            do {
                while let request = try parser.next() { requests.append(request) }
            } catch {
                return (requests, error)
            }
        } while offset < bytes.count
        return (requests, nil)
    }

    @Test func simpleRequestsWholeAndByteByByte() throws {
        let text = "POST /events?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A:  padded  \r\n\r\nhello"
        for step in [1, 2, 7, .max] {
            let (requests, error) = parse(text, step: step)
            #expect(error == nil)
            let request = try #require(requests.first)
            #expect(requests.count == 1)
            #expect(request.method == "POST")
            #expect(request.target == "/events?x=1")
            #expect(request.path == "/events")
            #expect(request.headers["host"] == "h")
            #expect(request.headers["X-A"] == "padded")
            #expect(request.body == Array("hello".utf8))
            #expect(request.keepAlive)
        }
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let text = "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n"
        for step in [1, 5, .max] {
            let (requests, error) = parse(text, step: step)
            #expect(error == nil)
            #expect(requests.map(\.target) == ["/a", "/b", "/c"])
            #expect(requests.map(\.keepAlive) == [true, true, false])
        }
    }

    @Test func emptyLinesArrivingAloneAreNotErrors() {
        // Found by the fuzzer: a CR LF on its own, then a pause, then the request.
        for step in [1, 2, 3] {
            let (requests, error) = parse("\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n\r", step: step)
            #expect(error == nil)
            #expect(requests.count == 1)
        }
    }

    @Test func lenientLineEndsAndLeadingEmptyLines() {
        let (requests, error) = parse("\r\n\nGET /x HTTP/1.1\nHost: h\n\n")
        #expect(error == nil)
        #expect(requests.first?.headers["Host"] == "h")
    }

    @Test func chunkedBodiesWithExtensionsAndTrailers() {
        let text =
            "POST /e HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=v\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-T: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n"
        for step in [1, 3, .max] {
            let (requests, error) = parse(text, step: step)
            #expect(error == nil)
            #expect(requests.count == 2)
            #expect(requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello, world!!!")
            #expect(requests.last?.target == "/next")
        }
    }

    @Test func queryItemsArePercentDecoded() {
        let request = HTTPRequest(
            method: "GET", target: "/events?session_id=a%20b%26c&limit=5&flag&x=1+2&session_id=last")
        #expect(request.query("limit") == "5")
        #expect(request.query("session_id") == "last")
        #expect(request.queryItems.first?.value == "a b&c")
        #expect(request.query("flag") == "")
        #expect(request.query("x") == "1 2")
        #expect(HTTPRequest(method: "GET", target: "/?bad=%zz%4").query("bad") == "%zz%4")
    }

    @Test func absoluteFormTargetsKeepPathAndQuery() {
        let (requests, _) = parse("GET http://example/events?a=1 HTTP/1.1\r\n\r\nGET http://example HTTP/1.1\r\n\r\n")
        #expect(requests.map(\.target) == ["/events?a=1", "/"])
    }

    @Test func expectContinueIsReported() {
        var parser = HTTPRequestParser()
        parser.append(Array("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect((try? parser.next()) == .some(nil))
        let first = parser.takeContinueRequest()
        let second = parser.takeContinueRequest()
        #expect(first)
        #expect(!second)
        parser.append(Array("abc".utf8))
        #expect((try? parser.next())??.body == Array("abc".utf8))
    }

    @Test func malformedInputIsRejectedWithItsStatus() {
        let cases: [(String, Int)] = [
            ("BAD\r\n\r\n", 400),
            ("{\"json\":1}", 400),  // rejected before any line end arrives
            ("GET  /x HTTP/1.1\r\n\r\n", 400),
            ("GET /x HTTP/1.1 \r\n\r\n", 400),
            ("GET x HTTP/1.1\r\n\r\n", 400),
            ("GET /x HTTP/1.2\r\n\r\n", 505),
            ("GET /x HTTP/3.0\r\n\r\n", 505),
            ("GET /x HTTP/1.x\r\n\r\n", 400),
            ("GET /x\u{7f} HTTP/1.1\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\n: empty name\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nA : b\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\n\tfolded\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nA: \u{0}\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 413),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", 400),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", 400),
            ("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
            ("X" + String(repeating: "A", count: 70) + " / HTTP/1.1\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            for step in [1, .max] {
                let (requests, error) = parse(text, step: step)
                #expect(requests.isEmpty, "\(text.debugDescription)")
                #expect(error?.status == status, "\(text.debugDescription) step \(step)")
            }
        }
    }

    @Test func limitsAreEnforced() {
        let small = HTTPRequestLimits(maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 10)
        #expect(
            parse("GET / HTTP/1.1\r\nA: \(String(repeating: "x", count: 80))\r\n\r\n", limits: small).error?.status
                == 431)
        // Without a terminator in sight, the limit still holds (nothing is buffered forever).
        #expect(
            parse("GET / HTTP/1.1\r\nA: \(String(repeating: "x", count: 80))", step: 1, limits: small).error?.status
                == 431)
        #expect(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits: small).error?.status == 431)
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: small).error?.status == 413)
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits: small).error == nil)
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n01234\r\n0\r\n\r\n"
        #expect(parse(chunked, limits: small).error?.status == 413)
        let trailers =
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: \(String(repeating: "x", count: 80))\r\n\r\n"
        #expect(parse(trailers, limits: small).error?.status == 431)
    }

    @Test func failedParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func largeBodiesInManyPiecesStayLinear() throws {
        let size = 4 * 1024 * 1024
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nContent-Length: \(size)\r\n\r\n".utf8))
        let piece = [UInt8](repeating: 0x61, count: 1000)
        var sent = 0
        while sent < size {
            let n = min(piece.count, size - sent)
            parser.append(Array(piece[0..<n]))
            sent += n
            if sent < size { #expect((try? parser.next()) == .some(nil)) }
        }
        let request = try #require(try parser.next())
        #expect(request.body.count == size)
        #expect(!parser.hasPartialRequest)
    }

    @Test func responseSerializationAndHeaders() {
        var out: [UInt8] = []
        HTTPResponse.json(201, Array("{}".utf8)).serialize(close: true, into: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        var headers: HTTPHeaders = ["Connection": "keep-alive, Upgrade"]
        #expect(headers.contains("connection", token: "UPGRADE"))
        headers.add("X", "1")
        headers.add("x", "2")
        #expect(headers.values("X") == ["1", "2"])
        headers.set("X", "3")
        #expect(headers.values("x") == ["3"])
    }
}
