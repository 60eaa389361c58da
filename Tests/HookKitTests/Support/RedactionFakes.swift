import Foundation
import HookKit

/// Credentials of the right shape made up on the spot from a seeded generator: no real
/// credential, and no literal token in the source for a secret scanner to trip over.
struct RedactionFakes {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let lower = Array("abcdefghijklmnopqrstuvwxyz")
    static let digits = Array("0123456789")
    static let alnum = upper + lower + digits
    static let base32 = upper + Array("234567")
    static let tokenChars = alnum + ["_", "-"]
    static let base64 = alnum + ["+", "/"]

    mutating func string(_ count: Int, from alphabet: [Character]) -> String {
        // Redraw until the sample mixes digits and letters, as real tokens practically always do.
        while true {
            let text = String((0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
            let hasDigit = text.contains(where: \.isNumber)
            let hasLetter = text.contains(where: \.isLetter)
            if count < 8 || !(alphabet.contains("0") && alphabet.contains("A")) || (hasDigit && hasLetter) {
                return text
            }
        }
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    mutating func awsKeyID() -> String {
        ["AKIA", "ASIA", "ABIA", "ACCA"][Int(next() % 4)] + string(16, from: Self.base32)
    }
    mutating func awsSecret() -> String { string(40, from: Self.base64) }
    mutating func githubToken() -> String {
        "gh" + ["p", "o", "u", "s", "r"][Int(next() % 5)] + "_" + string(36, from: Self.alnum)
    }
    mutating func githubPAT() -> String {
        "github_" + "pat_" + string(22, from: Self.alnum) + "_" + string(59, from: Self.alnum)
    }
    mutating func gitlabToken() -> String { "glpat" + "-" + string(20, from: Self.tokenChars + Self.alnum) }
    mutating func anthropicKey() -> String {
        "sk-" + "ant-" + (next() % 2 == 0 ? "api03-" : "admin01-") + string(93, from: Self.tokenChars) + "AA"
    }
    mutating func openaiKey() -> String {
        switch next() % 4 {
        case 0:
            "sk-" + "proj-" + string(74, from: Self.tokenChars) + "T3Blbk" + "FJ" + string(74, from: Self.tokenChars)
        case 1:
            "sk-" + "svcacct-" + string(58, from: Self.tokenChars) + "T3Blbk" + "FJ" + string(58, from: Self.tokenChars)
        case 2:
            "sk-" + "admin-" + string(58, from: Self.tokenChars) + "T3Blbk" + "FJ" + string(58, from: Self.tokenChars)
        default: "sk-" + string(20, from: Self.alnum) + "T3Blbk" + "FJ" + string(20, from: Self.alnum)
        }
    }
    mutating func slackToken() -> String {
        let kind = ["b", "p", "a", "r", "s"][Int(next() % 5)]
        return "xox" + kind + "-" + string(12, from: Self.digits) + "-" + string(13, from: Self.digits) + "-"
            + string(24, from: Self.alnum)
    }
    mutating func stripeKey() -> String {
        ["sk", "rk"][Int(next() % 2)] + "_" + ["live", "test"][Int(next() % 2)] + "_" + string(24, from: Self.alnum)
    }
    mutating func googleKey() -> String { "AIza" + "Sy" + string(33, from: Self.tokenChars) }
    mutating func npmToken() -> String { "npm" + "_" + string(36, from: Self.alnum) }
    mutating func password() -> String { string(12, from: Self.alnum) + ["!", "#", "%", "^"][Int(next() % 4)] + "9" }
    mutating func bearer() -> String { string(32, from: Self.tokenChars + Self.alnum) }
    mutating func jwt() -> String {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"<random>","iat":<n>} . <random signature>
        let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        let payload = Base64.encode(
            Array(#"{"sub":"\#(string(10, from: Self.alnum))","iat":\#(next() % 2_000_000_000)}"#.utf8)
        )
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
        return header + "." + payload + "." + string(43, from: Self.tokenChars)
    }
    /// A PEM private key body (lines of 64 base64 characters) with its BEGIN and END lines.
    mutating func privateKey(label: String = "RSA PRIVATE KEY", lines: Int = 6) -> String {
        var text = "-----BEGIN \(label)-----\n"
        for _ in 0..<lines { text += string(64, from: Self.base64) + "\n" }
        return text + string(20, from: Self.base64) + "==\n-----END \(label)-----"
    }
    mutating func base64Blob(_ byteCount: Int) -> String { Base64.encode(bytes(byteCount)) }
    mutating func hex(_ count: Int) -> String { string(count, from: Array("0123456789abcdef")) }
    mutating func uuid() -> String { "\(hex(8))-\(hex(4))-4\(hex(3))-a\(hex(3))-\(hex(12))" }
}
