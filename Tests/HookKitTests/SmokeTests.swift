import HookKit
import HookKitHub
import HookKitSystem
import Testing

@Test func versionIsSemantic() {
    #expect(HookKitVersion.current.split(separator: ".").count == 3)
}
