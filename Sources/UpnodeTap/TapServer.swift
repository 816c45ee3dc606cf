import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Upnode
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `LISTEN TARGET` pair of `upmon tap`.
public struct TapRoute: Sendable {
    /// The tap's own row in the monitor (`c1`); its connections are `c1.1`, `c1.2`, …
    public var id: ConnectionID
    /// The row's name; tapped connections are `name#1`, `name#2`, …
    public var name: String
    /// Where clients connect: `host:port`, `tls://host:port` or `unix:/path`.
    public var listen: Endpoint
    /// Where each client is connected on to: `host:port`, `tls://host:port` or `unix:/path`.
    public var target: Endpoint
    /// Certificate and key of a `tls://` listen address.
    public var listenTLS: ServerTLSOptions?
    /// Trust (and client certificate) for a `tls://` target, as a link's; nil there trusts
    /// the system store.
    public var targetTLS: TLSOptions?

    /// A route from `listen` to `target`; TLS on a side only where its endpoint is `tls://`.
    public init(
        id: ConnectionID, name: String, listen: Endpoint, target: Endpoint,
        listenTLS: ServerTLSOptions? = nil, targetTLS: TLSOptions? = nil
    ) {
        self.id = id
        self.name = name
        self.listen = listen
        self.target = target
        self.listenTLS = listenTLS
        if case .tls = target {
            // One value for every connection: its context is built once (and again only when
            // a file changed), as a link's is.
            self.targetTLS = targetTLS ?? TLSOptions()
        } else {
            self.targetTLS = nil
        }
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
    /// How long a side is still read (and decoded) after the other side went away: the
    /// answers to a client that left are counted.
    public var drainTimeout: TimeAmount = .seconds(10)
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
    /// The listening side's TLS context (a `tls://` listen address), built at start.
    let serverContext: NIOSSLContext?

    private init(
        route: TapRoute, bound: Endpoint, channel: any Channel, sink: TapSink,
        serverContext: NIOSSLContext?
    ) {
        self.route = route
        self.boundEndpoint = bound
        self.channel = channel
        self.counter = Mutex(0)
        self.sink = sink
        self.serverContext = serverContext
    }

    /// Starts listening on `route.listen`. The tap's own row goes `up` (listening).
    ///
    /// The TLS files of both sides are read here, so a missing or bad certificate, key or
    /// trust file fails the start (an `UpnodeError.tls` naming the files) rather than
    /// every connection.
    public static func start(
        _ route: TapRoute, options: TapOptions = TapOptions(), sink: TapSink,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TapServer {
        var serverContext: NIOSSLContext?
        if case .tls = route.listen {
            guard let listenTLS = route.listenTLS else {
                throw TapError("a tls:// listen address needs a certificate and its key")
            }
            serverContext = try await listenTLS.serverContext()
        }
        if let targetTLS = route.targetTLS {
            if case .tls(let host, _) = route.target, targetTLS.serverName == nil,
                Endpoint.isIPAddress(host)
            {
                throw TapError(
                    "target \(route.target.normalized): an IP address cannot be the name its"
                        + " certificate is verified for; give that name (--tls-server-name, or"
                        + " tls_server_name in the config)")
            }
            _ = try await targetTLS.clientContext(on: group.next()).get()
        }
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
        case .tcp(let host, let port), .tls(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true
            ).get()
        default:
            throw TapError(
                "a tap listens on host:port, tls://host:port or unix:/path, not \(route.listen)")
        }
        var bound = route.listen
        if let port = channel.localAddress?.port {
            switch route.listen {
            case .tcp(let host, _): bound = .tcp(host: host, port: port)
            case .tls(let host, _): bound = .tls(host: host, port: port)
            default: break
            }
        }
        let server = TapServer(
            route: route, bound: bound, channel: channel, sink: sink,
            serverContext: serverContext)
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

    /// Wires one accepted client: its half now, the target's half once it is ready.
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
        pair.drainTimeout = options.drainTimeout
        if let serverContext {
            try child.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: serverContext))
        }
        let clientHalf = TapGlue(
            direction: .c2s, pair: pair, waitsForHandshake: serverContext != nil)
        pair.clientHalf = clientHalf
        try child.pipeline.syncOperations.addHandler(clientHalf)
        if Self.isTCP(route.listen) {
            try? child.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        let loop = child.eventLoop
        let boundPair = NIOLoopBound(pair, eventLoop: loop)
        pair.onUp = {
            let pair = boundPair.value
            pair.tick = loop.scheduleRepeatedTask(
                initialDelay: options.tick, delay: options.tick
            ) { _ in boundPair.value.monitor.tick() }
        }
        pair.dial = { [self] in
            dialTarget(on: loop, pair: boundPair.value, options: options)
        }
    }

    /// Dials the target for a ready client: TLS context first for a `tls://` target (built
    /// once, off the loop, as a link's), then the connection.
    private func dialTarget(on loop: any EventLoop, pair: TapPair, options: TapOptions) {
        let target = route.target
        let boundPair = NIOLoopBound(pair, eventLoop: loop)
        guard let targetTLS = route.targetTLS else {
            connect(on: loop, pair: boundPair, sslContext: nil, options: options)
            return
        }
        targetTLS.clientContext(on: loop).whenComplete { [self] result in
            switch result {
            case .success(let context):
                connect(on: loop, pair: boundPair, sslContext: context, options: options)
            case .failure(let error):
                boundPair.value.dialFinished(
                    failure: (
                        LinkReasonName.tlsError,
                        "target \(target.normalized): \(Self.describe(error))"
                    ))
            }
        }
    }

    private func connect(
        on loop: any EventLoop, pair boundPair: NIOLoopBound<TapPair>, sslContext: NIOSSLContext?,
        options: TapOptions
    ) {
        let target = route.target
        let serverName = route.targetTLS?.serverName
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
                    if Self.isTCP(target) {
                        try server.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    if let sslContext, case .tls(let host, _) = target {
                        // As a link does: the name to verify is the configured one or the host.
                        try server.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(
                                context: sslContext, serverHostname: serverName ?? host))
                    }
                    let pair = boundPair.value
                    let serverHalf = TapGlue(
                        direction: .s2c, pair: pair, waitsForHandshake: sslContext != nil)
                    pair.serverHalf = serverHalf
                    try server.pipeline.syncOperations.addHandler(serverHalf)
                }
            }
        let dial: EventLoopFuture<any Channel>
        switch target {
        case .tcp(let host, let port), .tls(let host, let port):
            dial = bootstrap.connect(host: host, port: port)
        case .unix(let path): dial = bootstrap.connect(unixDomainSocketPath: path)
        default:
            dial = loop.makeFailedFuture(
                TapError("a tap connects on to host:port, tls://host:port or unix:/path"))
        }
        dial.whenComplete { result in
            switch result {
            case .success:
                boundPair.value.dialFinished(failure: nil)
                guard sslContext != nil else { return }
                // A target that takes the connection but never finishes the handshake.
                loop.scheduleTask(in: options.connectTimeout) {
                    boundPair.value.handshakeTimedOut(after: options.connectTimeout)
                }
            case .failure(let error):
                let text = "target \(target.normalized) refused: \(Self.describe(error))"
                boundPair.value.dialFinished(failure: (LinkReasonName.refused, text))
            }
        }
    }

    static func isTCP(_ endpoint: Endpoint) -> Bool {
        switch endpoint {
        case .tcp, .tls: true
        default: false
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

    /// A short reason: `connection refused`, `connect timed out`, the TLS library's reason
    /// codes (`wrong version number`), else the error as it prints.
    static func describe(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first { return describe(first.error) }
            return "cannot connect to \(connection.host):\(connection.port)"
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return "connect timed out"
        }
        return tlsReasons(error) ?? "\(error)"
    }

    /// `certificate verify failed` from BoringSSL's `…:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED
    /// at /path/file.cc:123`; nil when the text has no such code.
    static func tlsReasons(_ error: any Error) -> String? {
        let text = "\(error)"
        var reasons: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: "OPENSSL_internal:") {
            let code = rest[range.upperBound...].prefix {
                $0.isUppercase || $0 == "_" || $0.isNumber
            }
            if !code.isEmpty {
                reasons.append(String(code.lowercased().map { $0 == "_" ? " " : $0 }))
            }
            rest = rest[range.upperBound...]
        }
        guard !reasons.isEmpty else { return nil }
        return reasons.joined(separator: ", ")
    }
}

/// A tap that cannot be set up.
public struct TapError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
