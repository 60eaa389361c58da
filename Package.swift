// swift-tools-version: 6.0
import PackageDescription

// `send-event` runs once per Claude Code hook event, so its start-up time is the product: on Linux
// it is linked as a fully static executable (no dynamic loader work, no libstdc++), which starts
// about as fast as /bin/true, and release builds are stripped. The libraries it links are
// Foundation-free for the same reason.
//
// Those are unsafe flags, which SwiftPM refuses in a package used as a versioned dependency. So
// they apply only to a build of this package's own checkout (README, install.sh and the scripts
// build that way), not when it sits in a dependent's `checkouts` folder; a dependent then gets an
// ordinary dynamically linked `send-event`. `HOOKKIT_STATIC_HOOK=0` turns them off here too.
let isDependencyCheckout = Context.packageDirectory.contains("/checkouts/")
let fastHook = !isDependencyCheckout && Context.environment["HOOKKIT_STATIC_HOOK"] != "0"
let hookLinkerSettings: [LinkerSetting] =
    fastHook
    ? [
        .unsafeFlags(["-static-executable"], .when(platforms: [.linux])),
        .unsafeFlags(["-Xlinker", "-s"], .when(platforms: [.linux], configuration: .release)),
    ] : []
let helperLinkerSettings: [LinkerSetting] =
    fastHook ? [.unsafeFlags(["-Xlinker", "-s"], .when(platforms: [.linux], configuration: .release))] : []

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
        // Internal plumbing (syscall wrappers, descriptors, sockets, clocks, locks, spawning): the
        // one place that imports the platform's C library. Not a product of its own.
        .target(name: "HookKitSystem"),
        // The client library: event stamping, configuration, spool, delivery, HTTP client, crypto, JSON.
        .target(name: "HookKit", dependencies: ["HookKitSystem"]),
        // The hub side of the wire contract: HTTP server, request parser, store. Only hook-hub links it.
        .target(name: "HookKitHub", dependencies: ["HookKit", "HookKitSystem"]),
        .executableTarget(
            name: "send-event", dependencies: ["HookKit", "HookKitSystem"], linkerSettings: hookLinkerSettings),
        .executableTarget(name: "hook-hub", dependencies: ["HookKitHub", "HookKit", "HookKitSystem"]),
        // The TLS helper the flusher starts for https hubs. Deliberately not static: on Linux it
        // loads OpenSSL with dlopen (dlopen is in glibc 2.34+'s libc), so it needs the dynamic
        // loader; the installer builds it with --static-swift-stdlib. Nothing here links OpenSSL.
        .executableTarget(
            name: "hookkit-tls", dependencies: ["HookKit", "HookKitSystem"], linkerSettings: helperLinkerSettings),
        .testTarget(
            name: "HookKitTests", dependencies: ["HookKit", "HookKitHub", "HookKitSystem"], exclude: ["Vectors"]),
        // A client's view: imports HookKit alone, next to the standard library's Clock and Duration.
        .testTarget(name: "ClientModuleTests", dependencies: ["HookKit"]),
    ]
)
