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
        case connected(id: Int, peer: String)
        case disconnected(id: Int, reason: LinkReason)
        case warning(id: Int, String)
    }

    public struct Options: Sendable {
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
        public init() {}
    }

    /// The address actually bound (port 0 resolved to the real port).
    public let boundEndpoint: Endpoint
    let serverChannel: any Channel
    let registry: ConnectionRegistry

    init(boundEndpoint: Endpoint, serverChannel: any Channel, registry: ConnectionRegistry) {
        self.boundEndpoint = boundEndpoint
        self.serverChannel = serverChannel
        self.registry = registry
    }

    /// Starts listening on `endpoint` (TCP port 0 picks a free port; see `boundEndpoint`).
    public static func listen(
        _ endpoint: Endpoint, options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onNotice: @escaping @Sendable (ConnectionNotice) -> Void = { _ in },
        methods: @escaping MethodsFactory
    ) async throws -> UpnodeServer {
        let sslContext = try options.tls.map { tls throws(UpnodeError) in try tls.serverContext() }
        let registry = ConnectionRegistry()
        let counter = Mutex(0)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                do {
                    let id = counter.withLock { value in
                        value += 1
                        return value
                    }
                    if case .unix = endpoint {
                    } else {
                        try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    let connection = DnodeConnection(
                        session: DnodeSession(sessionID: UInt64(id), instance: .object([:])),
                        maxLineBytes: options.maxLineBytes
                    ) { _ in }
                    let handle = ConnectionHandle(connection: connection, channel: channel)
                    let peer = Remote(handle: handle, root: nil)
                    var exported = methods(peer)
                    if exported["ping"] == nil { exported["ping"] = replyingPing(handle) }
                    connection.session = DnodeSession(
                        sessionID: UInt64(id), instance: .object(exported))
                    connection.onEventOverride = { event in
                        switch event {
                        case .remoteReady(let remote, _):
                            if options.pingInterval > .zero,
                                remote.value(atDottedPath: "ping")?.function != nil
                            {
                                handle.onLoop {
                                    $0.startHeartbeat(
                                        interval: options.pingInterval,
                                        timeout: options.pingTimeout, handle: handle)
                                }
                            }
                        case .warning(let text):
                            onNotice(.warning(id: id, text))
                        case .closed(let reason):
                            registry.remove(channel)
                            onNotice(.disconnected(id: id, reason: reason))
                        }
                    }
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(connection)
                    registry.add(channel)
                    onNotice(
                        .connected(
                            id: id, peer: channel.remoteAddress.map { "\($0)" } ?? "unix socket"))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
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
        case .unix(let path):
            channel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true
            ).get()
            bound = .unix(path: path)
        }
        return UpnodeServer(boundEndpoint: bound, serverChannel: channel, registry: registry)
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
