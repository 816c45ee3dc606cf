import NIOCore
import NIOPosix
import Synchronization
import Upnode

/// Forwards what it reads to `peer`, each read `delay` later (0: at once).
final class ForwardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let delay: TimeAmount
    var peer: (any Channel)?

    init(delay: TimeAmount, peer: (any Channel)? = nil) {
        self.delay = delay
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let peer else { return }
        if delay == .zero {
            peer.writeAndFlush(buffer, promise: nil)
        } else {
            context.eventLoop.scheduleTask(in: delay) { peer.writeAndFlush(buffer, promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A loopback TCP proxy that delays each read from the client by `delay` (the reply path is not delayed).
func startDelayProxy(upstreamPort: Int, delay: TimeAmount) async throws -> any Channel {
    try await ServerBootstrap(group: serverGroup)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { inbound in
            ClientBootstrap(group: inbound.eventLoop)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { outbound in
                    outbound.eventLoop.makeCompletedFuture {
                        try outbound.pipeline.syncOperations.addHandler(
                            ForwardHandler(delay: .zero, peer: inbound))
                    }
                }
                .connect(host: "127.0.0.1", port: upstreamPort)
                .flatMapThrowing { outbound in
                    try inbound.pipeline.syncOperations.addHandler(
                        ForwardHandler(delay: delay, peer: outbound))
                }
        }
        .bind(host: "127.0.0.1", port: 0).get()
}

/// Median ping rtt (ms) the client reports through a proxy that adds `delay`.
func measuredRtt(delayMs: Int64, pings: Int) async throws -> (
    median: Double, min: Double, max: Double
) {
    let server = try await UpnodeServer.listen(
        .tcp(host: "127.0.0.1", port: 0), options: .quiet, group: serverGroup, methods: echoMethods)
    guard case .tcp(_, let upstream) = server.boundEndpoint else { fatalError() }
    let proxy = try await startDelayProxy(upstreamPort: upstream, delay: .milliseconds(delayMs))
    var configuration = LinkConfiguration.bench
    configuration.pingInterval = .milliseconds(100)
    configuration.pingImmediately = true
    let client = UpnodeClient(
        endpoint: .tcp(host: "127.0.0.1", port: proxy.localAddress!.port!),
        configuration: configuration, group: clientGroup)
    let events = client.events()
    client.start()
    var rtts: [Double] = []
    let deadline = now() + 10
    for await event in events {
        if case .ping(let rtt) = event {
            rtts.append(
                Double(rtt.components.seconds) * 1000 + Double(rtt.components.attoseconds) / 1e15)
            if rtts.count >= pings + 2 { break }
        }
        if now() > deadline { break }
    }
    client.close()
    await server.close()
    try? await proxy.close()
    let kept = Array(rtts.dropFirst(2))  // the first pings overlap connection set-up
    return (median(kept), kept.min()!, kept.max()!)
}

func rttCase() async throws {
    let pings = settings.quick ? 10 : 30
    print("rtt — reported ping rtt through a 20 ms delay proxy (\(pings) pings at 100 ms)")
    let base = try await measuredRtt(delayMs: 0, pings: pings)
    let delayed = try await measuredRtt(delayMs: 20, pings: pings)
    let error = delayed.median - 20
    note(
        "through the proxy with no delay: p50 \(fmt(base.median, 3)) ms; with 20 ms: min \(fmt(delayed.min, 3)) max \(fmt(delayed.max, 3)) ms"
    )
    report(
        "rtt", "reported ping rtt p50 with 20 ms injected", value: "\(fmt(delayed.median, 3)) ms",
        baseline: "20 ms injected (+\(fmt(base.median, 3)) ms proxy/loopback)",
        ratio: "error \(error >= 0 ? "+" : "")\(fmt(error, 3)) ms",
        target: "within ±1 ms", pass: abs(error) <= 1)
}
