import DnodeProtocol
import NIOCore
import NIOPosix

// The client's public face: configuration, events, link control and transactions. Running
// the link is in UpnodeClient+Link.swift, dialing in UpnodeClient+Dial.swift; the event
// fan-out and the transaction table are EventBroadcaster.swift and TransactionTable.swift.

/// A upnode client: a dnode link that stays up (heartbeat, reconnect) and a transactional
/// queue that holds calls while the link is down and runs them, in order and exactly once,
/// when it is back.
///
/// ```swift
/// let client = UpnodeClient(endpoint: .tcp(host: "127.0.0.1", port: 7000))
/// client.start()
/// let sum = try await client.up(timeout: .seconds(3)) { remote in
///     try await remote.request("add", [.int(2), .int(3)])
/// }
/// ```
public actor UpnodeClient {
    /// Runs on every (re)connection once the remote's methods arrived. Return the remote the
    /// link should go up with (e.g. the session object of an `auth` call), or throw to refuse
    /// the link (it goes down with `auth_failed` and retries per policy).
    public typealias ConnectHook = @Sendable (Remote) async throws -> Remote

    /// Where the client connects.
    public nonisolated let endpoint: Endpoint
    /// The heartbeat, reconnect, timeout and queue settings of the link.
    public nonisolated let configuration: LinkConfiguration
    let tls: TLSOptions?
    let localMethods: [String: DnodeValue]
    let onConnect: ConnectHook?
    /// Nil when nothing listens (the default): an idle link then carries none of it.
    let telemetry: LinkTelemetry?

    /// The link's event loop: the actor runs on it and so does every connection it dials,
    /// so the actor, its timers and its channel talk without thread hops.
    nonisolated let eventLoop: any EventLoop
    var machine: LinkStateMachine
    /// Armed timers (event-loop tasks: a sleeping Swift Task costs ~2 KB per link) and the
    /// token of the arming each belongs to.
    var timers: [LinkStateMachine.Timer: UInt64] = [:]
    var timerToken: UInt64 = 0
    var handle: ConnectionHandle?
    /// The raw remote's `ping`, looked up once per `methods` (the heartbeat calls it).
    var pingTarget: DnodeFunction?
    var currentRemote: Remote?
    var isFinished = false
    /// Set while `process` runs, so that nothing re-enters it (see `progressed`).
    var isProcessing = false
    let origin = ContinuousClock.now
    nonisolated let broadcaster = EventBroadcaster()
    nonisolated let transactions = TransactionTable()
    nonisolated let callObservers = CallObservers()

    /// Prefer this executor for tasks that make many calls on this link
    /// (`Task(executorPreference: client.taskExecutor) { … }` or `withTaskExecutorPreference`):
    /// they then run on the link's own thread, and a call and its reply cost no thread wake-ups.
    public nonisolated let taskExecutor: EventLoopTaskExecutor

    /// Runs the actor on its link's event loop (see `eventLoop`).
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        eventLoop.executor.asUnownedSerialExecutor()
    }

    /// Creates a client; call `start()` to connect.
    ///
    /// - Parameters:
    ///   - endpoint: where to connect (TCP, TLS or a unix socket).
    ///   - configuration: heartbeat, reconnect, queue and line limits.
    ///   - tls: certificates to trust and present, for a `.tls` endpoint.
    ///   - local: methods this side exports (a `ping` that answers the server is always added).
    ///   - group: the event loops to pick the link's loop from.
    ///   - name: the link's name in log metadata (`upnode.link`) and metrics (`link`);
    ///     the endpoint's text when nil.
    ///   - telemetry: where to log and report metrics (both off by default).
    ///   - onConnect: the auth hook (see `ConnectHook`); without one the link is up as soon
    ///     as the remote's methods arrive.
    public init(
        endpoint: Endpoint, configuration: LinkConfiguration = LinkConfiguration(),
        tls: TLSOptions? = nil,
        local: [String: DnodeValue] = [:],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        name: String? = nil, telemetry: UpnodeTelemetry = UpnodeTelemetry(),
        onConnect: ConnectHook? = nil
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.tls = tls
        self.localMethods = local
        self.onConnect = onConnect
        self.machine = LinkStateMachine(
            configuration: configuration, seed: UInt64(truncatingIfNeeded: endpoint.hashValue))
        self.eventLoop = group.next()
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
        // Nothing we log is above `error`: a logger at `critical` (the default) hears nothing.
        if telemetry.logger.logLevel <= .error || telemetry.activeMetricsFactory != nil {
            let linkTelemetry = LinkTelemetry(
                name: name ?? endpoint.description, endpoint: endpoint, telemetry: telemetry)
            self.telemetry = linkTelemetry
            broadcaster.addHandler { linkTelemetry.observe($0) }
        } else {
            self.telemetry = nil
        }
    }

    /// A new stream of this client's events (each caller gets its own; oldest dropped past 1024).
    public nonisolated func events(bufferingNewest limit: Int = 1024) -> AsyncStream<UpnodeEvent> {
        broadcaster.subscribe(bufferingNewest: limit)
    }

    /// Calls `handler` with every event from now on, synchronously on the link's event loop and
    /// in order (no stream, no task: the cheapest way to watch many links). It must return
    /// quickly and never block. After `close()` no more events come.
    public nonisolated func addEventHandler(_ handler: @escaping @Sendable (UpnodeEvent) -> Void) {
        broadcaster.addHandler(handler)
    }

    /// Starts connecting. Idempotent.
    public nonisolated func start() { post(.machine(.start, at: nil)) }

    /// Disconnects and stops reconnecting until `reconnectNow()`.
    public nonisolated func hold() { post(.machine(.hold, at: nil)) }

    /// Reconnects at once: cancels a pending delay, releases a hold, or drops a live link and dials again.
    public nonisolated func reconnectNow() { post(.machine(.reconnectNow, at: nil)) }

    /// Ends the link for good: queued transactions fail with `closed`, no more reconnects,
    /// and the event streams finish.
    public nonisolated func close() { post(.machine(.close, at: nil)) }

    /// Hands `command` to the actor, in order with every earlier command. Always queued on the
    /// loop (never run inline): a connection reporting from inside its own handler must not
    /// be re-entered by the actions its report causes.
    nonisolated func post(_ command: ClientCommand) {
        eventLoop.execute {
            self.assumeIsolated { client in client.handle(command) }
        }
    }

    /// The current link state.
    public var state: LinkState { machine.state }

    /// Runs `body` with the remote once the link is up (at once if it is up now).
    ///
    /// While the link is down the transaction waits in a FIFO queue; queued bodies start in
    /// order when the link comes up, each exactly once. After `timeout` a waiting body is
    /// removed and this throws `queueTimeout` (Node calls it with no arguments instead).
    /// Calls the body had already sent when the link died throw `linkLost`: nothing is retried,
    /// because calls need not be idempotent.
    ///
    /// When the link is up and nothing waits in the queue, `body` runs at once in the caller's
    /// task (no hop through the actor): that keeps FIFO order, since nothing is ahead of it.
    /// A body that had to wait also runs in the caller's task, but on the link's event loop
    /// (as `taskExecutor`): keep it short and never block in it, as in Node.
    ///
    /// Cancelling the calling task while the body waits removes it from the queue: it never
    /// runs, and this throws `CancellationError`. A task cancelled before calling this throws
    /// at once; requests made by a running body throw when it is cancelled (see `Remote`).
    public nonisolated func up<T: Sendable>(
        timeout: Duration? = nil, _ body: @escaping @Sendable (Remote) async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        if let remote = transactions.remoteIfIdle() { return try await body(remote) }
        // Wait for our turn, then run the body here, in the caller's own task (its priority and
        // task-locals apply), starting on the link's event loop: after a reconnect the queued
        // bodies then start one after another without a thread wake-up between them.
        return try await withTaskExecutorPreference(taskExecutor) {
            let wait = CancellableWait<Remote>()
            let remote = try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    guard wait.install(continuation) else { return }
                    let id = admit(
                        timeout: timeout,
                        run: { remote in
                            // Cancelled as its turn came: the body never runs, the next may.
                            if !wait.resume(.success(remote)) { remote.onCall?() }
                        },
                        runNow: nil,
                        fail: { error in wait.resume(.failure(error)) })
                    if let id, !wait.setID(id) { cancelQueued(id) }
                }
            } onCancel: {
                if wait.cancel(), let id = wait.id { cancelQueued(id) }
            }
            defer { remote.onCall?() }  // done: the next queued transaction may start
            return try await body(remote)
        }
    }

    nonisolated func cancelQueued(_ id: Int) {
        post(.machine(.cancelTransaction(id), at: nil))
    }

    /// Closure form of `up` (Node's `up(timeout, fn)`): `body` runs once with the remote, or
    /// `onFailure` once with the error. Transactions keep the order in which this is called.
    public nonisolated func whenUp(
        timeout: Duration? = nil, _ body: @escaping @Sendable (Remote) -> Void,
        onFailure: @escaping @Sendable (UpnodeError) -> Void = { _ in }
    ) {
        admit(
            timeout: timeout,
            run: { remote in
                body(remote)
                remote.onCall?()  // done: the next queued transaction may start
            },
            runNow: body, fail: onFailure)
    }

    /// Runs a transaction at once when the link is idle and up (`runNow`), else queues it.
    /// - Returns: the id of the queued transaction, or nil when it ran at once.
    @discardableResult
    nonisolated func admit(
        timeout: Duration?, run: @escaping @Sendable (Remote) -> Void,
        runNow: (@Sendable (Remote) -> Void)?, fail: @escaping @Sendable (UpnodeError) -> Void
    ) -> Int? {
        switch transactions.admit(run: run, fail: fail, allowImmediate: runNow != nil) {
        case .runNow(let remote):
            runNow?(remote)
            return nil
        case .queued(let id):
            post(.machine(.enqueue(transaction: id, timeout: timeout), at: nil))
            return id
        }
    }
}
