import DnodeProtocol
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

@Suite("Large messages and the line limit", .timeLimit(.minutes(1)))
struct LargeMessageTests {
    @Test("1 MiB and 8 MiB strings echo through a server and a client with default settings")
    func defaultLimitCarriesLargeMessages() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        for size in [1 << 20, 8 << 20] {
            let text = String(repeating: "x", count: size)
            let echoed = try await client.up(timeout: upGuard) {
                try await $0.request("echo", [.string(text)])
            }
            #expect(echoed.first?.stringValue == text, "\(size) bytes")
        }
        #expect(await client.state == .up)
        await server.close()
    }

    @Test("a line over the server's limit resets that client only; the reason names the limit")
    func overServerLimit() async throws {
        var serverOptions = UpnodeServer.Options()
        serverOptions.maxLineBytes = 64 << 10
        let notices = Locked<[String]>([])
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), options: serverOptions,
            onNotice: { notice in
                if case .disconnected(_, let reason) = notice {
                    notices.withLock { $0.append(reason.description) }
                }
            }, methods: ServeMethods().factory)
        let bystander = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        let sender = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        bystander.start()
        sender.start()
        defer {
            bystander.close()
            sender.close()
        }
        _ = try await bystander.up(timeout: upGuard) { try await $0.request("time") }
        let big = String(repeating: "x", count: 100 << 10)
        await #expect(throws: UpnodeError.linkLost(method: "echo")) {
            try await sender.up(timeout: upGuard) {
                try await $0.request("echo", [.string(big)])
            }
        }
        #expect(
            await eventually {
                notices.value.contains(
                    "frame_too_long: the peer sent a line over the 64 KiB limit (raise maxLineBytes)"
                )
            })
        let sum = try await bystander.up { try await $0.request("add", [.int(2), .int(3)]) }
        #expect(sum.json == [.int(5)])
        await server.close()
    }

    @Test("a reply over the client's limit takes the link down with frame_too_long(limit)")
    func overClientLimit() async throws {
        let server = try await serve()
        var configuration = testConfiguration()
        configuration.maxLineBytes = 4 << 10
        configuration.reconnect = .never
        let client = UpnodeClient(endpoint: server.boundEndpoint, configuration: configuration)
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        let big = String(repeating: "y", count: 3 << 10)
        // The limit is on what the client receives: the 6 KiB echo is over it.
        await #expect(throws: UpnodeError.linkLost(method: "echo")) {
            try await client.up(timeout: upGuard) {
                try await $0.request("echo", [.string(big), .string(big)])
            }
        }
        #expect(await eventually { log.reasons(to: .down).contains(.frameTooLong(limit: 4 << 10)) })
        await server.close()
    }
}
