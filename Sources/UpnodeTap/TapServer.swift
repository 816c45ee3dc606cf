import NIOCore
import NIOPosix
import Synchronization
import Upnode
import UpnodeMonitor

/// One `LISTEN TARGET` pair of `upmon tap`.
public struct TapRoute: Sendable, Hashable {
    /// The tap's own row in the monitor (`c1`); its connections are `c1.1`, `c1.2`, …
    public var id: ConnectionID
    /// The row's name; tapped connections are `name#1`, `name#2`, …
    public var name: String
    /// Where clients connect: `host:port` or `unix:/path`.
    public var listen: Endpoint
    /// Where each client is connected on to: `host:port` or `unix:/path`.
    public var target: Endpoint

    /// A route from `listen` to `target`.
    public init(id: ConnectionID, name: String, listen: Endpoint, target: Endpoint) {
        self.id = id
        self.name = name
        self.listen = listen
        self.target = target
    }

    /// The tap's row as a monitored link: its endpoint is the target.
    public var info: ConnectionInfo {
        ConnectionInfo(
            id: id, name: name, endpoint: target.normalized,
            options: ConnectionOptions(
                pingMilliseconds: 0, timeoutMilliseconds: 0, reconnect: "tap"))
    }
}

/// Settings of a tap.
public struct TapOptions: Sendable {
    /// Pairing and error conventions, unanswered time, table caps.
    public var decoder = TapDecoder.Options()
    /// The longest line decoded (the project's default line cap); longer lines still pass.
    public var maxLineBytes = LinkConfiguration().maxLineBytes
    /// How often unanswered calls and traffic totals are reported.
    public var tick: TimeAmount = .seconds(1)
    /// How long dialling the target may take.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Write-buffer water marks of each side: above `highWater` the other side is not read.
    public var highWater = 1 << 20
    public var lowWater = 256 << 10
    /// Defaults.
    public init() {}
}

/// A listening tap: every client that connects is connected on to the target, and the bytes
/// pass unchanged both ways while `TapConnectionMonitor` decodes them on the side.
public final class TapServer: Sendable {
    public let route: TapRoute
    /// Where it listens (the real port when 0 was asked for).
    public let boundEndpoint: Endpoint
    let channel: any Channel
    let counter: Mutex<Int>
    let sink: TapSink

    private init(route: TapRoute, bound: Endpoint, channel: any Channel, sink: TapSink) {
        self.route = route
        self.boundEndpoint = bound
        self.channel = channel
        self.counter = Mutex(0)
        self.sink = sink
    }

    /// Starts listening on `route.listen`. The tap's own row goes `up` (listening).
    public static func start(
        _ route: TapRoute, options: TapOptions = TapOptions(), sink: TapSink,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TapServer {
        let box = Mutex<TapServer?>(nil)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: options.lowWater, high: options.highWater)
            )
            .childChannelInitializer { child in
                guard let server = box.withLock({ $0 }) else {
                    return child.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                }
                return child.eventLoop.makeCompletedFuture {
                    try server.accept(child, options: options)
                }
            }
        let channel: any Channel
        switch route.listen {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true
            ).get()
        default:
            throw TapError("a tap listens on host:port or unix:/path, not \(route.listen)")
        }
        var bound = route.listen
        if case .tcp(let host, _) = route.listen, let port = channel.localAddress?.port {
            bound = .tcp(host: host, port: port)
        }
        let server = TapServer(route: route, bound: bound, channel: channel, sink: sink)
        box.withLock { $0 = server }
        sink.emit(
            .state(
                from: .idle, to: .up, reason: LinkReasonName.ready,
                detail: "listening on \(bound.normalized)", phase: nil), route.id)
        return server
    }

    /// Stops listening; the row goes `closed`. Tapped connections already open go on.
    public func close() async {
        try? await channel.close()
        sink.emit(
            .state(from: .up, to: .closed, reason: LinkReasonName.closed, detail: nil, phase: nil),
            route.id)
    }

    /// Wires one accepted client: its half now, the target's half once dialled.
    private func accept(_ child: any Channel, options: TapOptions) throws {
        let number = counter.withLock { count in
            count += 1
            return count
        }
        let conn = ConnectionID("\(route.id.rawValue).\(number)")
        let sink = self.sink
        let client = Self.describe(child.remoteAddress)
        let target = route.target
        sink.emit(
            .tap(.open(name: "\(route.name)#\(number)", client: client, target: target.normalized)),
            conn)
        sink.emit(
            .state(
                from: .idle, to: .connecting, reason: LinkReasonName.start, detail: nil,
                phase: .dial), conn)
        let monitor = TapConnectionMonitor(
            conn: conn, sink: sink, options: options.decoder, maxLineBytes: options.maxLineBytes)
        let pair = TapPair(monitor: monitor)
        let clientHalf = TapGlue(direction: .c2s, pair: pair)
        pair.clientHalf = clientHalf
        try child.pipeline.syncOperations.addHandler(clientHalf)
        let loop = child.eventLoop
        let boundChild = NIOLoopBound(child, eventLoop: loop)
        clientHalf.onActive = { [self] in
            dialTarget(for: boundChild.value, pair: pair, conn: conn, options: options)
        }
    }

    /// Dials the target for an active client; the pair starts reading once both are up.
    private func dialTarget(
        for child: any Channel, pair: TapPair, conn: ConnectionID, options: TapOptions
    ) {
        let sink = self.sink
        let target = route.target
        let loop = child.eventLoop
        let boundPair = NIOLoopBound(pair, eventLoop: loop)
        let boundChild = NIOLoopBound(child, eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(options.connectTimeout)
            .channelOption(.autoRead, value: false)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: options.lowWater, high: options.highWater)
            )
            .channelInitializer { server in
                server.eventLoop.makeCompletedFuture {
                    if case .tcp = target {
                        try server.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    let pair = boundPair.value
                    let serverHalf = TapGlue(direction: .s2c, pair: pair)
                    pair.serverHalf = serverHalf
                    try server.pipeline.syncOperations.addHandler(serverHalf)
                }
            }
        if case .tcp = target {
            try? child.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        let dial: EventLoopFuture<any Channel>
        switch target {
        case .tcp(let host, let port): dial = bootstrap.connect(host: host, port: port)
        case .unix(let path): dial = bootstrap.connect(unixDomainSocketPath: path)
        default:
            dial = loop.makeFailedFuture(TapError("a tap connects on to host:port or unix:/path"))
        }
        dial.whenComplete { result in
            let pair = boundPair.value
            let child = boundChild.value
            switch result {
            case .success(let server):
                sink.emit(
                    .state(
                        from: .connecting, to: .up, reason: LinkReasonName.ready,
                        detail: nil, phase: nil), conn)
                let tick = loop.scheduleRepeatedTask(
                    initialDelay: options.tick, delay: options.tick
                ) { _ in boundPair.value.monitor.tick() }
                pair.onFinish = { reason, detail in
                    tick.cancel()
                    sink.emit(
                        .state(from: .up, to: .closed, reason: reason, detail: detail, phase: nil),
                        conn)
                }
                guard child.isActive else {
                    // The client left while the target was being dialled.
                    server.close(promise: nil)
                    return
                }
                pair.paired()
            case .failure(let error):
                let text = "target \(target.normalized) refused: \(Self.describe(error))"
                pair.monitor.note(.warning, text)
                sink.emit(
                    .state(
                        from: .connecting, to: .down, reason: LinkReasonName.refused,
                        detail: text, phase: nil), conn)
                sink.emit(
                    .state(
                        from: .down, to: .closed, reason: LinkReasonName.refused, detail: nil,
                        phase: nil), conn)
                pair.onFinish = nil
                child.close(promise: nil)
            }
        }
    }

    /// `127.0.0.1:54321`, `[::1]:54321`, or `unix` for a unix-socket client.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v4: return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6: return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix client"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        return "\(error)"
    }
}

/// A tap that cannot be set up.
public struct TapError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
