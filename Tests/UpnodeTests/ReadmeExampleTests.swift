import DnodeProtocol
import Testing
import Upnode

/// The README's library example, compiled and run (port 0 instead of 7000).
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
        let sum = try await client.up(timeout: .seconds(5)) { remote in
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
}
