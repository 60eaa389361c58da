import Foundation
import HookKit
import HookKitSystem
import Testing

/// The OTLP settings and `CLAUDE_OBSERVABILITY_HUB=none` in ``Configuration``: read once, a bad
/// value is a problem line and the sink is off.
@Suite struct OTLPConfigurationTests {
    @Test func theOTLPSettingsAreReadWithTheRest() throws {
        let configuration = Configuration(environment: [
            "HOME": "/home/u", "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "https://otel.example.com:4318/base",
            "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "http/json", "CLAUDE_OBSERVABILITY_OTLP_HEADERS": "x-key=a%2Cb",
            "OTEL_SERVICE_NAME": "agents",
        ])
        #expect(configuration.problems.isEmpty)
        let otlp = try #require(configuration.otlp)
        #expect(otlp.endpoint.description == "https://otel.example.com:4318/base" && otlp.endpoint.isTLS)
        #expect(otlp.wireProtocol == .json && otlp.headers["x-key"] == "a,b" && otlp.mapping.serviceName == "agents")
        // The hub and its spool folder are as without OTLP.
        #expect(configuration.hubIsOn && configuration.hubEndpoint != nil && configuration.deliversAnywhere)
        #expect(configuration.spoolDirectory == "/home/u/.local/state/hookkit/http-localhost-4000")
        let delivery = try FlushRunner.makeDelivery(configuration)
        #expect(delivery.sinks == [.hub, .otlp])
    }

    @Test func anInvalidOTLPSettingIsAProblemAndTheSinkIsOff() throws {
        let configuration = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://localhost:4318", "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL": "grpc",
        ])
        #expect(configuration.otlp == nil)
        #expect(
            configuration.problems == [
                "CLAUDE_OBSERVABILITY_OTLP_PROTOCOL: \"grpc\" is not supported: use http/protobuf (the default) or http/json (HookKit speaks OTLP over HTTP only); the OTLP sink is off"
            ])
        #expect(try FlushRunner.makeDelivery(configuration).sinks == [.hub], "the hub delivers as before")
    }

    @Test(arguments: ["none", "NONE", "None"])
    func hubNoneTurnsTheHubSinkOff(_ none: String) throws {
        let configuration = Configuration(environment: [
            "HOME": "/home/u", "CLAUDE_OBSERVABILITY_HUB": none,
            "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        ])
        #expect(configuration.problems.isEmpty)
        #expect(!configuration.hubIsOn && configuration.hubEndpoint == nil && configuration.deliversAnywhere)
        #expect(configuration.spoolDirectory == "/home/u/.local/state/hookkit/otlp-http-127.0.0.1-4318")
        #expect(try FlushRunner.makeDelivery(configuration).sinks == [.otlp])
    }

    @Test func hubNoneWithoutAReceiverIsAProblemAndNoFlusherCanRun() {
        let configuration = Configuration(environment: ["HOME": "/home/u", "CLAUDE_OBSERVABILITY_HUB": "none"])
        #expect(
            configuration.problems == [
                "CLAUDE_OBSERVABILITY_HUB=none turns the hub off and CLAUDE_OBSERVABILITY_OTLP_ENDPOINT is not set: events are queued but delivered nowhere"
            ])
        #expect(!configuration.deliversAnywhere)
        #expect(configuration.spoolDirectory == "/home/u/.local/state/hookkit/none")
        #expect(throws: FlushFailure.self) { try FlushRunner.makeDelivery(configuration) }
    }

    @Test func anUnusableHubBesideAReceiverFailsWithItsReasonWhileTheReceiverGetsTheEvents() throws {
        let directory = try makeTemporaryDirectory("otlp-config")
        defer { removeTemporaryDirectory(directory) }
        let configuration = Configuration(environment: [
            "CLAUDE_OBSERVABILITY_HUB": "localhost:4000", "CLAUDE_OBSERVABILITY_SPOOL": directory,
            "CLAUDE_OBSERVABILITY_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        ])
        #expect(configuration.problems.count == 1 && configuration.deliversAnywhere)
        var delivery = try FlushRunner.makeDelivery(configuration)
        #expect(delivery.sinks == [.hub, .otlp])
        _ = try queueEvents(2, in: configuration.spool)
        let now = Clock.unixMilliseconds()
        guard case .backingOff = delivery.step(.hub, now: now) else {
            Issue.record("the hub sink fails")
            return
        }
        let error = try #require(delivery.lastError(.hub))
        #expect(error.contains("not attempted: hub URL 'localhost:4000' is not usable"), "\(error)")
    }
}
