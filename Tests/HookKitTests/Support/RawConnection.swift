import Foundation
import HookKit
import HookKitHub
import HookKitSystem

/// A raw TCP connection to a test server, for sending arbitrary (also broken) bytes.
struct RawConnection {
    let socket: Socket

    init(port: UInt16) throws {
        socket = try Socket.tcp(family: AF_INET)
        do {
            try socket.connect(to: .loopbackIPv4(port: port), timeoutMilliseconds: 2_000)
        } catch {
            socket.close()
            throw error
        }
    }

    func send(_ text: String) throws { try socket.sendAll(Array(text.utf8)) }
    func send(_ bytes: [UInt8]) throws { try socket.sendAll(bytes) }

    /// Reads until the peer closes (or `timeout` seconds pass); returns what arrived and whether
    /// the peer closed.
    func readUntilClose(timeout: Double = 10) -> (bytes: [UInt8], closed: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0, (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: remaining)) == true
            else {
                return (result, false)
            }
            let n = buffer.withUnsafeMutableBytes { (try? socket.receive(into: $0)) ?? -1 }
            if n <= 0 { return (result, true) }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    /// Reads exactly `count` complete responses (pipelining), failing after `timeout` seconds.
    func readResponses(_ count: Int, method: String = "POST", timeout: Double = 10) -> [HTTPResponse] {
        var responses: [HTTPResponse] = []
        var parser = HTTPResponseParser(requestMethod: method)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while responses.count < count {
            if let response = try? parser.next() {
                responses.append(response)
                parser.startNextResponse(requestMethod: method)  // keeps what is left over
                continue
            }
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0, (try? socket.poll(events: Int16(POLLIN), timeoutMilliseconds: remaining)) == true
            else {
                break
            }
            let n = buffer.withUnsafeMutableBytes { (try? socket.receive(into: $0)) ?? -1 }
            if n <= 0 {
                if let last = try? parser.finish() { responses.append(last) }
                break
            }
            parser.append(Array(buffer[0..<n]))
        }
        return responses
    }

    func close() { socket.close() }
}

/// Parses the JSON body of a response (Foundation), `nil` if it is not JSON.
func jsonObject(_ response: HTTPResponse) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
}

/// Parses a JSON array body.
func jsonArray(_ response: HTTPResponse) -> [[String: Any]]? {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [[String: Any]]
}

/// A valid event with a fresh UUID (or `uuid`), as bytes.
func makeEvent(uuid: String = UUID().uuidString.lowercased(), session: String = "s1", extra: String = "") -> [UInt8] {
    Array(
        """
        {"event_uuid":"\(uuid)","source_app":"test","session_id":"\(session)","hook_event_type":"PreToolUse",\
        "payload":{"tool_name":"Bash","tool_input":{"command":"ls"}},"timestamp":1700000000000\(extra)}
        """.utf8)
}
