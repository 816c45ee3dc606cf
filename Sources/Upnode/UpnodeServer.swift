import CoreMetrics
import DnodeProtocol
import NIOCore
import NIOPosix
import NIOSSL
import OrderedCollections
import Synchronization

/// A upnode server: every accepted connection is its own dnode session exporting the
/// methods the factory builds for it, plus `ping`; clients that export `ping` are pinged.
public final class UpnodeServer: Sendable {
    /// Builds one connection's exported methods, in export order (callback ids follow it);
    /// `peer` is that client (for the auth pattern, or to call the client back). Like dnode's
    /// constructor. A `ping` is appended unless the methods define one.
    public typealias MethodsFactory =
        @Sendable (_ peer: Remote) -> OrderedDictionary<String, DnodeValue>

    /// Connection lifecycle notices (for `upmon serve`'s log lines).
    public enum ConnectionNotice: Sendable {
        /// Client `id` connected from `peer` (its address).
        case connected(id: Int, peer: String)
        /// Client `id` went away, and why (`remote_closed`, `ping_timeout`, `frame_too_long`, …).
        case disconnected(id: Int, reason: LinkReason)
        /// Client `id` did something wrong that did not end its connection.
        case warning(id: Int, String)
    }

    /// Server settings: TLS, the line limit and the heartbeat toward clients.
    public struct Options: Sendable {
        /// Certificate and key to serve TLS with; nil serves plain TCP.
        public var tls: ServerTLSOptions?
        /// The longest line accepted from a client; a longer one resets that client only.
        public var maxLineBytes = LinkConfiguration.defaultMaxLineBytes
        /// Backpressure: a client with this many bytes waiting to be written to it is not
        /// read from (its requests wait in its socket) until they drain below
        /// `outboundLowWater`. Must be at least `outboundLowWater`.
        public var outboundHighWater = LinkConfiguration.defaultOutboundHighWater
        /// See `outboundHighWater`.
        public var outboundLowWater = LinkConfiguration.defaultOutboundLowWater
        /// How often to ping clients that export `ping` (Node: fixed 10 s). Zero: never.
        public var pingInterval: Duration = .seconds(10)
        /// Drop a client whose ping is unanswered this long (Node: 100 s, almost surely a bug).
        public var pingTimeout: Duration = .seconds(30)
        /// Plain TCP, 16 MiB lines, ping every 10 s, drop after 30 s without a reply.
        public init() {}
    }

    /// The address actually bound (port 0 resolved to the real port).
    public let boundEndpoint: Endpoint
    let serverChannel: any Channel
    let registry: ConnectionRegistry
    /// Handlers added after `listen` (a monitor endpoint); empty and free otherwise.
    let noticeHandlers: NoticeHandlers

    init(
        boundEndpoint: Endpoint, serverChannel: any Channel, registry: ConnectionRegistry,
        noticeHandlers: NoticeHandlers = NoticeHandlers()
    ) {
        self.boundEndpoint = boundEndpoint
        self.serverChannel = serverChannel
        self.registry = registry
        self.noticeHandlers = noticeHandlers
    }

    /// Calls `handler` with every connection notice from now on, after the `onNotice` given
    /// to `listen` (synchronously, on the connection's event loop: return quickly).
    public func addNoticeHandler(_ handler: @escaping @Sendable (ConnectionNotice) -> Void) {
        noticeHandlers.add(handler)
    }

    /// Starts listening on `endpoint` (TCP port 0 picks a free port; see `boundEndpoint`).
    ///
    /// `telemetry` logs connections (at `debug`; drops and protocol errors at `warning`) and
    /// reports open connections and disconnects by reason; both are off by default.
    public static func listen(
        _ endpoint: Endpoint, options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        telemetry: UpnodeTelemetry = UpnodeTelemetry(),
        onNotice reportNotice: @escaping @Sendable (ConnectionNotice) -> Void = { _ in },
        methods: @escaping MethodsFactory
    ) async throws -> UpnodeServer {
        let observer = ServerTelemetry(endpoint: endpoint, telemetry: telemetry)
        let noticeHandlers = NoticeHandlers()
        let onNotice = observer.wrap { notice in
            reportNotice(notice)
            noticeHandlers.yield(notice)
        }
        // Built once, off the event loops; every accepted connection shares it.
        let sslContext = try await options.tls?.serverContext()
        let registry = ConnectionRegistry()
        let counter = Mutex(0)
        let bootstrap = ServerBootstrap(group: group)
            // Room for a crowd connecting at once (the kernel caps it at somaxconn): clients
            // that start thousands of links pace themselves, but not every client does.
            .serverChannelOption(.backlog, value: 4096)
            // Accept up to 64 connections per wake-up instead of NIO's 4.
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let id = counter.withLock { value in
                        value += 1
                        return value
                    }
                    if case .unix = endpoint {
                    } else {
                        try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    try installConnection(
                        on: channel, id: id, options: options, sslContext: sslContext,
                        registry: registry,
                        peer: channel.remoteAddress.map { "\($0)" } ?? "unix socket",
                        bytes: observer.bytes, onNotice: onNotice, methods: methods)
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: options.writeBufferWaterMark)
        let channel: any Channel
        let bound: Endpoint
        switch endpoint {
        case .tcp(let host, let port), .tls(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
            let actualPort = channel.localAddress?.port ?? port
            bound =
                sslContext == nil
                ? .tcp(host: host, port: actualPort) : .tls(host: host, port: actualPort)
        case .exec, .channel:
            throw UpnodeError.badEndpoint(
                "cannot listen on \(endpoint): serve each channel with serve(channel:)")
        case .unix(let path):
            channel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true
            ).get()
            bound = .unix(path: path)
        }
        return UpnodeServer(
            boundEndpoint: bound, serverChannel: channel, registry: registry,
            noticeHandlers: noticeHandlers)
    }

    /// Serves one dnode session on a channel you connected yourself (stdin/stdout, a pipe, a
    /// socket accepted elsewhere): the same handlers, heartbeat and limits as a connection
    /// `listen` accepts, with `id` 1 in the notices. Returns once the handlers are in place;
    /// the session ends when the channel closes (`channel.closeFuture`).
    ///
    /// ```swift
    /// let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    ///     .takingOwnershipOfDescriptors(input: 0, output: 1).get()
    /// try await UpnodeServer.serve(channel: channel) { _ in ["add": add] }
    /// try await channel.closeFuture.get()
    /// ```
    ///
    /// With `options.tls` the TLS context is built for this call (off the event loops).
    public static func serve(
        channel: any Channel, options: Options = Options(),
        telemetry: UpnodeTelemetry = UpnodeTelemetry(),
        onNotice reportNotice: @escaping @Sendable (ConnectionNotice) -> Void = { _ in },
        methods: @escaping MethodsFactory
    ) async throws {
        let observer = ServerTelemetry(endpoint: nil, telemetry: telemetry)
        let onNotice = observer.wrap(reportNotice)
        let sslContext = try await options.tls?.serverContext()
        try await channel.eventLoop.submit {
            try installConnection(
                on: channel, id: 1, options: options, sslContext: sslContext, registry: nil,
                peer: channel.remoteAddress.map { "\($0)" } ?? "stream", bytes: observer.bytes,
                onNotice: onNotice, methods: methods)
        }.get()
    }

    /// Adds TLS (if any) and a dnode connection exporting `methods` to `channel`, on its loop.
    static func installConnection(
        on channel: any Channel, id: Int, options: Options, sslContext: NIOSSLContext?,
        registry: ConnectionRegistry?, peer: String, bytes: (received: Counter, sent: Counter)?,
        onNotice: @escaping @Sendable (ConnectionNotice) -> Void, methods: MethodsFactory
    ) throws {
        let connection = DnodeConnection(
            session: DnodeSession(sessionID: UInt64(id), instance: .object([:])),
            maxLineBytes: options.maxLineBytes
        ) { _ in }
        let handle = ConnectionHandle(connection: connection, channel: channel)
        var exported = methods(Remote(handle: handle, root: nil))
        if exported["ping"] == nil { exported["ping"] = replyingPing(handle) }
        connection.session = DnodeSession(sessionID: UInt64(id), instance: .object(exported))
        connection.onEventOverride = { event in
            switch event {
            case .remoteReady(let remote, _):
                if options.pingInterval > .zero,
                    remote.value(atDottedPath: "ping")?.function != nil
                {
                    handle.onLoop {
                        $0.startHeartbeat(
                            interval: options.pingInterval, timeout: options.pingTimeout,
                            handle: handle)
                    }
                }
            case .warning(let text):
                onNotice(.warning(id: id, text))
            case .closed(let reason):
                registry?.remove(channel)
                onNotice(.disconnected(id: id, reason: reason))
            }
        }
        if let bytes {
            try channel.pipeline.syncOperations.addHandler(
                ByteCountingHandler(received: bytes.received, sent: bytes.sent))
        }
        if let sslContext {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        try channel.pipeline.syncOperations.addHandler(connection)
        registry?.add(channel)
        onNotice(.connected(id: id, peer: peer))
    }

    /// Connections open right now.
    public var connectionCount: Int { registry.channels.withLock { $0.count } }

    /// Stops listening and ends every connection (with FIN).
    public func close() async {
        try? await serverChannel.close()
        let open = registry.channels.withLock { Array($0.values) }
        for channel in open { try? await channel.close() }
    }

    /// ping(cb) → cb(), as upnode injects it.
    static func replyingPing(_ handle: ConnectionHandle) -> DnodeValue {
        .function(label: "ping") { arguments in
            guard case .function(let callback)? = arguments.last else { return }
            handle.onLoop { try? $0.send(callback, arguments: []) }
        }
    }
}

/// Notice handlers added to a listening server.
final class NoticeHandlers: Sendable {
    let handlers = Mutex<[@Sendable (UpnodeServer.ConnectionNotice) -> Void]>([])

    func add(_ handler: @escaping @Sendable (UpnodeServer.ConnectionNotice) -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    func yield(_ notice: UpnodeServer.ConnectionNotice) {
        let current = handlers.withLock { $0 }
        for handler in current { handler(notice) }
    }
}

final class ConnectionRegistry: Sendable {
    let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    func add(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }
    func remove(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = nil }
    }
}

extension UpnodeServer.Options {
    var writeBufferWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: outboundLowWater, high: outboundHighWater)
    }
}
