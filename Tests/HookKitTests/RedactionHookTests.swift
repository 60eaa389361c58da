import Foundation
import HookKit
import Testing

/// Redaction on the real `send-event` binary: secrets never reach queue.jsonl, the settings are
/// honoured, and `send-event redact` previews the same result.
@Suite struct RedactionHookTests {
    let sendEvent = Executables.path("send-event")

    func runHook(_ input: String, spool: String, environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(
            sendEvent, [], stdin: Data(input.utf8),
            environment: environment.merging([
                "CLAUDE_OBSERVABILITY_SPOOL": spool, "CLAUDE_PROJECT_DIR": "/work/demo-app",
                // A closed port: the flusher it starts finds no hub and leaves the queue alone.
                "CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:9",
            ]) { a, _ in a })
    }

    struct Secrets {
        var github: String
        var aws: String
        var password: String
        var pem: String
        var bearer: String

        init() {
            var fake = RedactionFakes(seed: 2026)
            github = fake.githubToken()
            aws = fake.awsKeyID()
            password = fake.password()
            pem = fake.privateKey()
            bearer = fake.bearer()
        }

        /// A PostToolUse payload carrying every secret, the PEM inside a JSON string.
        var payload: String {
            var pemJSON: [UInt8] = []
            JSONWriter.appendString(pem, to: &pemJSON)
            return #"""
                {"session_id":"sess-1","hook_event_name":"PostToolUse","cwd":"/work/demo-app","tool_name":"Bash","tool_use_id":"toolu_1",
                 "tool_input":{"command":"GITHUB_TOKEN=\#(github) AWS_ACCESS_KEY_ID=\#(aws) curl -H 'Authorization: Bearer \#(bearer)' https://api.example.com"},
                 "tool_response":{"stdout":\#(String(decoding: pemJSON, as: UTF8.self)),"env":{"DB_PASSWORD":"\#(password)"},"exit_code":0}}
                """#
        }

        var all: [String] {
            [github, aws, password, bearer]
                + pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        }
    }

    func queue(_ spool: String) throws -> String {
        try String(contentsOfFile: spool + "/queue.jsonl", encoding: .utf8)
    }

    @Test func secretsNeverReachTheQueue() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let secrets = Secrets()
        let result = try runHook(secrets.payload, spool: spool)
        #expect(result.status == 0 && result.stdout.isEmpty)
        #expect(result.stderrText.isEmpty)
        let text = try queue(spool)
        for secret in secrets.all { #expect(!text.contains(secret), "\(secret.prefix(8))... left in the queue") }
        let event = try #require(try spoolLines(spool + "/queue.jsonl").first)
        #expect(
            event.raw("redactions")
                == #"{"aws-access-key-id":1,"github-token":1,"private-key":1,"authorization-header":1,"secret-assignment":1}"#
        )
        let payload = try event.payload()
        #expect(payload.string(forKey: "tool_use_id") == "toolu_1")
        #expect(payload.string(forKey: "cwd") == "/work/demo-app")
        #expect(event.string(forKey: "session_id") == "sess-1")
    }

    @Test func offKeepsThemAndSaysNothing() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let secrets = Secrets()
        _ = try runHook(secrets.payload, spool: spool, environment: ["CLAUDE_OBSERVABILITY_REDACT": "off"])
        let text = try queue(spool)
        #expect(text.contains(secrets.github) && text.contains(secrets.password))
        #expect(try spoolLines(spool + "/queue.jsonl").first?.member("redactions") == nil)
    }

    @Test func anUnknownModeRedactsAnywayWithOneLineOnStderr() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let secrets = Secrets()
        let result = try runHook(
            secrets.payload, spool: spool, environment: ["CLAUDE_OBSERVABILITY_REDACT": "paranoid"])
        #expect(result.status == 0 && result.stdout.isEmpty)
        #expect(
            result.stderrText
                == "send-event: CLAUDE_OBSERVABILITY_REDACT=paranoid is not one of secrets, strict, off; using secrets\n"
        )
        #expect(!(try queue(spool)).contains(secrets.github))
    }

    @Test func metadataModeKeepsIdsAndShapesOnly() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let secrets = Secrets()
        _ = try runHook(
            secrets.payload, spool: spool,
            environment: ["CLAUDE_OBSERVABILITY_CONTENT": "metadata", "CLAUDE_OBSERVABILITY_REDACT_WORDS": "demo-app"])
        let event = try #require(try spoolLines(spool + "/queue.jsonl").first)
        let payload = try event.payload()
        #expect(payload.string(forKey: "tool_name") == "Bash")
        #expect(payload.string(forKey: "cwd") == "/work/[REDACTED:custom]", "kept strings are still redacted")
        #expect(payload.raw("tool_input")?.hasPrefix(#"{"command":{"omitted":true,"bytes":"#) == true)
        #expect(try JSONScanner.scan(Array(payload.text(forKey: "tool_response") ?? [])).raw("exit_code") == "0")
        let text = try queue(spool)
        for secret in secrets.all { #expect(!text.contains(secret)) }
        #expect(!text.contains("curl"))
    }

    @Test func emitterRedactsTheSameWay() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let secrets = Secrets()
        let emitter = try EventEmitter(configuration: Configuration(environment: ["CLAUDE_OBSERVABILITY_SPOOL": spool]))
        try emitter.send(Array(secrets.payload.utf8))
        let text = try queue(spool)
        for secret in secrets.all { #expect(!text.contains(secret)) }
        #expect(text.contains(#""redactions":{"#))
    }

    @Test func redactCommandPreviewsJSONAndText() throws {
        let secrets = Secrets()
        let json = try runProcess(sendEvent, ["redact"], stdin: Data(secrets.payload.utf8))
        #expect(json.status == 0)
        for secret in secrets.all { #expect(!json.stdoutText.contains(secret)) }
        _ = try JSONScanner.scan(Array(json.stdout))
        #expect(json.stdoutText.contains("\n \"tool_input\""), "the input's layout is kept")
        #expect(
            json.stderrText
                == "send-event redact (mode secrets, content full): 5 redacted\n  aws-access-key-id: 1\n  github-token: 1\n  private-key: 1\n  authorization-header: 1\n  secret-assignment: 1\n"
        )
        let text = try runProcess(
            sendEvent, ["redact", "--mode", "strict"],
            stdin: Data("mail ops@example.com, ssh deploy@10.20.30.40 with \(secrets.github)\n".utf8))
        #expect(text.stdoutText == "mail [REDACTED:email], ssh deploy@[REDACTED:ipv4] with [REDACTED:github-token]\n")
        #expect(text.stderrText.contains("email: 1") && text.stderrText.contains("ipv4: 1"))
        let off = try runProcess(sendEvent, ["redact", "--mode", "off"], stdin: Data(secrets.github.utf8))
        #expect(off.stdoutText == secrets.github)
        #expect(off.stderrText == "send-event redact (mode off, content full): nothing redacted\n")
        let bad = try runProcess(sendEvent, ["redact", "--mode", "loud"])
        #expect(bad.status == 64 && bad.stdout.isEmpty)
        let help = try runProcess(sendEvent, ["--help"])
        #expect(help.stdoutText.contains("send-event redact [--mode secrets|strict|off]"))
    }
}
