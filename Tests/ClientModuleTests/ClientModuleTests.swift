// A client module: it imports HookKit and nothing of the package's plumbing, and uses the
// standard library's `Clock` protocol and `Duration` in the same file. If HookKit exported a
// type named like one of them, this file would stop compiling.
import HookKit
import Testing

/// Polls `condition` on `clock` until it holds or `timeout` has passed.
func poll(_ clock: some Clock<Duration>, timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if condition() { return true }
    }
    return condition()
}

@Suite struct ClientModuleTests {
    @Test func theStandardLibrarysClockAndDurationWorkNextToHookKit() {
        var ids: [UUIDv7] = []
        let filled = poll(ContinuousClock(), timeout: .seconds(10)) {
            ids.append(UUIDv7.generate())
            return ids.count == 1000
        }
        #expect(filled)
        #expect(ids == ids.sorted(), "ids made one after another increase")
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { UUIDv7(parsing: $0.uuidString) == $0 })
    }

    @Test func literalsBuildThePayloadInOrder() {
        let name = "Build"
        let payload: JSONValue = [
            "session_id": "s1", "hook_event_name": "\(name)", "ok": true, "n": 3, "ratio": 0.25, "none": nil,
            "tags": ["a", 2, false],
        ]
        #expect(
            payload.serialized()
                == #"{"session_id":"s1","hook_event_name":"Build","ok":true,"n":3,"ratio":0.25,"none":null,"tags":["a",2,false]}"#
        )
        #expect(payload["n"]?.integerValue == 3)
        #expect(JSONValue(2.0).serialized() == "2")
        #expect(JSONValue(Double.infinity) == .null)
    }

    @Test func configurationComesFromAnEnvironmentAndCanBeChanged() {
        var configuration = Configuration(environment: ["CLAUDE_OBSERVABILITY_HUB": "http://127.0.0.1:4999"])
        #expect(configuration.hub == "http://127.0.0.1:4999")
        #expect(configuration.spoolDirectory.hasSuffix("/http-127.0.0.1-4999"))
        configuration.sourceApp = "client"
        #expect(configuration.sourceApp == "client")
        #expect(HookKitError(.spool, reason: "disk full").description == "disk full")
        #expect(!HookKitVersion.current.isEmpty)
    }
}
