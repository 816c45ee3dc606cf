import DnodeProtocol
import NIOCore
import NIOPosix
import Upnode
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Publishes the events of an app's own upnode clients and servers on a local unix socket,
/// so that `upmon attach unix:/path` shows them as it shows the links it dials itself.
///
/// Nothing is published unless the app creates an endpoint and registers links with it:
///
/// ```swift
/// let endpoint = try await UpnodeMonitorEndpoint(path: "/run/app/upmon.sock")
/// endpoint.register(billing, name: "billing")
/// endpoint.register(server, name: "api")
/// // …
/// await endpoint.close()
/// ```
///
/// The wire format is the recording format `upmon --json` prints (docs/RECORDING.md, "JSON
/// output is a recording"): each reader gets a header listing the registered links, a `snap`
/// of their state, then every event as it happens. A link registered later closes the
/// readers already attached, which reattach and read the new header.
///
/// Security: the socket file is created with mode `0600` (set after `bind`, whatever the
/// umask), a non-socket file at the path is never replaced, a stale socket is; on Linux a
/// reader running as another user is refused (`SO_PEERCRED`). Auth arguments are never
/// published, and call arguments only with `Options.recordsArguments`.
///
/// A reader that stops reading is dropped once `Options.subscriberBufferBytes` are waiting
/// for it: the app's event loops never block and memory stays bounded. It can reattach and
/// starts again from a snapshot.
public final class UpnodeMonitorEndpoint: Sendable {
    /// Endpoint settings.
    public struct Options: Sendable {
        /// Publish call arguments and results as values rather than their shapes
        /// (docs/RECORDING.md, "Redaction"). Auth arguments are never published.
        public var recordsArguments = false
        /// Bytes that may wait for one reader before it is dropped.
        public var subscriberBufferBytes = 4 << 20
        /// Readers attached at once; more are refused.
        public var maxSubscribers = 16
        /// Shapes only, 4 MiB per reader, 16 readers.
        public init() {}
    }

    /// The socket path.
    public let path: String
    /// The settings the endpoint was opened with.
    public let options: Options
    /// Link events as monitor events; the endpoint's clock (t = 0 when it opened).
    let feed: MonitorFeed
    let hub: EndpointHub
    let serverChannel: any Channel
    let pump: Task<Void, Never>

    /// Opens the endpoint: listens on `path` (a unix socket, mode `0600`).
    ///
    /// Throws `MonitorEndpointError` when something other than a stale socket is at `path`.
    public init(
        path: String, options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws {
        self.path = path
        self.options = options
        try SocketFile.prepare(path)
        let feed = MonitorFeed()
        let header = RecordingHeader(
            started: RecordingHeader.timestamp(epochMilliseconds: Self.epochMilliseconds()),
            host: Self.hostName(), upmonVersion: "upnode-monitor-endpoint",
            settings: RecordingSettings(argsRecorded: options.recordsArguments),
            connections: [])
        let hub = EndpointHub(
            header: header, limit: max(1, options.subscriberBufferBytes),
            maxSubscribers: max(1, options.maxSubscribers))
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SubscriberHandler(hub: hub, clock: { feed.now() }))
                }
            }
            .bind(unixDomainSocketPath: path).get()
        do {
            try SocketFile.restrict(path)
        } catch {
            try? await channel.close()
            throw error
        }
        self.feed = feed
        self.hub = hub
        serverChannel = channel
        pump = Task {
            for await event in feed.events { hub.publish(event) }
        }
    }

    /// Publishes `client`'s link as `name`: state, pings, reconnects, its transaction queue.
    public func register(_ client: UpnodeClient, name: String) {
        let configuration = client.configuration
        let id = hub.add { id in
            ConnectionInfo(
                id: id, name: name, endpoint: client.endpoint.normalized,
                options: ConnectionOptions(
                    pingMilliseconds: Int(configuration.pingInterval.milliseconds),
                    timeoutMilliseconds: Int(configuration.pingTimeout.milliseconds),
                    reconnect: configuration.reconnect.description))
        }
        feed.watch(client, as: id)
        let feed = self.feed
        let recordsArguments = options.recordsArguments
        client.addCallHandler { event in
            feed.emit(Self.kind(of: event, recordsArguments: recordsArguments), conn: id)
        }
    }

    /// Publishes `server` as one row named `name`: up while registered, with its clients'
    /// connections and disconnections as notes in the event log (`client 3 connected from
    /// 10.0.0.7:50122, 2 open`). A server has no heartbeat or queue of its own to show.
    public func register(_ server: UpnodeServer, name: String) {
        let feed = self.feed
        let endpoint = server.boundEndpoint.normalized
        // Up before `register` returns, for any reader that attaches after it.
        let id = hub.add { id in
            ConnectionInfo(
                id: id, name: name, endpoint: endpoint,
                options: ConnectionOptions(
                    pingMilliseconds: 0, timeoutMilliseconds: 0, reconnect: "never"))
        } first: { id in
            MonitorEvent(
                t: feed.now(), conn: id,
                kind: .state(
                    from: .idle, to: .up, reason: "listening", detail: "serving \(endpoint)",
                    phase: nil))
        }
        server.addNoticeHandler { [weak server] notice in
            let open = server?.connectionCount ?? 0
            feed.emit(Self.kind(of: notice, open: open), conn: id)
        }
    }

    /// A server's connection notice as a note (a warning when a client was dropped).
    static func kind(of notice: UpnodeServer.ConnectionNotice, open: Int) -> MonitorEvent.Kind {
        switch notice {
        case .connected(let client, let peer):
            return .note(
                level: .info, text: "client \(client) connected from \(peer), \(open) open")
        case .disconnected(let client, let reason):
            let level: NoteLevel =
                reason == .remoteClosed || reason == .closed ? .info : .warning
            return .note(
                level: level, text: "client \(client) disconnected (\(reason)), \(open) open")
        case .warning(let client, let text):
            return .note(level: .warning, text: "client \(client): \(text)")
        }
    }

    /// The monitor form of a request the app made: `call` and `result` with ids `a1`, `a2`, …;
    /// arguments and results as shapes unless `recordsArguments` (docs/RECORDING.md,
    /// "Redaction"). A result is an error when the callback's first argument is an error
    /// object (`{"message": …}`, what Node sends for an Error), as for upmon's own calls.
    static func kind(of event: UpnodeCallEvent, recordsArguments: Bool) -> MonitorEvent.Kind {
        switch event {
        case .sent(let id, let method, let arguments, let queued):
            let (args, redacted) = Redaction.recordedArguments(
                DnodeValue.array(arguments).json, recordArgs: recordsArguments,
                isAuthCall: false)
            return .call(
                id: "a\(id)", method: method, origin: queued ? .queued : .direct, args: args,
                redacted: redacted)
        case .finished(let id, let duration, let result):
            let milliseconds =
                Double(duration.components.seconds) * 1000
                + Double(duration.components.attoseconds) / 1e15
            switch result {
            case .success(let values):
                let json = DnodeValue.array(values).json
                let (value, redacted) = Redaction.recordedArguments(
                    json, recordArgs: recordsArguments, isAuthCall: false)
                let isError: Bool =
                    if case .object(let members)? = json.arrayValue?.first,
                        members["message"] != nil
                    {
                        true
                    } else {
                        false
                    }
                return .result(
                    id: "a\(id)", n: 1, ok: !isError, durMs: milliseconds,
                    payload: isError ? .object(["remote": value]) : value, redacted: redacted)
            case .failure(let error):
                // Library errors carry no payload: only an error the peer sent is redacted.
                let payload: JSONValue
                var redacted = false
                switch error {
                case UpnodeError.remote(let remote):
                    payload = Redaction.remoteError(remote, recordArgs: recordsArguments)
                    redacted = !recordsArguments
                case let error as UpnodeError:
                    payload = .object(["code": .string(error.code)])
                case is CancellationError:
                    payload = .object(["code": "cancelled"])
                default:
                    payload = .object(["code": "other"])
                }
                return .result(
                    id: "a\(id)", n: 1, ok: false, durMs: milliseconds, payload: payload,
                    redacted: redacted)
            }
        }
    }

    /// Counters: readers attached, dropped and refused, events published.
    public var statistics: MonitorEndpointStatistics { hub.statistics }

    /// Stops listening, ends every reader's stream with an `end` line and removes the socket.
    public func close() async {
        let channels = hub.finish(t: feed.now())
        for channel in channels { try? await channel.close() }
        try? await serverChannel.close()
        feed.finish()
        await pump.value
        if SocketFile.lookUp(path) == .socket { unlink(path) }
    }

    static func epochMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(
            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One reader's channel: checks the peer's uid, then subscribes it; what it sends is ignored.
final class SubscriberHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let hub: EndpointHub
    let clock: @Sendable () -> Double
    var id: Int?

    init(hub: EndpointHub, clock: @escaping @Sendable () -> Double) {
        self.hub = hub
        self.clock = clock
    }

    func channelActive(context: ChannelHandlerContext) {
        #if os(Linux)
            if let provider = context.channel as? any SocketOptionProvider {
                let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                // On the channel's loop: answered at once, before any byte is written.
                credentials.assumeIsolated().whenComplete { result in
                    self.admit(context: context, peer: (try? result.get()).map { UInt32($0.uid) })
                }
                return
            }
        #endif
        admit(context: context, peer: nil)
    }

    func admit(context: ChannelHandlerContext, peer: UInt32?) {
        guard
            PeerPolicy.allows(
                peer: peer, own: PeerPolicy.ownUID,
                systemReportsPeers: PeerPolicy.systemReportsPeers)
        else {
            hub.countRefused()
            context.close(promise: nil)
            return
        }
        id = hub.subscribe(context.channel, now: clock())
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        if let id { hub.remove(id) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Swift's Glibc module does not import.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
