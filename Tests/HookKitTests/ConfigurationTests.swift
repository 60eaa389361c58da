import Foundation
import HookKit
import HookKitSystem
import Testing

/// Configuration is read and checked once: a bad hub URL or secret is a problem the hook prints
/// and `status` shows, without anybody running `flush`.
@Suite struct ConfigurationTests {
    @Test(arguments: [
        "localhost:4000", "ftp://x", "http://hub example", "http://hub\r\n.example", "http://", "https://@x",
    ])
    func unusableHubURLsAreProblems(_ hub: String) {
        let configuration = Configuration(environment: ["CLAUDE_OBSERVABILITY_HUB": hub, "HOME": "/home/u"])
        #expect(configuration.hubEndpoint == nil)
        #expect(configuration.problems.count == 1)
        #expect(configuration.problems.first?.hasPrefix("CLAUDE_OBSERVABILITY_HUB='") == true)
        #expect(configuration.problems.first?.contains("is not usable: ") == true)
        #expect(configuration.problems.first?.contains("\r") == false)
        #expect(configuration.problems.first?.contains("\n") == false)
        #expect(configuration.hub == hub, "kept as given: nothing is sent anywhere unintended")
    }

    @Test(arguments: ["http://localhost:4000", "https://hub.example.com/base", "http://[::1]:8080", "HTTP://x"])
    func usableHubURLsAreNot(_ hub: String) {
        let configuration = Configuration(environment: ["CLAUDE_OBSERVABILITY_HUB": hub])
        #expect(configuration.hubEndpoint != nil)
        #expect(configuration.problems.isEmpty)
    }

    @Test func anUnusableSecretAndBadNumbersAreProblemsAndNumbersFallBack() {
        let configuration = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_SECRET": "whsec_%%%",
            "CLAUDE_OBSERVABILITY_MAX_PAYLOAD": "lots",
            "CLAUDE_OBSERVABILITY_LINGER_MS": "-5",
        ])
        #expect(configuration.problems.count == 3)
        #expect(configuration.problems.contains { $0.hasPrefix("CLAUDE_OBSERVABILITY_SECRET is not usable") })
        #expect(configuration.problems.contains { $0.hasPrefix("CLAUDE_OBSERVABILITY_MAX_PAYLOAD='lots'") })
        #expect(configuration.maxPayloadBytes == Configuration.defaultMaxPayloadBytes)
        #expect(configuration.delivery.lingerMilliseconds == DeliverySettings().lingerMilliseconds)
    }

    @Test func everyDeliverySettingIsReadHere() {
        let configuration = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_MAX_QUEUE_BYTES": "5000", "CLAUDE_OBSERVABILITY_MAX_AGE_SECONDS": "60",
            "CLAUDE_OBSERVABILITY_BACKOFF_BASE_MS": "10", "CLAUDE_OBSERVABILITY_BACKOFF_CAP_MS": "20",
            "CLAUDE_OBSERVABILITY_LINGER_MS": "70000", "CLAUDE_OBSERVABILITY_CA_FILE": "/ca.pem",
            "CLAUDE_OBSERVABILITY_TLS_HELPER": "/bin/tls",
        ])
        #expect(configuration.problems.isEmpty)
        #expect(configuration.delivery.maxQueueBytes == 5000)
        #expect(configuration.delivery.maxAgeMilliseconds == 60_000)
        #expect(configuration.delivery.backoff == Backoff(baseMilliseconds: 10, capMilliseconds: 20))
        #expect(configuration.delivery.lingerMilliseconds == 60_000)
        #expect(configuration.caFile == "/ca.pem")
        #expect(TLSTunnel(configuration).helperPath == "/bin/tls")
    }

    @Test func theHookReportsAnUnusableHubQueuesTheEventAndStatusShowsIt() throws {
        let spool = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(spool) }
        let environment = ["CLAUDE_OBSERVABILITY_SPOOL": spool, "CLAUDE_OBSERVABILITY_HUB": "localhost:4000"]
        let hook = try runProcess(
            Executables.path("send-event"), stdin: Data(#"{"session_id":"s","hook_event_name":"Stop"}"#.utf8),
            environment: environment)
        #expect(hook.status == 0)
        #expect(hook.stdout.isEmpty)
        let lines = hook.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(
            lines.first
                == "send-event: CLAUDE_OBSERVABILITY_HUB='localhost:4000' is not usable: expected http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]"
        )
        #expect(try spoolLines(spool + "/queue.jsonl").count == 1)

        let status = try runProcess(Executables.path("send-event"), ["status", "--json"], environment: environment)
        #expect(status.status == 0)
        let json = try JSONValue.parse(Array(status.stdout))
        #expect(json["queued"]?.integerValue == 1)
        #expect(
            json["last_error"]?.stringValue?.contains("CLAUDE_OBSERVABILITY_HUB='localhost:4000' is not usable") == true
        )
    }
}
