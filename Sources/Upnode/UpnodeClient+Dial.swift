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
/// Every kind of endpoint ends in `installDnode`, so the dnode pipeline (heartbeat, reconnect,
/// queue) is the same whatever carries the bytes.
extension UpnodeClient {
    func dial(_ generation: UInt64) {
        guard let tls else { return connect(generation, sslContext: nil) }
        // The context is built once per TLS configuration, off the loop, and again only when
        // one of its files changed (`TLSOptions.clientContext(on:)`).
        tls.clientContext(on: eventLoop).whenComplete { result in
            self.assumeIsolated { client in
                guard client.machine.generation == generation, !client.isFinished else { return }
                switch result {
                case .success(let context):
                    client.connect(generation, sslContext: context)
                case .failure(let error):
                    let text = (error as? UpnodeError).map { "\($0)" } ?? "\(error)"
                    client.post(
                        .machine(.connectFailed(generation: generation, .tlsError(text)), at: nil))
                }
            }
        }
    }

    func connect(_ generation: UInt64, sslContext: NIOSSLContext?) {
        switch endpoint {
        case .tcp(let host, let port), .tls(let host, let port):
            connectSocket(generation, sslContext: sslContext, noDelay: true) {
                $0.connect(host: host, port: port)
            }
        case .unix(let path):
            connectSocket(generation, sslContext: sslContext, noDelay: false) {
                $0.connect(unixDomainSocketPath: path)
            }
        case .exec(let arguments): connectExec(generation, arguments, sslContext: sslContext)
        case .channel(let factory): connectChannel(generation, factory, sslContext: sslContext)
        }
    }

    /// Dials a socket with `dial`; `noDelay` turns Nagle off (TCP only).
    func connectSocket(
        _ generation: UInt64, sslContext: NIOSSLContext?, noDelay: Bool,
        dial: (ClientBootstrap) -> EventLoopFuture<any Channel>
    ) {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(
                .nanoseconds(Int64(configuration.connectTimeout.milliseconds * 1_000_000))
            )
            .channelOption(.writeBufferWaterMark, value: configuration.writeBufferWaterMark)
            .channelOption(.recvAllocator, value: LinkConfiguration.recvAllocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if noDelay {
                        try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    try self.installDnode(on: channel, generation, sslContext: sslContext)
                }
            }
        dial(bootstrap).whenComplete { result in
            switch result {
            case .success:
                self.post(.machine(.dialed(generation: generation), at: nil))
            case .failure(let error):
                self.post(
                    .machine(.connectFailed(generation: generation, Self.reason(error)), at: nil))
            }
        }
    }

    /// Starts the command and speaks dnode over its stdin/stdout (see `ExecChild`).
    func connectExec(_ generation: UInt64, _ arguments: [String], sslContext: NIOSSLContext?) {
        let fail: @Sendable (String) -> Void = { text in
            self.post(.machine(.connectFailed(generation: generation, .refused(text)), at: nil))
        }
        guard let bootstrap = NIOPipeBootstrap(validatingGroup: eventLoop) else {
            return fail("exec: needs an event loop of a MultiThreadedEventLoopGroup")
        }
        let started: (ExecChild, ExecChild.Pipes)
        do {
            started = try ExecChild.start(
                arguments: arguments, eventLoop: eventLoop,
                warn: { text in self.post(.warning(text)) })
        } catch {
            return fail(error.reason)
        }
        let (child, pipes) = started
        child.readStderr(pipes.stderr)
        bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.installDnode(on: channel, generation, sslContext: sslContext)
                }
            }
            .takingOwnershipOfDescriptors(input: pipes.stdout, output: pipes.stdin)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    // However the link ends, the command goes with it.
                    channel.closeFuture.whenComplete { _ in child.terminate() }
                    self.post(.machine(.dialed(generation: generation), at: nil))
                case .failure(let error):
                    pipes.closeDnodeEnds()  // still ours when the bootstrap failed
                    child.terminate()
                    fail("exec: '\(Endpoint.shown(child.name))': \(Self.describe(error))")
                }
            }
    }

    /// Asks the factory for a channel, then adds the dnode handlers to it.
    func connectChannel(
        _ generation: UInt64, _ factory: ChannelFactory, sslContext: NIOSSLContext?
    ) {
        let loop = eventLoop
        Task(executorPreference: taskExecutor) {
            do {
                let channel = try await factory.makeChannel(loop)
                guard channel.eventLoop === loop else {
                    channel.close(promise: nil)
                    throw ChannelFactoryError()
                }
                try await loop.submit {
                    try self.installDnode(on: channel, generation, sslContext: sslContext)
                }.get()
                self.post(.machine(.dialed(generation: generation), at: nil))
            } catch {
                self.post(
                    .machine(.connectFailed(generation: generation, Self.reason(error)), at: nil))
            }
        }
    }

    struct ChannelFactoryError: Error, CustomStringConvertible {
        var description: String {
            "the channel factory must make the channel on the event loop it is given"
        }
    }

    /// Adds TLS (if any) and the dnode connection to `channel`, on its loop, and reports the
    /// connection to the actor.
    nonisolated func installDnode(
        on channel: any Channel, _ generation: UInt64, sslContext: NIOSSLContext?
    ) throws {
        let origin = self.origin
        let connection = DnodeConnection(
            session: DnodeSession(sessionID: generation, instance: .object([:])),
            maxLineBytes: configuration.maxLineBytes
        ) { event in
            switch event {
            case .remoteReady(let remote, let methods):
                self.post(.remoteReady(generation: generation, remote: remote, methods: methods))
            case .warning(let text):
                self.post(.warning(text))
            case .closed(let reason):
                // At once, before in-flight calls fail: a caller reacting to
                // linkLost must find the link down and wait in the queue.
                self.transactions.clearIdleRemote(generation: generation)
                self.post(
                    .machine(
                        .channelClosed(generation: generation, reason),
                        at: ContinuousClock.now - origin))
            }
        }
        let handle = ConnectionHandle(connection: connection, channel: channel)
        connection.session = DnodeSession(
            sessionID: generation, instance: Self.instance(localMethods, handle: handle))
        if let metrics = telemetry?.metrics {
            try channel.pipeline.syncOperations.addHandler(
                ByteCountingHandler(received: metrics.bytesReceived, sent: metrics.bytesSent))
        }
        if let sslContext {
            let host: String
            switch endpoint {
            case .tls(let name, _), .tcp(let name, _): host = name
            case .unix, .exec, .channel: host = "localhost"
            }
            // NIOSSL would refuse the address as the name to verify, in words of its own.
            if tls?.serverName == nil, Endpoint.isIPAddress(host) {
                throw TLSNameError(endpoint: endpoint.normalized)
            }
            let handler = try NIOSSLClientHandler(
                context: sslContext, serverHostname: tls?.serverName ?? host)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try channel.pipeline.syncOperations.addHandler(connection)
        post(.connected(generation: generation, handle: handle))
    }

    /// Why a dial failed, as the link's reason: TLS failures apart from refusals.
    static func reason(_ error: any Error) -> LinkReason {
        // A failure of the channel's setup comes wrapped in the bootstrap's connection error.
        let cause = (error as? NIOConnectionError)?.connectionErrors.first?.error ?? error
        switch cause {
        case is NIOSSLError, is TLSNameError: return .tlsError("\(cause)")
        default: return .refused(describe(error))
        }
    }

    /// A `tls://` endpoint given by IP address with no name to verify its certificate for.
    struct TLSNameError: Error, CustomStringConvertible {
        let endpoint: String
        var description: String {
            "\(endpoint): an IP address cannot be the name its certificate is verified for; "
                + "give that name (tls_server_name in the config, TLSOptions.serverName)"
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
