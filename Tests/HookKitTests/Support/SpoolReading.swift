import Foundation
import HookKit
import HookKitHub
import HookKitSystem

/// The non-empty lines of a spool file, each validated as JSON.
func spoolLines(_ path: String) throws -> [ScannedJSON] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return try data.split(separator: UInt8(ascii: "\n")).map { try JSONScanner.scan(Array($0)) }
}

extension ScannedJSON {
    /// The text of a member, for assertions.
    func raw(_ key: String) -> String? { text(forKey: key).map { String(decoding: $0, as: UTF8.self) } }
    /// The payload member, scanned.
    func payload() throws -> ScannedJSON { try JSONScanner.scan(Array(text(forKey: "payload") ?? [])) }
}
