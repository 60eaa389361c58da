import HookKitSystem

/// Whether a hub URL can be written into settings, baked into a served `install.sh` or used by
/// `send-event doctor`: `http://` or `https://` with a host, and nothing that could break out of
/// a quoted shell word or a header line (spaces, control characters, quotes, backslashes).
///
/// Small on purpose: when ``Configuration`` validates the hub itself (one place for every
/// variable), this becomes a call to that.
package enum HubURLValidation {
    /// `nil` when `url` is usable, else why not (one clause, for a message such as
    /// "--hub 'x' is not usable: <reason>").
    package static func problem(_ url: String) -> String? {
        if url.isEmpty { return "it is empty" }
        for scalar in url.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7F: return "it contains a control character"
            case 0x20: return "it contains a space"
            case 0x22, 0x27, 0x5C, 0x60: return "it contains a quote or a backslash"
            default: continue
            }
        }
        guard HTTPEndpoint(url: url) != nil else {
            return "expected http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]"
        }
        return nil
    }

    /// `url` without trailing slashes (`http://hub:4000/` and `http://hub:4000` are one hub, and
    /// the spool folder is named after the text).
    package static func normalized(_ url: String) -> String {
        // Never into the scheme's own slashes: at least "http://x" stays.
        let keep = url.lowercased().hasPrefix("https://") ? 9 : 8
        var text = url
        while text.hasSuffix("/"), text.count > keep { text.removeLast() }
        return text
    }
}
