import DnodeProtocol
import NIOPosix
import Testing
import Upnode

/// The README's library example, compiled and run (port 0 instead of 7000, and `upGuard`
/// instead of 5 s, which a loaded CI run can exceed).
@Suite("README library example", .timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test("the client adds 2 and 3 on the server and sees the link's events")
    func example() async throws {
        // A server: methods receive arguments; callbacks are functions in them.
        let server = try await UpnodeServer.listen(.tcp(host: "127.0.0.1", port: 0)) { peer in
            [
                "add": .function { args in
                    guard args.count == 3, case .function(let cb) = args[2] else { return }
                    peer.invoke(
                        cb, [.double((args[0].doubleValue ?? 0) + (args[1].doubleValue ?? 0))])
                }
            ]
        }

        // A client: up() waits for the link (queued while down), runs once, in order.
        let client = UpnodeClient(endpoint: server.boundEndpoint)
        let events = client.events()
        client.start()
        let sum = try await client.up(timeout: upGuard) { remote in
            try await remote.request("add", [.int(2), .int(3)])
        }
        #expect(sum.count == 1 && sum.first?.doubleValue == 5)
        var sawUp = false
        for await event in events {
            if case .state(_, .up, _) = event {
                sawUp = true
                break
            }
        }
        #expect(sawUp)
        client.close()
        await server.close()
    }

    /// The README's "any stream" example, compiled (never run: it would take over stdin and
    /// stdout). Its pieces run in `GettingStartedTests` and `StreamEndpointTests`.
    static func anyStreamExample(myMethods: @escaping UpnodeServer.MethodsFactory) async throws
        -> (UpnodeClient, UpnodeClient)
    {
        let relay = ChannelFactory(name: "relay") { eventLoop in  // make it on this loop
            try await ClientBootstrap(group: eventLoop).connect(host: "10.0.0.5", port: 7000).get()
        }
        let viaRelay = UpnodeClient(endpoint: .channel(relay))
        let viaSSH = UpnodeClient(
            endpoint: try Endpoint(parsing: "exec:ssh bastion nc 10.0.0.5 7000"))

        let stdio = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .takingOwnershipOfDescriptors(input: 0, output: 1).get()
        try await UpnodeServer.serve(channel: stdio, methods: myMethods)  // inetd style
        return (viaRelay, viaSSH)
    }
}
