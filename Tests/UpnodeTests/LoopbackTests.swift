import DnodeProtocol
import Foundation
import ProcessTestSupport
import Synchronization
import Testing
import UpnodeServe

@testable import Upnode

@Suite("Loopback: client and server on 127.0.0.1", .timeLimit(.minutes(1)))
struct LoopbackTests {
    @Test("add, echo with nested functions and cycles, fail, time")
    func basicCalls() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.json == [.int(5)])
        let joined = try await client.up { try await $0.request("add", [.string("a"), .int(1)]) }
        #expect(joined.json == [.string("a1")])
        let failure = try await client.up { try await $0.request("fail") }
        #expect(failure.json == [.object(["message": .string("boom")])])

        // Echo a cycle and a function; call the echoed function and get our own callback back.
        let called = Locked<[JSONValue]>([])
        let tree = DnodeValue.object([
            "name": .string("root"), "self": .cycle(levelsUp: 1),
            "fn": .function { args in called.withLock { $0 += args.map(\.json) } },
        ])
        let echoed = try await client.up { try await $0.request("echo", [tree, .string("é😀")]) }
        guard case .cycle(1)? = echoed.first?["self"],
            case .function(let function)? = echoed.first?["fn"]
        else {
            Issue.record("echo lost structure: \(echoed.json)")
            return
        }
        #expect(echoed.last?.stringValue == "é😀")
        try await client.up { remote in remote.invoke(function, [.int(42)]) }
        #expect(await eventually { called.withLock { $0 } == [.int(42)] })
    }

    @Test("subscribe streams callback invocations")
    func subscribe() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let ticks = Locked<[Int64]>([])
        try await client.up { remote in
            try remote.call(
                "subscribe",
                [
                    .function { args in
                        if case .int(let n)? = args.first { ticks.withLock { $0.append(n) } }
                    }, .int(10), .int(3),
                ])
        }
        #expect(await eventually { ticks.withLock { $0 } == [1, 2, 3] })
    }

    @Test("server stopped and restarted 5 times while calls queue: each ran exactly once, in order")
    func restartsKeepQueue() async throws {
        // A unix socket: its path is ours alone, so no parallel test can take it between restarts
        // (a freed TCP port can be handed to another test's port-0 bind).
        let endpoint = Endpoint.unix(path: try temporaryDirectory() + "/restart.sock")
        var server = try await serve(endpoint)
        let client = UpnodeClient(endpoint: endpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let log = EventLog(client)
        _ = try await client.up(timeout: upGuard) { try await $0.request("time") }
        let answers = Locked<[JSONValue]>([])
        let serveState = ServeMethods()
        for round in 0..<5 {
            await server.close()
            #expect(await eventually { await client.state != .up })
            // Queue calls while the server is gone.
            let tasks = (0..<10).map { index in
                Task {
                    let reply = try await client.up(timeout: upGuard) {
                        try await $0.request("mark", [.string("r\(round)-\(index)")])
                    }
                    answers.withLock { $0.append(.array(reply.json)) }
                }
            }
            try await Task.sleep(for: .milliseconds(20))
            server = try await serve(endpoint, methods: serveState)
            for task in tasks { try await task.value }
        }
        let all = answers.withLock { $0 }
        #expect(all.count == 50)
        #expect(all.allSatisfy { $0.arrayValue?.last == .int(1) }, "a mark was seen twice: \(all)")
        #expect(log.upCount >= 6)
        await server.close()
    }

    @Test("queued transactions flush in FIFO order after reconnect")
    func fifoAfterReconnect() async throws {
        let (endpoint, client) = try await clientWhoseServerWentAway()
        defer { client.close() }
        let order = Locked<[Int]>([])
        for _ in 0..<20 {
            client.whenUp(timeout: .seconds(20)) { remote in
                try? remote.call(
                    "mark",
                    [
                        .string("fifo"),
                        .function { args in
                            if case .int(let n)? = args.last {
                                order.withLock { $0.append(Int(n)) }
                            }
                        },
                    ])
            }
        }
        let server = try await serve(endpoint)
        #expect(await eventually { order.withLock { $0.count } == 20 })
        #expect(order.withLock { $0 } == Array(1...20), "server saw the queued calls in order")
        await server.close()
    }

    @Test("transactions issued while the queue drains after a reconnect never overtake queued ones")
    func noOvertakingWhileDraining() async throws {
        let (endpoint, client) = try await clientWhoseServerWentAway()
        defer { client.close() }
        // issue index → the server's running count for the tag (its execution order)
        let ran = Locked<[Int: Int]>([:])
        func issue(_ index: Int) {
            client.whenUp(timeout: .seconds(20)) { remote in
                try? remote.call(
                    "mark",
                    [
                        .string("drain"),
                        .function { args in
                            if case .int(let n)? = args.last { ran.withLock { $0[index] = Int(n) } }
                        },
                    ])
            }
        }
        for index in 0..<20 { issue(index) }
        let server = try await serve(endpoint)
        // Keep issuing across the reconnect and the drain: early ones queue, later ones may
        // take the fast path once the queue is empty; either way the order must hold.
        for index in 20..<80 {
            issue(index)
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await eventually { ran.withLock { $0.count } == 80 })
        let order = ran.withLock { $0 }
        #expect(
            (0..<80).map { order[$0] } == (1...80).map { $0 },
            "the server ran the calls in issue order")
        await server.close()
    }

    @Test("a closed connection is freed: its exported functions do not keep it alive")
    func closedConnectionIsFreed() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let weak = try await Self.weakConnection(of: client)
        client.reconnectNow()
        // The new link is up, and nothing holds the old connection any more.
        #expect(
            await eventually { (try? await Self.weakConnection(of: client))?.value !== weak.value })
        #expect(
            await eventually { weak.value == nil },
            "the old DnodeConnection was never freed (a retain cycle)")
        await server.close()
    }

    final class WeakConnection: @unchecked Sendable {
        // Written once before it is shared; `weak` loads are atomic in Swift.
        weak var value: DnodeConnection?
        init(_ value: DnodeConnection) { self.value = value }
    }

    static func weakConnection(of client: UpnodeClient) async throws -> WeakConnection {
        let handle = try await client.up(timeout: upGuard) { $0.handle }
        return try await handle.eventLoop.submit { WeakConnection(handle.connection.value) }.get()
    }

    @Test("a task that prefers the client's taskExecutor runs on the link's event loop")
    func taskExecutorRunsOnTheLoop() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let onLoop = try await withTaskExecutorPreference(client.taskExecutor) {
            try await client.up(timeout: upGuard) { remote in
                let sum = try await remote.request("add", [.int(2), .int(3)])
                return (sum.json, client.eventLoop.inEventLoop)
            }
        }
        #expect(onLoop.0 == [.int(5)])
        #expect(onLoop.1, "the body resumed on the link's event loop")
        await server.close()
    }

    @Test("a call in flight when the link dies fails with linkLost")
    func inFlightFails() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let slow = Task {
            try await client.up(timeout: upGuard) {
                try await $0.request("slow", [.int(600_000)])
            }
        }
        #expect(await eventually { (try? await tables(of: client).pendingRequests) == 1 })
        await server.close()
        await #expect(throws: UpnodeError.linkLost(method: "slow")) { try await slow.value }
    }

    @Test("up times out while the server is unreachable; close fails the rest")
    func timeoutAndClose() async throws {
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: 1), configuration: testConfiguration())
        client.start()
        await #expect(throws: UpnodeError.queueTimeout(.milliseconds(200))) {
            try await client.up(timeout: .milliseconds(200)) { _ in 1 }
        }
        let waiting = Task { try await client.up { _ in 1 } }
        try await Task.sleep(for: .milliseconds(50))
        client.close()
        await #expect(throws: UpnodeError.closed) { try await waiting.value }
    }

    @Test("auth accepted: the link goes up with the session object; denied: never up")
    func auth() async throws {
        var options = ServeMethods.Options()
        options.credentials = ("moo", "hax")
        options.authOnly = true
        let server = try await serve(options: options)
        let good = UpnodeClient(endpoint: server.boundEndpoint, configuration: testConfiguration())
        { remote in
            let reply = try await remote.request("auth", [.string("moo"), .string("hax")])
            guard reply.first?.isNull == true, let session = reply.dropFirst().first else {
                throw UpnodeError.remote(reply.first?.json ?? .null)
            }
            return remote.object(session)
        }
        good.start()
        defer { good.close() }
        let beep = try await good.up(timeout: .seconds(30)) { remote in
            try await remote.request("beep")
        }
        #expect(beep.json == [.string("boop")])
        let whoami = try await good.up { try await $0.request("whoami") }
        #expect(whoami.json == [.string("moo")])

        let bad = UpnodeClient(endpoint: server.boundEndpoint, configuration: testConfiguration()) {
            remote in
            let reply = try await remote.request("auth", [.string("moo"), .string("nope")])
            guard reply.first?.isNull == true, let session = reply.dropFirst().first else {
                throw UpnodeError.remote(reply.first?.json ?? .null)
            }
            return remote.object(session)
        }
        let log = EventLog(bad)
        bad.start()
        defer { bad.close() }
        await #expect(throws: UpnodeError.queueTimeout(.milliseconds(500))) {
            try await bad.up(timeout: .milliseconds(500)) { _ in 1 }
        }
        // The refusal can land after the 500 ms queue timeout on a loaded machine: wait for it.
        #expect(await eventually { log.reasons(to: .down).contains { $0.code == "auth_failed" } })
        #expect(log.upCount == 0)
    }

    @Test("unix socket")
    func unixSocket() async throws {
        let directory = try temporaryDirectory()
        let server = try await serve(.unix(path: directory + "/s.sock"))
        let client = UpnodeClient(
            endpoint: .unix(path: directory + "/s.sock"), configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(40), .int(2)])
        }
        #expect(sum.json == [.int(42)])
        await server.close()
    }

    @Test("heartbeat: the client pings and reports round-trip times")
    func heartbeat() async throws {
        let server = try await serve()
        var configuration = testConfiguration()
        configuration.pingInterval = .milliseconds(50)
        let client = UpnodeClient(endpoint: server.boundEndpoint, configuration: configuration)
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        #expect(await eventually { log.pings >= 3 })
        await server.close()
    }

    @Test("a garbage client and an oversize line do not disturb other clients")
    func isolation() async throws {
        var serverOptions = UpnodeServer.Options()
        serverOptions.maxLineBytes = 1024
        let server = try await serve(serverOptions: serverOptions)
        guard case .tcp(_, let port) = server.boundEndpoint else { return }
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        defer { client.close() }
        _ = try await client.up(timeout: upGuard) { try await $0.request("time") }

        let (garbage, garbageReader) = try await RawClient.connect(port: port)
        try await garbage.send(
            "{\"method\":\"methods\",\"arguments\":[{}]}\nnot json\n\u{0}\u{1}{[[[\nnull\n[1,2]\n{\"method\":99}\n"
        )
        let (oversize, oversizeReader) = try await RawClient.connect(port: port)
        try await oversize.send(String(repeating: "x", count: 5000))
        #expect(await eventually { oversizeReader.isClosed })
        let sum = try await client.up { try await $0.request("add", [.int(1), .int(1)]) }
        #expect(sum.json == [.int(2)])
        #expect(!garbageReader.isClosed, "bad lines are reported, not fatal")
        try await garbage.send(
            "{\"method\":1,\"arguments\":[2,3,\"[Function]\"],\"callbacks\":{\"0\":[\"2\"]}}\n")
        #expect(await eventually { garbageReader.text.contains("\"arguments\":[5]") })
        try await garbage.channel.close()
        await server.close()
    }

    @Test(
        "TLS with a self-signed certificate made in the test; a wrong trust root or host name is refused",
        .enabled(if: TestCertificate.isAvailable))
    func tls() async throws {
        let directory = try temporaryDirectory()
        for name in ["good", "other"] { try TestCertificate.make(name, in: directory) }
        var serverOptions = UpnodeServer.Options()
        serverOptions.tls = ServerTLSOptions(
            certificateFile: "\(directory)/good.pem", privateKeyFile: "\(directory)/good.key")
        let server = try await serve(.tcp(host: "127.0.0.1", port: 0), serverOptions: serverOptions)
        guard case .tls(_, let port) = server.boundEndpoint else { return }
        let client = UpnodeClient(
            endpoint: .tls(host: "localhost", port: port), configuration: testConfiguration(),
            tls: TLSOptions(trustRootsFile: "\(directory)/good.pem"))
        client.start()
        defer { client.close() }
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(1), .int(2)])
        }
        #expect(sum.json == [.int(3)])

        let wrong = UpnodeClient(
            endpoint: .tls(host: "localhost", port: port), configuration: testConfiguration(),
            tls: TLSOptions(trustRootsFile: "\(directory)/other.pem"))
        let log = EventLog(wrong)
        wrong.start()
        defer { wrong.close() }
        await #expect(throws: UpnodeError.queueTimeout(.milliseconds(500))) {
            try await wrong.up(timeout: .milliseconds(500)) { _ in 1 }
        }
        #expect(await eventually { log.reasons(to: .down).contains { $0.code == "tls_error" } })
        #expect(log.upCount == 0)

        // The right CA but a name the certificate does not carry: refused too.
        let misnamed = UpnodeClient(
            endpoint: .tls(host: "127.0.0.1", port: port), configuration: testConfiguration(),
            tls: TLSOptions(trustRootsFile: "\(directory)/good.pem", serverName: "wrong.example"))
        let misnamedLog = EventLog(misnamed)
        misnamed.start()
        defer { misnamed.close() }
        await #expect(throws: UpnodeError.queueTimeout(.milliseconds(500))) {
            try await misnamed.up(timeout: .milliseconds(500)) { _ in 1 }
        }
        #expect(misnamedLog.upCount == 0)
        await server.close()
    }
}
