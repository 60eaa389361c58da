import HookKit
import Testing

@Test func versionIsSemantic() {
    #expect(HookKitVersion.current.split(separator: ".").count == 3)
}
