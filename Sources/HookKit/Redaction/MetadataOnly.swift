/// `CLAUDE_OBSERVABILITY_CONTENT=metadata`: which strings a payload keeps, and what replaces the
/// others.
///
/// Kept, as received (after redaction): the string values of these members of the payload's top
/// level object: `session_id`, `hook_event_name`, `tool_name`, `tool_use_id`, `cwd`,
/// `permission_mode`, `transcript_path`, `agent_id`, `agent_type`, `agent_transcript_path`,
/// `source`, `reason`, `trigger`, `notification_type`, `model`, and any other member named `id`
/// or ending in `_id` or `Id`. Also kept everywhere: object keys, numbers, booleans, `null` and the
/// structure itself. Every other string (tool inputs and responses, prompts, messages, file
/// contents, nested strings, array elements) becomes
/// `{"omitted":true,"bytes":N,"sha256":"<first 16 hex digits>"}` where N is the string's length
/// in UTF-8 bytes and the hash is SHA-256 of the string after redaction (so a secret is never
/// hashed). Equal strings get equal hashes, so dashboards can still count, size and correlate;
/// a short or guessable string can be confirmed by hashing a guess.
enum MetadataOnly {
    /// The top-level string members kept besides `id` and `*_id`.
    static let keptTopLevelKeys: [StaticString] = [
        "hook_event_name", "tool_name", "cwd", "permission_mode", "transcript_path", "agent_type",
        "agent_transcript_path", "source", "reason", "trigger", "notification_type", "model",
    ]

    /// Whether a string value under `key` (raw JSON key text, nil for array elements) at nesting
    /// `depth` (1 = the root object's members) is kept.
    static func keeps(key: UnsafeBufferPointer<UInt8>?, depth: Int) -> Bool {
        guard depth == 1, let key else { return false }
        if isIDKey(key) { return true }
        let text = ScanText(key)
        return keptTopLevelKeys.contains { key.count == $0.utf8CodeUnitCount && text.has($0, at: 0) }
    }

    /// `id`, or a name ending in `_id` / `Id` (`session_id`, `tool_use_id`, `requestId`).
    static func isIDKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = ScanText(key)
        if key.count == 2 { return text.has("id", at: 0) }
        return key.count > 3 && (text.has("_id", at: key.count - 3) || text.has("Id", at: key.count - 2))
    }

    /// Appends `{"omitted":true,"bytes":<byteCount>,"sha256":"<16 hex of content's SHA-256>"}`.
    static func appendOmitted(byteCount: Int, hashing content: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        JSONWriter.append(#"{"omitted":true,"bytes":"#, to: &output)
        JSONWriter.appendInteger(byteCount, to: &output)
        JSONWriter.append(#","sha256":""#, to: &output)
        let digest = SHA256.hash(bufferPointer: UnsafeRawBufferPointer(content))
        let hex: StaticString = "0123456789abcdef"
        for byte in digest.bytes.prefix(8) {
            output.append(hex.utf8Start[Int(byte >> 4)])
            output.append(hex.utf8Start[Int(byte & 0x0F)])
        }
        JSONWriter.append(#""}"#, to: &output)
    }
}
