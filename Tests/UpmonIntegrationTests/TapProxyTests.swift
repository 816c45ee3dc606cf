import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ProcessTestSupport
import Synchronization
import Testing
import UpmonApp
import Upnode
import UpnodeMonitor
import UpnodeServe
import UpnodeTap

/// `upmon tap`'s proxy in process: real sockets on loopback, a collecting sink.
@Suite("Tap proxy", .timeLimit(.minutes(2)))
struct TapProxyTests {
    @Test("bytes pass unchanged both ways: a malformed line, CRLF and 1 MiB lines included")
    func transparency() async throws {
        let big = String(repeating: "x", count: 1 << 20)
        let clientScript: [[UInt8]] = [
            Array(
                #"{"method":"methods","arguments":[{"ping":"[Function]"}],"callbacks":{"0":["0","ping"]},"links":[]}"#
                    .utf8) + [0x0A],
            Array(
                #"{"method":0,"arguments":["\#(big)","[Function]"],"callbacks":{"1":["1"]},"links":[]}"#
                    .utf8) + [0x0A],
            Array("this is {not json\n".utf8),
            Array(#"  {"method":1,"arguments":[2,3,"[Function]"],"callbacks":{"2":["2"]}}"#.utf8)
                + [0x0D, 0x0A],
            [0xC3],  // a UTF-8 character cut in two writes
            [0xA9, 0x0A],
        ]
        let serverScript: [[UInt8]] = [
            Array(
                #"{"method":"methods","arguments":[{"echo":"[Function]","add":"[Function]"}],"callbacks":{"0":["0","echo"],"1":["0","add"]},"links":[]}"#
                    .utf8) + [0x0A],
            Array(#"{"method":1,"arguments":["\#(big)"],"callbacks":{},"links":[]}"#.utf8) + [0x0A],
            Array(#"{"method":2,"arguments":[5],"callbacks":{},"links":[]}"#.utf8) + [0x0A],
        ]
        let sink = CollectingSink()
        // As real peers do: the server sends its methods at once, the client calls once it has
        // them, and the server answers once the calls are through.
        let server = try await ScriptedServer.start(
            greeting: [serverScript[0]], script: Array(serverScript.dropFirst()),
            after: clientScript.reduce(0) { $0 + $1.count })
        let tap = try await TapServer.start(
            route(target: server.endpoint), sink: sink.sink)
        let client = try await ScriptedClient.connect(
            to: tap.boundEndpoint, script: clientScript, after: serverScript[0].count)
        let (clientReceived, serverReceived) = (
            try await bytes(client.received), try await bytes(server.received)
        )
        let (clientSent, serverSent) = (clientScript.flatMap { $0 }, serverScript.flatMap { $0 })
        #expect(
            serverReceived == clientSent,
            "the server got \(serverReceived.count) of \(clientSent.count) bytes")
        #expect(
            clientReceived == serverSent,
            "the client got \(clientReceived.count) of \(serverSent.count) bytes")
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })
        let events = sink.events
        #expect(events.contains { $0.noteText?.contains("malformed line from the client") == true })
        let calls = events.compactMap(\.tapSummary)
        #expect(calls.contains("call echo"))
        #expect(calls.contains("result echo ok"))
        #expect(calls.contains("result add ok"))
        let traffic = events.compactMap { event -> Int? in
            if case .tap(.traffic(let c2s, _, _, _)) = event.kind { c2s } else { nil }
        }
        #expect(traffic.last == clientScript.reduce(0) { $0 + $1.count })
        await tap.close()
        try await server.close()
    }

    @Test("statistics match the calls made, call by call (own client and server)")
    func statisticsCallByCall() async throws {
        var serverOptions = UpnodeServer.Options()
        serverOptions.pingInterval = .seconds(3600)
        let upstream = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), options: serverOptions,
            methods: ServeMethods().factory)
        let sink = CollectingSink()
        let tap = try await TapServer.start(
            route(target: upstream.boundEndpoint), sink: sink.sink)
        var configuration = LinkConfiguration()
        configuration.pingInterval = .zero
        let client = UpnodeClient(endpoint: tap.boundEndpoint, configuration: configuration)
        client.start()
        for index in 0..<10 {
            let sum = try await client.up {
                try await $0.request("add", [.int(Int64(index)), .int(1)])
            }
            #expect(sum.first?.json == .int(Int64(index + 1)))
        }
        for _ in 0..<3 {
            let failed = try await client.up { try await $0.request("fail") }
            #expect(failed.first?.json["message"] == "boom")
        }
        let ticks = Mutex(0)
        let allTicks = Locked(false)
        try await client.up { remote in
            try remote.call(
                "subscribe",
                [
                    .function { _ in
                        if ticks.withLock({ count in
                            count += 1
                            return count
                        }) == 3 {
                            allTicks.withLock { $0 = true }
                        }
                    }, .int(5), .int(3),
                ])
        }
        #expect(await sink.eventually { _ in allTicks.value })
        try await client.up { remote in
            try remote.call("slow", [.int(600_000), .function { _ in }])
        }
        #expect(await sink.eventually { $0.contains { $0.tapSummary == "call slow" } })
        client.close()
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })

        let state = sink.state(routes: [route(target: upstream.boundEndpoint)])
        let tapped = try #require(state["c1.1"]?.tap)
        func method(_ name: String) -> TapConnectionStats.MethodStats? {
            tapped.methods[.init(caller: .client, method: name)]
        }
        #expect(method("add")?.calls == 10)
        #expect(method("add")?.answered == 10)
        #expect(method("add")?.errors == 0)
        #expect(method("fail")?.calls == 3)
        #expect(method("fail")?.errors == 3)
        #expect(method("subscribe")?.calls == 1)
        #expect(method("subscribe")?.answered == 1)
        #expect(method("subscribe")?.streamed == 2)
        #expect(method("slow")?.calls == 1)
        #expect(method("slow")?.unanswered == 1)
        #expect(tapped.inFlight == 0)
        #expect(tapped.calls == 15)
        #expect(state["c1.1"]?.calls.ok == 11)
        #expect(state["c1.1"]?.calls.err == 3)
        #expect(
            sink.events.contains {
                if case .tap(.unanswered(_, "slow", _, _, "closed")) = $0.kind {
                    true
                } else {
                    false
                }
            })
        await tap.close()
        await upstream.close()
    }

    @Test("heartbeat, auth and a reconnect of our own client through the tap")
    func clientThroughTap() async throws {
        var methodsOptions = ServeMethods.Options()
        methodsOptions.credentials = ("moo", "hax")
        let upstream = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0),
            methods: ServeMethods(options: methodsOptions).factory)
        let sink = CollectingSink()
        let tap = try await TapServer.start(route(target: upstream.boundEndpoint), sink: sink.sink)
        var configuration = LinkConfiguration()
        configuration.pingInterval = .milliseconds(100)
        configuration.reconnect = .fixed(.milliseconds(20))
        let pings = Locked(0)
        let client = UpnodeClient(
            endpoint: tap.boundEndpoint, configuration: configuration,
            onConnect: { remote in
                let reply = try await remote.request("auth", [.string("moo"), .string("hax")])
                guard reply.first?.isNull == true, let session = reply.dropFirst().first else {
                    throw CancellationError()
                }
                return remote.object(session)
            })
        client.addEventHandler { event in
            if case .ping = event { pings.withLock { $0 += 1 } }
        }
        client.start()
        let who = try await client.up { try await $0.request("whoami") }
        #expect(who.first?.json == "moo")
        #expect(await sink.eventually { _ in pings.value >= 2 })
        client.reconnectNow()
        #expect(await sink.eventually { $0.contains { $0.conn == "c1.2" && $0.isState(to: .up) } })
        // Under load a heartbeat can time the new link out once; the call then waits for the
        // next connection, as an application's would.
        var again: [DnodeValue] = []
        for _ in 0..<3 {
            guard
                let answer = try? await client.up(
                    timeout: .seconds(30), { try await $0.request("whoami") })
            else { continue }
            again = answer
            break
        }
        #expect(again.first?.json == "moo")
        client.close()
        #expect(
            await sink.eventually { events in
                events.filter { $0.isState(to: .closed) }.count >= 2
            })
        // Summed over the tapped connections: a loaded machine may add a connection that a
        // timeout ended before auth.
        let state = sink.state(routes: [route(target: upstream.boundEndpoint)])
        let tapped = state.connections.compactMap(\.tap)
        #expect(tapped.count >= 2)
        func total(_ method: String, _ value: (TapConnectionStats.MethodStats) -> Int) -> Int {
            tapped.reduce(0) {
                $0 + ($1.methods[.init(caller: .client, method: method)].map(value) ?? 0)
            }
        }
        #expect(total("auth") { $0.calls } >= 2)
        #expect(total("auth") { $0.errors } == 0)
        #expect(total("ping") { $0.answered } >= 2)
        #expect(total("whoami") { $0.answered } >= 2)
        // Every tapped connection that authenticated did so once.
        #expect(
            tapped.allSatisfy {
                ($0.methods[.init(caller: .client, method: "auth")]?.calls ?? 0) <= 1
            })
        await tap.close()
        await upstream.close()
    }

    @Test("a target that refuses: the client's connection is closed and reported, the tap goes on")
    func refusedTarget() async throws {
        let missing = Endpoint.unix(
            path: NSTemporaryDirectory() + "upmon-tap-nobody-\(UUID().uuidString.prefix(8)).sock")
        let sink = CollectingSink()
        let tap = try await TapServer.start(route(target: missing), sink: sink.sink)
        for _ in 0..<2 {
            let client = try await ScriptedClient.connect(
                to: tap.boundEndpoint, script: [Array("{}\n".utf8)])
            // The tap closes the client: what it received is nothing.
            #expect(try await bytes(client.received) == [])
        }
        #expect(
            await sink.eventually { events in
                events.filter { $0.isState(to: .down) }.count == 2
            })
        let state = sink.state(routes: [route(target: missing)])
        #expect(state["c1.1"]?.downReason == LinkReasonName.refused)
        #expect(state["c1"]?.state == .up)
        await tap.close()
    }

    @Test("a client that vanishes mid-line is reported; a line over the cap stops decoding only")
    func badInput() async throws {
        let server = try await ScriptedServer.start(script: [])
        let sink = CollectingSink()
        var options = TapOptions()
        options.maxLineBytes = 1024
        let tap = try await TapServer.start(
            route(target: server.endpoint), options: options, sink: sink.sink)
        let long = Array(repeating: UInt8(ascii: "a"), count: 4096) + [0x0A]
        let after = Array("garbage that would be reported if it were decoded".utf8)
        let script = [long, after + [0x0A], Array(#"{"method":1,"argu"#.utf8)]
        let client = try await ScriptedClient.connect(to: tap.boundEndpoint, script: script)
        _ = try await bytes(client.received)
        let received = try await bytes(server.received)
        let expected = script.flatMap { $0 }
        #expect(
            received == expected, "the server got \(received.count) of \(expected.count) bytes")
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })
        let notes = sink.events.compactMap(\.noteText)
        #expect(notes.contains { $0.contains("the client sent a line over 1 KiB") })
        // Decoding that way stopped: the garbage line after the long one was not decoded, nor
        // was the unfinished line.
        #expect(!notes.contains { $0.contains("malformed") })
        #expect(!notes.contains { $0.contains("middle of a line") })
        await tap.close()
        try await server.close()

        // Same without the cap: the unfinished line is reported.
        let server2 = try await ScriptedServer.start(script: [])
        let sink2 = CollectingSink()
        let tap2 = try await TapServer.start(route(target: server2.endpoint), sink: sink2.sink)
        let client2 = try await ScriptedClient.connect(
            to: tap2.boundEndpoint, script: [Array(#"{"method":1,"argu"#.utf8)])
        _ = try await bytes(client2.received)
        #expect(await sink2.eventually { $0.contains { $0.isState(to: .closed) } })
        #expect(
            sink2.events.compactMap(\.noteText).contains {
                $0.contains("the client ended in the middle of a line (17 bytes")
            })
        await tap2.close()
        try await server2.close()
    }

    func route(target: Endpoint) -> TapRoute {
        TapRoute(id: "c1", name: "tap", listen: .tcp(host: "127.0.0.1", port: 0), target: target)
    }
}

// MARK: Helpers

/// Collects what a tap emits, stamped by a test clock.
final class CollectingSink: Sendable {
    let collected = Mutex<[MonitorEvent]>([])
    let origin = ContinuousClock.now

    var sink: TapSink {
        TapSink(
            emit: { [self] kind, conn in
                let t = now()
                collected.withLock { $0.append(MonitorEvent(t: t, conn: conn, kind: kind)) }
            }, now: { [self] in now() })
    }

    func now() -> Double { (ContinuousClock.now - origin).inSeconds }

    var events: [MonitorEvent] { collected.withLock { $0 } }

    /// Waits (as a hang guard, not a timing assertion) until `condition` holds.
    func eventually(_ condition: @Sendable ([MonitorEvent]) -> Bool) async -> Bool {
        await ProcessTestSupport.eventually(timeout: .seconds(30)) { condition(events) }
    }

    /// The monitor state these events make.
    func state(routes: [TapRoute]) -> MonitorState {
        var state = MonitorState(connections: routes.map(\.info))
        for event in events { state.apply(event) }
        return state
    }
}

extension MonitorEvent {
    func isState(to target: LinkStateName) -> Bool {
        if case .state(_, let to, _, _, _) = kind { to == target } else { false }
    }

    var noteText: String? {
        if case .note(_, let text) = kind { text } else { nil }
    }

    var tapSummary: String? {
        switch kind {
        case .tap(.call(_, let method, _, _, _)): "call \(method)"
        case .tap(.result(_, let method, _, _, let ok, _, _, _)):
            "result \(method) \(ok ? "ok" : "error")"
        default: nil
        }
    }
}

/// Reads everything until the peer's FIN, then says so; a server's collector plays its reply
/// once `replyAfter` bytes came in (so answers follow their calls through the tap).
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Mutex<[UInt8]>([])
    let done: EventLoopPromise<[UInt8]>
    let greeting: [[UInt8]]
    let reply: Mutex<[[UInt8]]?>
    let replyAfter: Int
    /// Replies when the peer's end (FIN) comes, instead of after `replyAfter` bytes.
    let replyOnEnd: Bool
    /// TLS under it: it starts once the handshake completed, not when the channel is active
    /// (a half-close before the handshake would go out before the TLS hello).
    let waitsForHandshake: Bool

    init(
        done: EventLoopPromise<[UInt8]>, greeting: [[UInt8]] = [], reply: [[UInt8]]? = nil,
        replyAfter: Int = 0, replyOnEnd: Bool = false, waitsForHandshake: Bool = false
    ) {
        self.done = done
        self.greeting = greeting
        self.reply = Mutex(reply)
        self.replyAfter = replyOnEnd ? Int.max : replyAfter
        self.replyOnEnd = replyOnEnd
        self.waitsForHandshake = waitsForHandshake
    }

    func channelActive(context: ChannelHandlerContext) {
        if !waitsForHandshake { begin(context.channel) }
        context.fireChannelActive()
    }

    private func begin(_ channel: any Channel) {
        for chunk in greeting {
            channel.writeAndFlush(channel.allocator.buffer(bytes: chunk), promise: nil)
        }
        playIfDue(channel, received: 0)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let count = bytes.withLock { bytes in
            bytes += buffer.readableBytesView
            return bytes.count
        }
        playIfDue(context.channel, received: count)
    }

    private func playIfDue(_ channel: any Channel, received: Int) {
        guard received >= replyAfter, let script = reply.withLock({ $0.take() }) else { return }
        play(script, on: channel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            done.succeed(bytes.withLock { $0 })
            if replyOnEnd, let script = reply.withLock({ $0.take() }) {
                play(script, on: context.channel)
            }
        }
        if waitsForHandshake, let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            begin(context.channel)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(bytes.withLock { $0 })
    }
}

/// Writes `script` one chunk per write, then half-closes.
func play(_ script: [[UInt8]], on channel: any Channel) {
    for chunk in script {
        channel.writeAndFlush(channel.allocator.buffer(bytes: chunk), promise: nil)
    }
    channel.close(mode: .output, promise: nil)
}

/// One-connection server that plays a script and collects what it receives.
struct ScriptedServer {
    let channel: any Channel
    let endpoint: Endpoint
    let received: EventLoopFuture<[UInt8]>

    /// With `tls`, it serves TLS with that context.
    static func start(
        greeting: [[UInt8]] = [], script: [[UInt8]], after: Int = 0, onEnd: Bool = false,
        tls: NIOSSLContext? = nil
    ) async throws -> ScriptedServer {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel = try await ServerBootstrap(group: loop)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    if let tls {
                        try child.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(context: tls))
                    }
                    try child.pipeline.syncOperations.addHandler(
                        ByteCollector(
                            done: promise, greeting: greeting, reply: script, replyAfter: after,
                            replyOnEnd: onEnd, waitsForHandshake: tls != nil))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        return ScriptedServer(
            channel: channel, endpoint: .tcp(host: "127.0.0.1", port: port),
            received: promise.futureResult)
    }

    func close() async throws { try await channel.close() }
}

/// A client that plays a script and collects what it receives.
struct ScriptedClient {
    let received: EventLoopFuture<[UInt8]>

    /// With `tls`, it speaks TLS with that context, verifying the name `localhost`.
    static func connect(
        to endpoint: Endpoint, script: [[UInt8]], after: Int = 0, tls: NIOSSLContext? = nil
    ) async throws -> ScriptedClient {
        let host: String
        let port: Int
        switch endpoint {
        case .tcp(let name, let number), .tls(let name, let number): (host, port) = (name, number)
        default: throw CancellationError()
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteCollector(
                            done: promise, reply: script, replyAfter: after,
                            waitsForHandshake: tls != nil))
                }
            }
            .connect(host: host, port: port).get()
        return ScriptedClient(received: promise.futureResult)
    }
}

/// What a scripted peer received, or a failure after 30 s (a hang guard: a future that never
/// completes must fail the test, not hold the test process).
func bytes(_ future: EventLoopFuture<[UInt8]>) async throws -> [UInt8] {
    struct NoEnd: Error {}
    let loop = future.eventLoop
    let guarded = loop.makePromise(of: [UInt8].self)
    let timeout = loop.scheduleTask(in: .seconds(30)) { guarded.fail(NoEnd()) }
    future.whenComplete { result in
        timeout.cancel()
        guarded.completeWith(result)
    }
    return try await guarded.futureResult.get()
}
