/// How much of a payload's text is scanned and masked before an event is spooled
/// (`CLAUDE_OBSERVABILITY_REDACT`).
public enum RedactionMode: String, Sendable, CaseIterable {
    /// The high-precision rules: credentials with a recognisable shape or a telling name (default).
    case secrets
    /// `secrets` plus e-mail addresses, IPv4 addresses and long high-entropy tokens.
    case strict
    /// No redaction at all, custom words included.
    case off

    /// Reads a setting's value (case-insensitive, surrounding blanks ignored). An empty or absent
    /// value is the default; an unknown one falls back to `secrets` with a problem to report.
    static func parse(_ value: String?) -> (mode: RedactionMode, problem: String?) {
        guard let value, let text = normalisedSetting(value) else { return (.secrets, nil) }
        if let mode = RedactionMode(rawValue: text) { return (mode, nil) }
        return (
            .secrets,
            "CLAUDE_OBSERVABILITY_REDACT=\(value) is not one of secrets, strict, off; using secrets"
        )
    }
}

/// Whether payload strings are kept at all (`CLAUDE_OBSERVABILITY_CONTENT`).
public enum ContentMode: String, Sendable, CaseIterable {
    /// Strings are kept (after redaction) (default).
    case full
    /// Only the hook's own fields (`hook_event_name`, `tool_name`, `cwd`, `permission_mode`, ...),
    /// ids, numbers and booleans are kept; every other string becomes
    /// `{"omitted":true,"bytes":N,"sha256":"<16 hex>"}`.
    case metadata

    /// Reads a setting's value like ``RedactionMode/parse(_:)``; unknown values fall back to `full`.
    static func parse(_ value: String?) -> (mode: ContentMode, problem: String?) {
        guard let value, let text = normalisedSetting(value) else { return (.full, nil) }
        if let mode = ContentMode(rawValue: text) { return (mode, nil) }
        return (.full, "CLAUDE_OBSERVABILITY_CONTENT=\(value) is not one of full, metadata; using full")
    }
}

/// `CLAUDE_OBSERVABILITY_REDACT_WORDS`: comma-separated literals, blanks around each trimmed,
/// empty entries dropped.
func parseRedactWords(_ value: String?) -> [String] {
    guard let value else { return [] }
    return value.split(separator: ",").compactMap { word in
        let trimmed = trimmedBlanks(word)
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}

private func normalisedSetting(_ value: String) -> String? {
    let trimmed = trimmedBlanks(Substring(value)).lowercased()
    return trimmed.isEmpty ? nil : trimmed
}

private func trimmedBlanks(_ text: Substring) -> Substring {
    func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }
    guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
    else { return "" }
    return text[first...last]
}
