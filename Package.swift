// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "upmon",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DnodeProtocol", targets: ["DnodeProtocol"]),
        .library(name: "Upnode", targets: ["Upnode"]),
        .library(name: "UpnodeMonitor", targets: ["UpnodeMonitor"]),
        .library(name: "TerminalUI", targets: ["TerminalUI"]),
        .executable(name: "upmon", targets: ["upmon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
            ]
        ),
        .target(name: "TerminalUI"),
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
                "UpnodeMonitor", "Upnode", "UpnodeServe", "TerminalUI", "DnodeProtocol",
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
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "DnodeProtocolTests", dependencies: ["DnodeProtocol"]),
        .testTarget(
            name: "UpnodeTests",
            dependencies: [
                "Upnode", "UpnodeServe", "UpnodeTestSupport", "DnodeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "UpnodeMonitorTests", dependencies: ["UpnodeMonitor", "DnodeProtocol"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI"]),
        .testTarget(name: "NCursesBackendTests", dependencies: ["NCursesBackend", "TerminalUI", "CNCurses"]),
        .testTarget(
            name: "UpmonAppTests", dependencies: ["UpmonApp", "TerminalUI", "UpnodeMonitor", "DnodeProtocol"],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "UpmonIntegrationTests",
            dependencies: [
                "UpmonApp", "TerminalUI", "UpnodeMonitor", "Upnode", "UpnodeServe", "DnodeProtocol",
                "ProcessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "UpmonEndToEndTests", dependencies: ["ProcessTestSupport"]),
        // Spawning the real binary, shared by the integration and end-to-end tests.
        .target(name: "ProcessTestSupport", path: "Tests/ProcessTestSupport"),
    ],
    swiftLanguageModes: [.v6]
)
