import DnodeProtocol
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Testing
import Upnode

/// The DocC article's code (Sources/Upnode/Upnode.docc/GettingStarted.md), compiled and run;
/// a second test checks that every code block of the article is in this file, word for word.
@Suite("Getting started article", .timeLimit(.minutes(1)))
struct GettingStartedTests {
    @Test("the article's code runs: server, client, auth hook, TLS, cancellation, services")
    func article() async throws {
        let server = try await UpnodeServer.listen(.tcp(host: "127.0.0.1", port: 0)) { peer in
            [
                "add": .function { args in
                    guard args.count == 3, case .function(let cb) = args[2] else { return }
                    peer.invoke(
                        cb, [.double((args[0].doubleValue ?? 0) + (args[1].doubleValue ?? 0))])
                }
            ]
        }

        let client = UpnodeClient(endpoint: server.boundEndpoint)
        client.start()
        let sum = try await client.up(timeout: .seconds(5)) { remote in
            try await remote.request("add", [.int(2), .int(3)])
        }
        #expect(sum.first?.doubleValue == 5)

        let secured = UpnodeClient(endpoint: server.boundEndpoint) { remote in
            let reply = try await remote.request("auth", [.string("moo"), .string("hax")])
            guard reply.first?.isNull == true, let session = reply.dropFirst().first else {
                throw UpnodeError.remote(reply.first?.json ?? .null)
            }
            return remote.object(session)
        }
        #expect(await secured.state == .idle)

        let tlsClient = UpnodeClient(
            endpoint: .tls(host: "localhost", port: 7443),
            tls: TLSOptions(trustRootsFile: "/etc/upnode/ca.pem"))
        #expect(tlsClient.endpoint == .tls(host: "localhost", port: 7443))

        guard case .tcp(let host, let port) = server.boundEndpoint else { return }
        let relayed = UpnodeClient(
            endpoint: .channel(
                ChannelFactory(name: "relay") { eventLoop in
                    try await ClientBootstrap(group: eventLoop).connect(host: host, port: port)
                        .get()
                }))
        let viaSSH = UpnodeClient(
            endpoint: try Endpoint(parsing: "exec:ssh bastion nc 10.0.0.5 7000"))
        relayed.start()
        let relayedSum = try await relayed.up(timeout: .seconds(5)) { remote in
            try await remote.request("add", [.int(1), .int(1)])
        }
        #expect(relayedSum.first?.doubleValue == 2)
        relayed.close()
        #expect(viaSSH.endpoint == .exec(arguments: ["ssh", "bastion", "nc", "10.0.0.5", "7000"]))

        let waiting = Task {
            try await client.up { remote in try await remote.request("slow", [.int(60_000)]) }
        }
        waiting.cancel()
        // This server has no `slow`: cancelled at once or refused, it never hangs.
        await #expect(throws: (any Error).self) { try await waiting.value }

        var logger = Logger(label: "app.upnode")
        logger.logLevel = .info
        let observed = UpnodeClient(
            endpoint: server.boundEndpoint, name: "calc",
            telemetry: UpnodeTelemetry(logger: logger))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server), .init(service: observed)],
                gracefulShutdownSignals: [.sigterm], logger: logger))
        let running = Task { try await group.run() }
        let product = try await observed.up(timeout: .seconds(5)) { remote in
            try await remote.request("add", [.int(4), .int(5)])
        }
        #expect(product.first?.doubleValue == 9)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await observed.state == .closed)
        client.close()
    }

    @Test("every code block of the article is in this file")
    func articleMatchesThisFile() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent("Sources/Upnode/Upnode.docc/GettingStarted.md"),
            encoding: .utf8)
        let source = squeezed(try String(contentsOf: here, encoding: .utf8))
        let blocks = article.components(separatedBy: "```swift\n").dropFirst().map {
            $0.components(separatedBy: "```")[0]
        }
        #expect(blocks.count >= 7)
        for block in blocks {
            let compiled = source.contains(squeezed(block))
            #expect(compiled, "not compiled by this test:\n\(block)")
        }
    }

    private func squeezed(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
