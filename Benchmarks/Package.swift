// swift-tools-version: 6.2
// Benchmarks for upmon: run with `swift run -c release upmon-bench [case…]` (see ../BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "upmon-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "upmon", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "upmon-bench",
            dependencies: [
                .product(name: "DnodeProtocol", package: "upmon"),
                .product(name: "Upnode", package: "upmon"),
                .product(name: "UpnodeMonitor", package: "upmon"),
                .product(name: "TerminalUI", package: "upmon"),
                .product(name: "UpnodeTap", package: "upmon"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
