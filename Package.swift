// swift-tools-version: 6.0
import PackageDescription

// `send-event` runs once per Claude Code hook event, so its start-up time is the product: on Linux
// it is linked as a fully static executable (no dynamic loader work, no libstdc++), which starts
// about as fast as /bin/true. The library it links is Foundation-free for the same reason.
let package = Package(
    name: "HookKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "HookKit", targets: ["HookKit"]),
        .executable(name: "send-event", targets: ["send-event"]),
        .executable(name: "hook-hub", targets: ["hook-hub"]),
        .executable(name: "hookkit-tls", targets: ["hookkit-tls"]),
    ],
    targets: [
        .target(name: "HookKit"),
        .executableTarget(
            name: "send-event",
            dependencies: ["HookKit"],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux]))]
        ),
        .executableTarget(name: "hook-hub", dependencies: ["HookKit"]),
        // The TLS helper the flusher starts for https hubs. Deliberately not static: on Linux it
        // loads OpenSSL with dlopen (dlopen is in glibc 2.34+'s libc), so it needs the dynamic
        // loader; the installer builds it with --static-swift-stdlib. Nothing here links OpenSSL.
        .executableTarget(name: "hookkit-tls", dependencies: ["HookKit"]),
        .testTarget(name: "HookKitTests", dependencies: ["HookKit"], exclude: ["Vectors"]),
    ]
)
