/// One redaction rule; its `id` is the `<rule-id>` of `[REDACTED:<rule-id>]` and of the event's
/// `redactions` counts.
package enum RedactionRule: Int, Sendable, CaseIterable {
    case awsAccessKeyID
    case awsSecretAccessKey
    case githubToken
    case gitlabToken
    case anthropicAPIKey
    case openaiAPIKey
    case slackToken
    case stripeKey
    case googleAPIKey
    case npmToken
    case privateKey
    case jwt
    case authorizationHeader
    case urlCredentials
    case secretAssignment
    // strict mode only
    case email
    case ipv4
    case highEntropy
    // CLAUDE_OBSERVABILITY_REDACT_WORDS
    case custom

    /// The rule's id as it appears in markers and counts.
    package var id: String { String(describing: marker).dropFirst(10).dropLast().description }

    /// `[REDACTED:<id>]`, as static text so that writing a marker allocates nothing.
    package var marker: StaticString {
        switch self {
        case .awsAccessKeyID: "[REDACTED:aws-access-key-id]"
        case .awsSecretAccessKey: "[REDACTED:aws-secret-access-key]"
        case .githubToken: "[REDACTED:github-token]"
        case .gitlabToken: "[REDACTED:gitlab-token]"
        case .anthropicAPIKey: "[REDACTED:anthropic-api-key]"
        case .openaiAPIKey: "[REDACTED:openai-api-key]"
        case .slackToken: "[REDACTED:slack-token]"
        case .stripeKey: "[REDACTED:stripe-key]"
        case .googleAPIKey: "[REDACTED:google-api-key]"
        case .npmToken: "[REDACTED:npm-token]"
        case .privateKey: "[REDACTED:private-key]"
        case .jwt: "[REDACTED:jwt]"
        case .authorizationHeader: "[REDACTED:authorization-header]"
        case .urlCredentials: "[REDACTED:url-credentials]"
        case .secretAssignment: "[REDACTED:secret-assignment]"
        case .email: "[REDACTED:email]"
        case .ipv4: "[REDACTED:ipv4]"
        case .highEntropy: "[REDACTED:high-entropy]"
        case .custom: "[REDACTED:custom]"
        }
    }
}

/// How many matches each rule replaced.
package struct RedactionCounts: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: RedactionRule.allCases.count)

    package init() {}

    /// The count of one rule.
    package subscript(rule: RedactionRule) -> Int {
        get { counts[rule.rawValue] }
        set { counts[rule.rawValue] = newValue }
    }

    /// Whether nothing was redacted.
    package var isEmpty: Bool { total == 0 }

    /// All replacements together.
    package var total: Int { counts.reduce(0, +) }

    /// The rules that replaced something, with their counts, in rule order.
    package var nonZero: [(rule: RedactionRule, count: Int)] {
        RedactionRule.allCases.compactMap { counts[$0.rawValue] > 0 ? ($0, counts[$0.rawValue]) : nil }
    }

    /// Adds another set of counts to this one.
    package mutating func add(_ other: RedactionCounts) {
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    /// Appends `{"<rule-id>":count,...}` (rules that replaced something, in rule order).
    package func appendJSON(to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        var first = true
        for (rule, count) in nonZero {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendString(rule.id, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONWriter.appendInteger(count, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}
