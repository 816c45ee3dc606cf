import DnodeProtocol
import NIOCore
import NIOEmbedded
import NIOPosix
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

/// Stands in for NIO's write buffer at the head of an `EmbeddedChannel`: counts the bytes
/// written and not yet taken by the "peer", flips the channel unwritable above `high` (as NIO
/// does, on write) and counts the `read()` calls that reach the socket.
final class FakeWriteBuffer: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    let high: Int
    var pending = 0
    var reads = 0

    init(high: Int) { self.high = high }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pending += unwrapOutboundIn(data).readableBytes
        context.write(data, promise: promise)
        if pending > high, let channel = context.channel as? EmbeddedChannel, channel.isWritable {
            channel.isWritable = false
            context.fireChannelWritabilityChanged()
        }
    }

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    /// The peer read everything: below the low-water mark again.
    func drained(_ channel: EmbeddedChannel) {
        pending = 0
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.run()
    }
}

@Suite("Backpressure", .timeLimit(.minutes(1)))
struct BackpressureTests {
    /// A server-side connection exporting `echo(...args, cb) → cb(...args)` (callback id 0).
    func makeEchoChannel(high: Int) throws -> (EmbeddedChannel, FakeWriteBuffer, DnodeConnection) {
        let connection = DnodeConnection(
            session: DnodeSession(sessionID: 1, instance: .object([:])), maxLineBytes: 1 << 20
        ) { _ in }
        let channel = EmbeddedChannel()
        let handle = ConnectionHandle(connection: connection, channel: channel)
        let echo = DnodeValue.function(label: "echo") { arguments in
            guard case .function(let callback)? = arguments.last else { return }
            handle.onLoop { try? $0.send(callback, arguments: Array(arguments.dropLast())) }
        }
        connection.session = DnodeSession(sessionID: 1, instance: .object(["echo": echo]))
        let buffer = FakeWriteBuffer(high: high)
        try channel.pipeline.syncOperations.addHandler(buffer)
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, buffer, connection)
    }

    /// `count` echo requests with arguments `first…`, each padded to about `pad` bytes.
    func requests(_ first: Int, count: Int, pad: Int = 100) -> String {
        let padding = String(repeating: "x", count: pad)
        return (first..<first + count).map { i in
            #"{"method":0,"arguments":[\#(i),"\#(padding)","[Function]"],"callbacks":{"\#(i + 1)":["2"]},"links":[]}"#
                + "\n"
        }.joined()
    }

    /// The numbers echoed back, in the order written (the methods line is skipped).
    func echoed(_ channel: EmbeddedChannel) throws -> [Int] {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard let message = try? JSONValue(parsing: String(line)),
                case .int(let n)? = message["arguments"]?.arrayValue?.first
            else { return nil }
            return Int(n)
        }
    }

    @Test("a burst of lines stops at the high-water mark; the rest is handled after it drains")
    func burstStopsAndResumes() throws {
        // Each reply is ~170 bytes: the channel turns unwritable during the 6th reply.
        let (channel, buffer, connection) = try makeEchoChannel(high: 900)
        _ = try echoed(channel)
        buffer.pending = 0
        try channel.writeInbound(channel.allocator.buffer(string: requests(0, count: 50)))
        var seen = try echoed(channel)
        #expect(!channel.isWritable && connection.isPaused)
        #expect(seen.count < 50 && seen == Array(0..<seen.count))

        // Reading stops: autoRead's read() does not reach the socket while paused.
        let readsBefore = buffer.reads
        channel.read()
        #expect(buffer.reads == readsBefore)

        // More bytes arriving meanwhile are buffered, not handled.
        try channel.writeInbound(channel.allocator.buffer(string: requests(50, count: 10)))
        #expect(try echoed(channel).isEmpty)

        // Each drain lets another batch through, in order, until all 60 are answered.
        var rounds = 0
        while seen.count < 60 && rounds < 60 {
            rounds += 1
            buffer.drained(channel)
            seen += try echoed(channel)
        }
        buffer.drained(channel)  // the last batch may have ended above the mark again
        #expect(seen == Array(0..<60))
        #expect(!connection.isPaused && channel.isWritable)
        // The withheld read is passed on once everything buffered is handled.
        #expect(buffer.reads == readsBefore + 1)
        #expect(connection.framer.unfinishedBytes == 0)
        _ = try channel.finish()
    }

    @Test("reading goes on while the channel is writable")
    func readsWhileWritable() throws {
        let (channel, buffer, _) = try makeEchoChannel(high: 1 << 20)
        try channel.writeInbound(channel.allocator.buffer(string: requests(0, count: 20)))
        #expect(try echoed(channel) == Array(0..<20))
        channel.read()
        #expect(buffer.reads == 1)
        _ = try channel.finish()
    }

    @Test("closing drops what was buffered while paused")
    func closeDropsBuffered() throws {
        let (channel, buffer, connection) = try makeEchoChannel(high: 300)
        _ = try echoed(channel)
        buffer.pending = 0
        try channel.writeInbound(channel.allocator.buffer(string: requests(0, count: 20)))
        #expect(connection.isPaused && connection.framer.unfinishedBytes > 0)
        _ = try channel.finish()
        #expect(connection.framer.unfinishedBytes == 0)
    }

    @Test("the link queue holds transactions while the connection is unwritable")
    func machineQueuesWhileUnwritable() {
        var machine = LinkStateMachine(configuration: LinkConfiguration())
        _ = machine.handle(.start, now: .zero)
        _ = machine.handle(.dialed(generation: 1), now: .zero)
        _ = machine.handle(
            .remoteReady(generation: 1, methods: ["echo"], hasPing: false, needsAuth: false),
            now: .zero)
        #expect(machine.state == .up)
        _ = machine.handle(.writability(generation: 1, isWritable: false), now: .zero)
        let queued = machine.handle(.enqueue(transaction: 1, timeout: nil), now: .zero)
        #expect(!queued.contains(.runTransaction(1, generation: 1)))
        #expect(machine.queuedTransactions == [1])
        // A stale generation changes nothing.
        _ = machine.handle(.writability(generation: 0, isWritable: true), now: .zero)
        #expect(machine.queuedTransactions == [1])
        let resumed = machine.handle(.writability(generation: 1, isWritable: true), now: .zero)
        #expect(resumed.contains(.runTransaction(1, generation: 1)))
        #expect(machine.queuedTransactions.isEmpty)
    }
}

/// The same over loopback, with real peers that stop reading.
@Suite("Backpressure over loopback", .timeLimit(.minutes(2)))
struct BackpressureLoopbackTests {
    @Test(
        "a client that never reads: others are answered meanwhile, and it gets every reply in order once it reads"
    )
    func serverFacingSilentReader() async throws {
        var serverOptions = UpnodeServer.Options()
        serverOptions.outboundHighWater = 64 << 10
        serverOptions.outboundLowWater = 16 << 10
        let server = try await serve(serverOptions: serverOptions)
        guard case .tcp(_, let port) = server.boundEndpoint else { return }

        let collector = LineCounter()
        let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // 1,000 echoes of ~4 KB (4 MB of replies): far beyond the high-water mark.
        let count = 1_000
        let padding = String(repeating: "y", count: 4_000)
        let requests = (0..<count).map { i in
            #"{"method":0,"arguments":[\#(i),"\#(padding)","[Function]"],"callbacks":{"\#(i + 1)":["2"]},"links":[]}"#
                + "\n"
        }.joined()
        silent.writeAndFlush(silent.allocator.buffer(string: requests), promise: nil)
        // The server stops reading from it once 64 KB of replies wait.
        #expect(
            await eventually(timeout: .seconds(60)) {
                let channels = server.registry.channels.withLock { Array($0.values) }
                for channel in channels {
                    let paused = try? await channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.handler(type: DnodeConnection.self)
                            .isPaused
                    }.get()
                    if paused == true { return true }
                }
                return false
            })

        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        for i in 0..<20 {
            let answer = try await client.up(timeout: upGuard) {
                try await $0.request("echo", [.int(Int64(i))])
            }
            #expect(answer.json == [.int(Int64(i))])
        }
        await client.close()

        try await silent.setOption(.autoRead, value: true).get()
        silent.read()
        let arrived = await eventually(timeout: .seconds(60)) {
            collector.lines.withLock { $0 } >= count + 1
        }
        #expect(arrived)
        let text = String(decoding: collector.bytes.withLock { $0 }, as: UTF8.self)
        let numbers = text.split(separator: "\n").compactMap { line -> Int? in
            guard let message = try? JSONValue(parsing: String(line)),
                case .int(let n)? = message["arguments"]?.arrayValue?.first
            else { return nil }
            return Int(n)
        }
        #expect(numbers == Array(0..<count))
        try await silent.close()
        await server.close()
    }

    @Test(
        "a server that never reads: the link stays up, new transactions queue, past the limit they fail"
    )
    func clientFacingSilentServer() async throws {
        let methods =
            #"{"method":"methods","arguments":[{"echo":"[Function]"}],"callbacks":{"0":["0","echo"]},"links":[]}"#
            + "\n"
        let accepted = Locked<[any Channel]>([])
        let silentServer = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_rcvbuf), value: 4096)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                accepted.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SendsOnce(text: methods))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = silentServer.localAddress?.port ?? 0

        var configuration = testConfiguration()
        configuration.pingInterval = .zero
        configuration.outboundHighWater = 64 << 10
        configuration.outboundLowWater = 16 << 10
        configuration.maxQueuedTransactions = 50
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: port), configuration: configuration)
        client.start()
        _ = try await client.up(timeout: upGuard) { _ in () }

        let outcomes = Locked<[String: Int]>([:])
        let padding = DnodeValue.string(String(repeating: "z", count: 40_000))
        // Calls of 40 KB, one at a time: each is written, queued or refused before the next
        // starts, until the queue is full (at most 1,000 = 40 MB, far beyond kernel buffers).
        var calls: [Task<Void, Never>] = []
        while calls.count < 1_000, outcomes.value["queue_full", default: 0] == 0 {
            calls.append(
                Task {
                    do {
                        _ = try await client.up { try await $0.request("echo", [padding]) }
                        outcomes.withLock { $0["answered", default: 0] += 1 }
                    } catch let error as UpnodeError {
                        outcomes.withLock { $0[error.code, default: 0] += 1 }
                    } catch {
                        outcomes.withLock { $0["other", default: 0] += 1 }
                    }
                })
            let started = calls.count
            let settled = await eventually(timeout: .seconds(60)) {
                let written = (try? await tables(of: client).pendingRequests) ?? 0
                let queued = await client.machine.queueStats.depth
                return written + queued + outcomes.value.values.reduce(0, +) >= started
            }
            #expect(settled)
            guard settled else { break }
        }
        // The queue limit applies while the connection is held back: calls past it fail.
        #expect(outcomes.value["queue_full", default: 0] == 1)
        #expect(await client.machine.queueStats.depth == 50)
        #expect(await client.state == .up)
        await client.close()
        for call in calls { await call.value }
        let final = outcomes.value
        #expect(final["answered", default: 0] == 0)
        #expect(final.values.reduce(0, +) == calls.count)
        for channel in accepted.value { try? await channel.close() }
        try await silentServer.close()
    }
}

/// Writes `text` once the channel is active, then does nothing (it never reads).
final class SendsOnce: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let text: String
    init(text: String) { self.text = text }
    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}

/// Keeps the bytes received and counts the lines as they arrive.
final class LineCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Locked<[UInt8]>([])
    let lines = Locked(0)
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let newlines = buffer.readableBytesView.count(where: { $0 == 0x0A })
        bytes.withLock { $0 += buffer.readableBytesView }
        lines.withLock { $0 += newlines }
    }
}
