import NIOCore
import NIOPosix

/// A raw newline-echo over SwiftNIO (server echoes bytes back; client keeps `outstanding`
/// lines in flight), TCP_NODELAY on both ends: the baseline for the link benchmarks.
final class RawEchoServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

final class RawEchoClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let line: ByteBuffer
    var total = 0
    var outstanding = 1
    var sent = 0
    var received = 0
    var done: EventLoopPromise<Void>?
    var context: ChannelHandlerContext?

    init(line: ByteBuffer) { self.line = line }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Starts a run of `total` round trips with `outstanding` in flight (on the event loop).
    func start(total: Int, outstanding: Int, done: EventLoopPromise<Void>) {
        guard let context else { return }
        self.total = total
        self.outstanding = outstanding
        self.sent = 0
        self.received = 0
        self.done = done
        for _ in 0..<min(outstanding, total) {
            context.write(wrapOutboundOut(line), promise: nil)
            sent += 1
        }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var lines = 0
        buffer.withUnsafeReadableBytes { raw in
            for byte in raw where byte == 0x0A { lines += 1 }
        }
        received += lines
        for _ in 0..<lines where sent < total {
            context.write(wrapOutboundOut(line), promise: nil)
            sent += 1
        }
        if received >= total, let done {
            self.done = nil
            done.succeed(())
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

struct RawEcho: Sendable {
    let server: any Channel
    let client: any Channel
    let handler: NIOLoopBound<RawEchoClientHandler>

    static func start(line: String) async throws -> RawEcho {
        let server = try await ServerBootstrap(group: serverGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawEchoServerHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        var buffer = ByteBuffer()
        buffer.writeString(line + "\n")
        let lineBuffer = buffer
        let client = try await ClientBootstrap(group: clientGroup)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RawEchoClientHandler(line: lineBuffer))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let handler = try await client.eventLoop.submit {
            NIOLoopBound(
                try client.pipeline.syncOperations.handler(type: RawEchoClientHandler.self),
                eventLoop: client.eventLoop)
        }.get()
        return RawEcho(server: server, client: client, handler: handler)
    }

    func run(total: Int, outstanding: Int) async throws {
        let promise = client.eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        client.eventLoop.execute {
            handler.value.start(total: total, outstanding: outstanding, done: promise)
        }
        try await promise.futureResult.get()
    }

    func close() async {
        try? await client.close()
        try? await server.close()
    }
}

/// The server side and the client side each get their own event-loop thread, as if they were
/// two processes (deterministic: with one shared group, whether both ends of a link land on
/// the same loop depends on round-robin order, which moves results by ±30 %).
let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
