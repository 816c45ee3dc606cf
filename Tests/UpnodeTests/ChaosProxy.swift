import DnodeProtocol
import NIOCore
import NIOPosix
import Synchronization

/// Which way bytes travel through the proxy.
enum ChaosDirection: Sendable, Hashable {
    /// From the dialling client to the upstream server.
    case toServer
    /// From the upstream server back to the client.
    case toClient
}

/// The faults a `ChaosProxy` injects; changed at any time, read before every forwarded chunk.
struct ChaosSettings: Sendable {
    /// Forward every byte as its own write (and flush), splitting lines and UTF-8 sequences.
    var splitBytes = false
    /// Wait this long before forwarding each chunk (each byte when splitting).
    var delay: TimeAmount = .zero
    /// Stop forwarding (bytes are held, connections stay open: a half-open link).
    var stalled = false
    /// One-shot: in `dropDirection`, forward a line only up to and including the first
    /// occurrence of these bytes (no LF: the cut is mid-line), then close both sides.
    var dropMarker: [UInt8]?
    var dropDirection: ChaosDirection = .toClient
}

/// What went through the proxy.
struct ChaosStats: Sendable {
    var accepted = 0
    var writes: [ChaosDirection: Int] = [:]
    var bytes: [ChaosDirection: Int] = [:]
    var drops = 0
}

/// A userspace TCP proxy on 127.0.0.1 for fault injection: splits writes into single bytes,
/// delays, stalls (holds bytes without closing) and cuts connections in the middle of a line.
/// Each accepted connection gets its own upstream connection to `upstreamPort`.
final class ChaosProxy: Sendable {
    let settings = Mutex(ChaosSettings())
    let stats = Mutex(ChaosStats())
    let pumps = Mutex<[ObjectIdentifier: ChaosPump]>([:])
    let upstreamPort: Int
    private let listener = Mutex<(any Channel)?>(nil)

    init(upstreamPort: Int) {
        self.upstreamPort = upstreamPort
    }

    /// Starts listening on a free loopback port; returns that port.
    static func start(upstreamPort: Int, settings: ChaosSettings = ChaosSettings()) async throws
        -> (ChaosProxy, Int)
    {
        let proxy = ChaosProxy(upstreamPort: upstreamPort)
        proxy.settings.withLock { $0 = settings }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                inbound.eventLoop.makeCompletedFuture {
                    try proxy.accept(inbound)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        proxy.listener.withLock { $0 = channel }
        return (proxy, channel.localAddress?.port ?? 0)
    }

    private func accept(_ inbound: any Channel) throws {
        stats.withLock { $0.accepted += 1 }
        try inbound.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        let clientSide = ChaosPump(proxy: self, direction: .toServer, loop: inbound.eventLoop)
        try inbound.pipeline.syncOperations.addHandler(clientSide)
        register(clientSide)
        let upstreamPort = self.upstreamPort
        let connect = ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture {
                    let serverSide = ChaosPump(
                        proxy: self, direction: .toClient, loop: upstream.eventLoop)
                    serverSide.partner = inbound
                    try upstream.pipeline.syncOperations.addHandler(serverSide)
                    self.register(serverSide)
                }
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
        connect.whenComplete { result in
            // The inbound pump lives on the same loop as the upstream bootstrap.
            switch result {
            case .success(let upstream):
                clientSide.partner = upstream
                clientSide.kick()
            case .failure:
                inbound.close(promise: nil)
            }
        }
    }

    private func register(_ pump: ChaosPump) {
        pumps.withLock { $0[ObjectIdentifier(pump)] = pump }
    }

    func unregister(_ pump: ChaosPump) {
        pumps.withLock { $0[ObjectIdentifier(pump)] = nil }
    }

    func update(_ body: (inout ChaosSettings) -> Void) {
        settings.withLock { body(&$0) }
    }

    func stall() { update { $0.stalled = true } }

    /// Stops stalling and forwards everything held.
    func resume() {
        update { $0.stalled = false }
        for pump in pumps.withLock({ Array($0.values) }) {
            pump.loop.execute { pump.kick() }
        }
    }

    /// Arms a one-shot mid-line cut (see `ChaosSettings.dropMarker`).
    func dropMidLine(after marker: String, direction: ChaosDirection) {
        update {
            $0.dropMarker = Array(marker.utf8)
            $0.dropDirection = direction
        }
    }

    var openConnections: Int { pumps.withLock { $0.count } }

    func close() async {
        let channel = listener.withLock { $0 }
        try? await channel?.close()
        for pump in pumps.withLock({ Array($0.values) }) {
            pump.loop.execute { pump.closeBoth() }
        }
    }
}

/// Forwards what one channel reads to its partner channel, applying the proxy's faults.
/// All its state is confined to `loop` (the channel's event loop).
final class ChaosPump: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let proxy: ChaosProxy
    let direction: ChaosDirection
    let loop: any EventLoop
    var partner: (any Channel)?
    var channel: (any Channel)?
    var queue: [UInt8] = []
    var head = 0
    var pumping = false
    var closeWhenDrained = false
    /// The last bytes of the current line (for the drop marker).
    var lineTail: [UInt8] = []

    init(proxy: ChaosProxy, direction: ChaosDirection, loop: any EventLoop) {
        self.proxy = proxy
        self.direction = direction
        self.loop = loop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closeWhenDrained else { return }  // a cut connection forwards nothing more
        var buffer = unwrapInboundIn(data)
        var bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let marker: [UInt8]? = proxy.settings.withLock { settings in
            guard settings.dropDirection == direction, let marker = settings.dropMarker,
                !marker.isEmpty
            else { return nil }
            return marker
        }
        if let marker, let cut = findCut(bytes, marker) {
            let claimed = proxy.settings.withLock { settings in
                guard settings.dropMarker == marker else { return false }
                settings.dropMarker = nil
                return true
            }
            if claimed {
                bytes = Array(bytes[..<cut])
                closeWhenDrained = true
                proxy.stats.withLock { $0.drops += 1 }
                context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
            }
        }
        queue.append(contentsOf: bytes)
        kick()
    }

    /// Index just past the marker's end, if the marker completes inside `bytes` on the current line.
    func findCut(_ bytes: [UInt8], _ marker: [UInt8]) -> Int? {
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A {
                lineTail.removeAll()
                continue
            }
            lineTail.append(byte)
            if lineTail.count > marker.count { lineTail.removeFirst(lineTail.count - marker.count) }
            if lineTail == marker { return index + 1 }
        }
        return nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Pass the close on once everything read so far was forwarded.
        closeWhenDrained = true
        kick()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Forwards held bytes unless already doing so; call on `loop`.
    func kick() {
        guard !pumping else { return }
        step()
    }

    private func step() {
        let settings = proxy.settings.withLock { $0 }
        guard let partner, head < queue.count, !settings.stalled else {
            pumping = false
            if head >= queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
                if closeWhenDrained, partner != nil || channel?.isActive == false { closeBoth() }
            }
            return
        }
        pumping = true
        let count = settings.splitBytes ? 1 : queue.count - head
        let chunk = Array(queue[head..<(head + count)])
        head += count
        let forward: @Sendable () -> Void = { [self] in
            partner.writeAndFlush(ByteBuffer(bytes: chunk), promise: nil)
            proxy.stats.withLock {
                $0.writes[direction, default: 0] += 1
                $0.bytes[direction, default: 0] += chunk.count
            }
            step()
        }
        if settings.delay > .zero {
            loop.scheduleTask(in: settings.delay, forward)
        } else if settings.splitBytes {
            loop.execute(forward)  // one byte per loop turn: other work interleaves
        } else {
            forward()
        }
    }

    func closeBoth() {
        partner?.close(promise: nil)
        channel?.close(promise: nil)
        proxy.unregister(self)
    }
}

/// A upnode-compatible server that writes raw (unescaped) UTF-8, like Node does: `echo(…, cb)`
/// answers `cb("é€😀")` whatever it got, and `ping(cb)` answers `cb()`.
/// Used to prove the client's framer reassembles multi-byte characters split across reads.
final class RawUTF8Server: Sendable {
    static let reply = "é€😀"
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) { self.channel = channel }

    static func start() async throws -> RawUTF8Server {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(RawUTF8Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawUTF8Server(channel: channel)
    }

    func close() async { try? await channel.close() }
}

final class RawUTF8Handler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var pending: [UInt8] = []

    func channelActive(context: ChannelHandlerContext) {
        let methods =
            #"{"method":"methods","arguments":[{"echo":"[Function]","ping":"[Function]"}],"callbacks":{"0":["0","echo"],"1":["0","ping"]},"links":[]}"#
        write(methods, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            guard let message = try? DnodeMessage(decoding: line),
                case .callback(let method) = message.method,
                let callback = message.callbacks.first(where: {
                    $0.value == [String(message.arguments.count - 1)]
                })?.key
            else { continue }
            switch method {
            case 0:
                write(
                    #"{"method":\#(callback),"arguments":["\#(Self.replyText)"],"callbacks":{},"links":[]}"#,
                    context: context)
            case 1:
                write(
                    #"{"method":\#(callback),"arguments":[],"callbacks":{},"links":[]}"#,
                    context: context)
            default: break
            }
        }
    }

    static var replyText: String { RawUTF8Server.reply }

    func write(_ line: String, context: ChannelHandlerContext) {
        context.writeAndFlush(
            wrapOutboundOut(context.channel.allocator.buffer(string: line + "\n")), promise: nil)
    }
}
