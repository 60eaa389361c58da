import HookKit
import Testing

/// Each rule's exact output, and the boundaries that keep it precise.
@Suite struct RedactionRuleTests {
    func redact(_ text: String, _ mode: RedactionMode = .secrets, words: [String] = []) -> String {
        String(decoding: Redactor(mode: mode, customWords: words).redactText(Array(text.utf8)).text, as: UTF8.self)
    }

    var fake = RedactionFakes(seed: 7)

    @Test mutating func tokenRulesReplaceExactlyTheToken() {
        let aws = fake.awsKeyID()
        #expect(redact("id=\(aws);") == "id=[REDACTED:aws-access-key-id];")
        let github = fake.githubToken()
        #expect(redact("(\(github))") == "([REDACTED:github-token])")
        let gitlab = fake.gitlabToken()
        #expect(redact("t \(gitlab) x") == "t [REDACTED:gitlab-token] x")
        let anthropic = fake.anthropicKey()
        #expect(redact("\"\(anthropic)\"") == "\"[REDACTED:anthropic-api-key]\"")
        let slack = fake.slackToken()
        #expect(redact("\(slack)\n") == "[REDACTED:slack-token]\n")
        let stripe = fake.stripeKey()
        #expect(redact("key: \(stripe)") == "key: [REDACTED:stripe-key]")
        let google = fake.googleKey()
        #expect(redact("?k=\(google)&a=1") == "?k=[REDACTED:google-api-key]&a=1")
        let npm = fake.npmToken()
        #expect(redact("npm \(npm) ok") == "npm [REDACTED:npm-token] ok")
        let jwt = fake.jwt()
        #expect(redact("jwt=\(jwt); path=/") == "jwt=[REDACTED:jwt]; path=/")
    }

    @Test mutating func fixedLengthTokensNeedTheirBoundaries() {
        let aws = fake.awsKeyID()
        #expect(redact(aws + "Q") == aws + "Q", "17 characters after the prefix is not a key id")
        #expect(redact("x" + aws) == "x" + aws, "not at a word start")
        #expect(redact(String(aws.dropLast())) == String(aws.dropLast()))
        #expect(redact("AKIAIOSFODNN7EXAMPLE") == "AKIAIOSFODNN7EXAMPLE", "AWS's documented example")
        let github = fake.githubToken()
        #expect(redact(String(github.dropLast())) == String(github.dropLast()))
        #expect(redact(github + "x") == github + "x")
        let npm = fake.npmToken()
        #expect(redact(npm + "7") == npm + "7")
    }

    @Test mutating func runTokensNeedTheirMinimumLength() {
        #expect(
            redact("glpat-" + String(repeating: "a1", count: 9) + "b") == "glpat-" + String(repeating: "a1", count: 9)
                + "b")
        #expect(redact("xoxb-123456789") == "xoxb-123456789")
        #expect(redact("sk-ant-api03-short") == "sk-ant-api03-short")
        #expect(redact("AIza" + String(repeating: "x", count: 34)) == "AIza" + String(repeating: "x", count: 34))
        #expect(redact("sk_live_shortone") == "sk_live_shortone")
        #expect(redact("sk_test_helpers_for_checkout") == "sk_test_helpers_for_checkout")
        #expect(redact("eyJhbGciOi.eyJzdWIi") == "eyJhbGciOi.eyJzdWIi", "two segments are not a JWT")
    }

    @Test mutating func authorizationKeepsTheScheme() {
        let token = fake.bearer()
        #expect(
            redact("curl -H 'Authorization: Bearer \(token)' -H 'X: y'")
                == "curl -H 'Authorization: Bearer [REDACTED:authorization-header]' -H 'X: y'")
        #expect(redact("authorization=basic \(token)") == "authorization=basic [REDACTED:authorization-header]")
        #expect(
            redact("Proxy-Authorization: Token \(token)")
                == "Proxy-Authorization: Token [REDACTED:authorization-header]")
        #expect(redact("Authorization: Bearer ${API_TOKEN}") == "Authorization: Bearer ${API_TOKEN}")
        #expect(redact("Authorization: Bearer <token>") == "Authorization: Bearer <token>")
        #expect(redact("Authorization: Bearer short") == "Authorization: Bearer short")
    }

    @Test mutating func urlCredentialsKeepUserAndHost() {
        let password = fake.password()
        #expect(redact("amqp://guest:\(password)@mq:5672/") == "amqp://guest:[REDACTED:url-credentials]@mq:5672/")
        #expect(
            redact("https://u:p@ss:w0rd@host/x") == "https://u:[REDACTED:url-credentials]@host/x", "the last @ ends it")
        #expect(redact("https://user@host/path") == "https://user@host/path")
        #expect(redact("https://host/a:b@c") == "https://host/a:b@c", "an @ after the path is not user info")
        #expect(redact("redis://:$REDIS_PASSWORD@cache") == "redis://:$REDIS_PASSWORD@cache")
        #expect(redact("http://[::1]:8080/") == "http://[::1]:8080/")
    }

    @Test mutating func secretAssignmentTakesTheValueOnly() {
        let value = fake.password()
        #expect(redact("DB_PASSWORD=\(value)") == "DB_PASSWORD=[REDACTED:secret-assignment]")
        #expect(redact("password: \"\(value)\"") == "password: \"[REDACTED:secret-assignment]\"")
        #expect(
            redact("{\\\"api_key\\\": \\\"\(value)\\\"}") == "{\\\"api_key\\\": \\\"[REDACTED:secret-assignment]\\\"}")
        #expect(redact("x-api-key: \(value)") == "x-api-key: [REDACTED:secret-assignment]")
        #expect(redact("clientSecret = '\(value)'") == "clientSecret = '[REDACTED:secret-assignment]'")
        #expect(redact("token := `\(value)`") == "token := `[REDACTED:secret-assignment]`")
        #expect(redact("'secret' => '\(value)'") == "'secret' => '[REDACTED:secret-assignment]'")
    }

    @Test(arguments: [
        "PASSWORD=", "PASSWORD=short", "PASSWORD=$DB_PASSWORD", "PASSWORD=${DB_PASSWORD}", "password: <your password>",
        "password: ********", "TOKEN=xxxxxxxxxxxx", "SECRET=changeme", "api_key: your_api_key_here", "password: null",
        "token = get_token()", "token = self.token", "api_key = API_KEY_VALUE", "token: AccessToken",
        "apiKey: apiKeyFromEnv",
        "tokenizer = cl100k_base_encoding", "token_url = https://auth.example.com/token",
        "secret_name: prod-db-password",
        "max_tokens=409600000", "password == enteredPassword", "if token != storedToken", "password:\n  from_env: DB",
        "SECRET_FILE=/run/secrets/db_password", "TOKEN=\"\"", "password: required",
    ])
    func secretAssignmentLeavesReferencesPlaceholdersAndCode(_ text: String) {
        #expect(redact(text) == text)
    }

    @Test mutating func privateKeysNeedABody() {
        let pem = fake.privateKey(label: "DSA PRIVATE KEY", lines: 2)
        #expect(redact("a\n\(pem)\nb") == "a\n[REDACTED:private-key]\nb")
        let truncated = pem.split(separator: "\n").prefix(3).joined(separator: "\n")
        #expect(redact(truncated + "\n") == "[REDACTED:private-key]\n", "cut off before END, long enough")
        #expect(
            redact("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----")
                == "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----")
        let pgp = fake.privateKey(label: "PGP PRIVATE KEY BLOCK")
        #expect(redact(pgp) == "[REDACTED:private-key]")
    }

    @Test func customWordsIgnoreCaseAndPreferTheLongest() {
        #expect(
            redact("Deploy ACME Corp to acme.internal", words: ["acme", "acme corp"])
                == "Deploy [REDACTED:custom] to [REDACTED:custom].internal")
        #expect(redact("aaab aab", words: ["aab"]) == "a[REDACTED:custom] [REDACTED:custom]")
        #expect(
            redact("Zoë's café", words: ["CAFÉ", "zoë"]) == "[REDACTED:custom]'s café", "only ASCII case is folded")
        #expect(redact("acme", .off, words: ["acme"]) == "acme", "off means off")
        #expect(redact("acme", .strict, words: ["acme"]) == "[REDACTED:custom]")
    }

    @Test func strictAddsEmailIPv4AndHighEntropy() {
        #expect(redact("mail jane.doe+ci@mail.example.co.uk now", .strict) == "mail [REDACTED:email] now")
        #expect(redact("from 192.168.1.20:8080", .strict) == "from [REDACTED:ipv4]:8080")
        #expect(redact("127.0.0.1 0.0.0.0 1.2.3.4.5 256.1.1.1", .strict) == "127.0.0.1 0.0.0.0 1.2.3.4.5 256.1.1.1")
        let random = "Zq8vT2mR9xLw4KpN7sJd3HfB6gYc1EaU0oWi5"
        #expect(redact("secret \(random) end", .strict) == "secret [REDACTED:high-entropy] end")
        #expect(redact("secret \(random) end") == "secret \(random) end", "not in secrets mode")
        let hex = "9fceb02d0ae598e95dc970b74767f19372d61af8"
        #expect(
            redact("commit \(hex) 550e8400-e29b-41d4-a716-446655440000", .strict)
                == "commit \(hex) 550e8400-e29b-41d4-a716-446655440000")
        let identifier = "AbstractSingletonProxyFactoryBeanConfiguration"
        #expect(redact(identifier, .strict) == identifier)
        let integrity = "sha512-" + random + random
        #expect(redact(integrity, .strict) == integrity)
        let path =
            "/home/dev/.claude/projects/-home-dev-projects-shop-api/5f2c9a7e-1b2c-4d5e-8f90-123456789abc.jsonl /usr/lib/x86_64-linux-gnu/libstdc++.so.6"
        #expect(redact(path, .strict) == path)
        #expect(
            redact("k=Zq8vT2mR9x/Lw4KpN7sJd3/HfB6gYc1EaU0oWi5+ab9", .strict) == "k=[REDACTED:high-entropy]",
            "base64 with slashes")
    }

    @Test func redactingTwiceChangesNothingMore() {
        var fake = RedactionFakes(seed: 99)
        let text = "A=\(fake.awsKeyID()) password=\(fake.password()) \(fake.jwt()) jane@example.com 10.1.2.3"
        let once = redact(text, .strict)
        #expect(once != text)
        #expect(redact(once, .strict) == once)
    }
}
