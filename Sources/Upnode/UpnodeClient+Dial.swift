import DnodeProtocol
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Dialing: one connection per generation, with its TLS and dnode handlers, on the link's loop.
extension UpnodeClient {
    func dial(_ generation: UInt64) {
        let origin = self.origin
        let localMethods = self.localMethods
        let endpoint = self.endpoint
        let maxLineBytes = configuration.maxLineBytes
        let sslContext: NIOSSLContext?
        do {
            sslContext = try tls.map { options throws(UpnodeError) in try options.clientContext() }
        } catch {
            post(
                .machine(
                    .connectFailed(generation: generation, .tlsError(error.description)), at: nil))
            return
        }
        let serverName = tls?.serverName
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(
                .nanoseconds(Int64(configuration.connectTimeout.milliseconds * 1_000_000))
            )
            .channelOption(.writeBufferWaterMark, value: configuration.writeBufferWaterMark)
            .channelInitializer { channel in
                do {
                    if case .unix = endpoint {
                    } else {
                        try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    let client = self
                    let connection = DnodeConnection(
                        session: DnodeSession(sessionID: generation, instance: .object([:])),
                        maxLineBytes: maxLineBytes
                    ) { event in
                        switch event {
                        case .remoteReady(let remote, let methods):
                            client.post(
                                .remoteReady(
                                    generation: generation, remote: remote, methods: methods))
                        case .warning(let text):
                            client.post(.warning(text))
                        case .closed(let reason):
                            // At once, before in-flight calls fail: a caller reacting to
                            // linkLost must find the link down and wait in the queue.
                            client.transactions.clearIdleRemote(generation: generation)
                            client.post(
                                .machine(
                                    .channelClosed(generation: generation, reason),
                                    at: ContinuousClock.now - origin))
                        }
                    }
                    let handle = ConnectionHandle(connection: connection, channel: channel)
                    connection.session = DnodeSession(
                        sessionID: generation, instance: Self.instance(localMethods, handle: handle)
                    )
                    if let sslContext {
                        let host: String
                        switch endpoint {
                        case .tls(let name, _), .tcp(let name, _): host = name
                        case .unix: host = "localhost"
                        }
                        let handler = try NIOSSLClientHandler(
                            context: sslContext, serverHostname: serverName ?? host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(connection)
                    client.post(.connected(generation: generation, handle: handle))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let future: EventLoopFuture<any Channel>
        switch endpoint {
        case .tcp(let host, let port), .tls(let host, let port):
            future = bootstrap.connect(host: host, port: port)
        case .unix(let path):
            future = bootstrap.connect(unixDomainSocketPath: path)
        }
        future.whenComplete { result in
            switch result {
            case .success:
                self.post(.machine(.dialed(generation: generation), at: nil))
            case .failure(let error):
                let reason: LinkReason =
                    error is NIOSSLError ? .tlsError("\(error)") : .refused(Self.describe(error))
                self.post(.machine(.connectFailed(generation: generation, reason), at: nil))
            }
        }
    }

    /// A short reason for a failed dial: "connection refused", "connect timed out", …
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAAAAError != nil || error.dnsAError != nil {
                return "cannot resolve \(error.host)"
            }
            return "cannot connect to \(error.host):\(error.port)"
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "connect timed out"
        }
        return String(describing: error)
    }

    static func instance(_ localMethods: [String: DnodeValue], handle: ConnectionHandle)
        -> DnodeValue
    {
        var members = localMethods
        if members["ping"] == nil {
            // Answer the server's heartbeat: ping(cb) → cb().
            members["ping"] = .function(label: "ping") { arguments in
                guard case .function(let callback)? = arguments.last else { return }
                handle.onLoop { connection in try? connection.send(callback, arguments: []) }
            }
        }
        return .object(.init(uniqueKeysWithValues: members.sorted { $0.key < $1.key }))
    }
}
