// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "upmon",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DnodeProtocol", targets: ["DnodeProtocol"]),
        .library(name: "Upnode", targets: ["Upnode"]),
        .library(name: "UpnodeMonitor", targets: ["UpnodeMonitor"]),
        .library(name: "UpnodeMonitorEndpoint", targets: ["UpnodeMonitorEndpoint"]),
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
        .library(name: "UpnodeTap", targets: ["UpnodeTap"]),
        .executable(name: "upmon", targets: ["upmon"]),
        .executable(name: "upmon-attach-demo", targets: ["upmon-attach-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "DnodeProtocol",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]
        ),
        // fork/exec for `exec:` links (the child setup cannot be written in Swift).
        .target(name: "CUpnodeSpawn"),
        .target(
            name: "Upnode",
            dependencies: [
                "DnodeProtocol", "CUpnodeSpawn",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "UpnodeTestSupport", dependencies: ["Upnode"]),
        // The demo personalities of `upmon serve` and the tests' server: not a product, so
        // the `Upnode` library does not ship them.
        .target(
            name: "UpnodeServe",
            dependencies: [
                "Upnode", "DnodeProtocol",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The pure monitor core: no NIO, no links. The app adapts link events to it.
        .target(
            name: "UpnodeMonitor",
            dependencies: [
                "DnodeProtocol",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // `upmon tap`'s transparent proxy: NIO, so not in the pure monitor core; a product of
        // its own so that the benchmark package can measure it.
        .target(
            name: "UpnodeTap",
            dependencies: [
                "UpnodeMonitor", "Upnode", "DnodeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Link events as monitor events (`MonitorFeed`), and an app's own links published on a
        // unix socket (`UpnodeMonitorEndpoint`): the bridge between `Upnode` and the pure core.
        .target(
            name: "UpnodeMonitorEndpoint",
            dependencies: [
                "Upnode", "UpnodeMonitor", "DnodeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // themes/*.theme compiled into the binary (BuiltinThemes), regenerated when a file changes.
        .target(name: "TerminalUI", plugins: ["EmbedThemes"]),
        .systemLibrary(
            name: "CNCurses",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"])]
        ),
        .target(name: "CTerminalGuard"),
        .target(name: "NCursesBackend", dependencies: ["TerminalUI", "CNCurses", "CTerminalGuard"]),
        .target(
            name: "UpmonApp",
            dependencies: [
                "UpnodeMonitor", "UpnodeMonitorEndpoint", "Upnode", "UpnodeServe", "TerminalUI",
                "DnodeProtocol",
                // `on_alert` hooks run in a process group of their own (AlertHookRunner).
                "CUpnodeSpawn",
                "UpnodeTap",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "upmon",
            dependencies: [
                "UpmonApp", "NCursesBackend", "Upnode", "UpnodeServe", "DnodeProtocol",
                "UpnodeTap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The git commit for `upmon --version`.
            plugins: ["EmbedBuildInfo"]
        ),
        // A small service with two upnode clients and a monitor endpoint (`upmon attach`'s
        // example and end-to-end test subject; docs/ARCHITECTURE.md, "Targets").
        .executableTarget(
            name: "upmon-attach-demo",
            dependencies: ["Upnode", "UpnodeMonitorEndpoint", "DnodeProtocol"],
            path: "Examples/AttachDemo"
        ),
        // The generator run at build time by the two plugins below (not shipped).
        .executableTarget(name: "EmbedTool", path: "Plugins/EmbedTool"),
        .plugin(name: "EmbedThemes", capability: .buildTool(), dependencies: ["EmbedTool"]),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool(), dependencies: ["EmbedTool"]),
        .testTarget(name: "DnodeProtocolTests", dependencies: ["DnodeProtocol"]),
        .testTarget(
            name: "UpnodeTests",
            dependencies: [
                "Upnode", "UpnodeServe", "UpnodeTestSupport", "DnodeProtocol", "ProcessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "UpnodeMonitorTests", dependencies: ["UpnodeMonitor", "DnodeProtocol"]),
        .testTarget(
            name: "UpnodeMonitorEndpointTests",
            dependencies: [
                "UpnodeMonitorEndpoint", "UpnodeMonitor", "Upnode", "UpnodeServe", "DnodeProtocol",
                "ProcessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "NCursesBackendTests", dependencies: ["NCursesBackend", "TerminalUI", "CNCurses"]),
        .testTarget(
            name: "UpmonAppTests",
            dependencies: [
                "UpmonApp", "TerminalUI", "UpnodeMonitor", "UpnodeMonitorEndpoint", "DnodeProtocol",
            ],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "UpmonIntegrationTests",
            dependencies: [
                "UpmonApp", "TerminalUI", "UpnodeMonitor", "Upnode", "UpnodeServe", "DnodeProtocol",
                "ProcessTestSupport", "UpnodeTap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "UpmonEndToEndTests", dependencies: ["ProcessTestSupport"]),
        // Spawning the real binary, shared by the integration and end-to-end tests.
        .target(name: "ProcessTestSupport", path: "Tests/ProcessTestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
