import DnodeProtocol
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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

    public nonisolated let endpoint: Endpoint
    public nonisolated let configuration: LinkConfiguration
    let tls: TLSOptions?
    let localMethods: [String: DnodeValue]
    let onConnect: ConnectHook?
    let maxLineBytes: Int

    /// The link's event loop: the actor runs on it and so does every connection it dials,
    /// so the actor, its timers and its channel talk without thread hops.
    nonisolated let eventLoop: any EventLoop
    var machine: LinkStateMachine
    /// Armed timers (event-loop tasks: a sleeping Swift Task costs ~2 KB per link) and the
    /// token of the arming each belongs to.
    var timers: [LinkStateMachine.Timer: UInt64] = [:]
    var timerToken: UInt64 = 0
    var handle: ConnectionHandle?
    var rawRemote: DnodeValue?
    var currentRemote: Remote?
    var isFinished = false
    /// Set while `process` runs, so that nothing re-enters it (see `progressed`).
    var isProcessing = false
    let origin = ContinuousClock.now
    nonisolated let broadcaster = EventBroadcaster()
    nonisolated let transactions = TransactionTable()

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
    ///   - local: methods this side exports (a `ping` that answers the server is always added).
    ///   - onConnect: the auth hook (see `ConnectHook`); without one the link is up as soon
    ///     as the remote's methods arrive.
    public init(
        endpoint: Endpoint, configuration: LinkConfiguration = LinkConfiguration(), tls: TLSOptions? = nil,
        local: [String: DnodeValue] = [:], maxLineBytes: Int = 1 << 20,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onConnect: ConnectHook? = nil
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.tls = tls
        self.localMethods = local
        self.onConnect = onConnect
        self.maxLineBytes = maxLineBytes
        self.machine = LinkStateMachine(configuration: configuration, seed: UInt64(truncatingIfNeeded: endpoint.hashValue))
        self.eventLoop = group.next()
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
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
    public nonisolated func up<T: Sendable>(
        timeout: Duration? = nil, _ body: @escaping @Sendable (Remote) async throws -> T
    ) async throws -> T {
        if let remote = transactions.remoteIfIdle() { return try await body(remote) }
        // Wait for our turn, then run the body here, in the caller's own task (its priority and
        // task-locals apply), starting on the link's event loop: after a reconnect the queued
        // bodies then start one after another without a thread wake-up between them.
        return try await withTaskExecutorPreference(taskExecutor) {
            let remote = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Remote, any Error>) in
                admit(timeout: timeout, run: { remote in continuation.resume(returning: remote) }, runNow: nil,
                      fail: { error in continuation.resume(throwing: error) })
            }
            defer { remote.onCall?() }  // done: the next queued transaction may start
            return try await body(remote)
        }
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
    nonisolated func admit(
        timeout: Duration?, run: @escaping @Sendable (Remote) -> Void,
        runNow: (@Sendable (Remote) -> Void)?, fail: @escaping @Sendable (UpnodeError) -> Void
    ) {
        switch transactions.admit(run: run, fail: fail, allowImmediate: runNow != nil) {
        case .runNow(let remote):
            runNow?(remote)
        case .queued(let id):
            post(.machine(.enqueue(transaction: id, timeout: timeout), at: nil))
        }
    }

    // MARK: Running the state machine

    var now: Duration { ContinuousClock.now - origin }

    func process(_ input: LinkStateMachine.Input, at time: Duration? = nil) {
        isProcessing = true
        defer { isProcessing = false }
        let wasUp = machine.state == .up
        for action in machine.handle(input, now: time ?? now) {
            perform(action)
        }
        let isUp = machine.state == .up
        if isUp != wasUp {
            // The channel shares this loop, so its state can be read here: a connection that
            // already closed (its close is still on the way to us) never opens the fast path.
            let live = currentRemote.flatMap { $0.handle.connection.value.isClosed ? nil : $0 }
            transactions.setIdleRemote(isUp ? live : nil, generation: machine.generation)
        }
        if machine.state == .closed, !isFinished { finishClose() }
    }

    func perform(_ action: LinkStateMachine.Action) {
        switch action {
        case .dial(let generation):
            dial(generation)
        case .closeChannel:
            handle?.close(reason: .remoteClosed)
            handle = nil
            currentRemote = nil
        case .failInFlight:
            break  // the connection fails its unanswered requests when it closes
        case .runConnectHook(let generation):
            runConnectHook(generation)
        case .sendPing(let generation, let ping):
            sendPing(generation, ping)
        case .arm(let timer, let delay):
            // Timers are cancelled lazily: NIO's cancel searches the loop's whole timer heap
            // (O(n) in all links' timers: 9 % of CPU at 1,000 links), so a disarmed timer just
            // fires into nothing; the token tells a stale firing from the armed one.
            timerToken &+= 1
            let token = timerToken
            timers[timer] = token
            let nanoseconds = Int64(delay.milliseconds * 1_000_000)
            eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
                self.assumeIsolated { client in
                    guard client.timers[timer] == token else { return }
                    client.timers[timer] = nil
                    client.process(.timer(timer))
                }
            }
        case .cancel(let timer):
            timers[timer] = nil
        case .runTransaction(let id, _):
            runTransaction(id)
        case .failTransaction(let id, let error):
            transactions.fail(id, error)
        case .emit(let event):
            broadcaster.yield(event)
        }
    }

    func dial(_ generation: UInt64) {
        let origin = self.origin
        let localMethods = self.localMethods
        let endpoint = self.endpoint
        let maxLineBytes = self.maxLineBytes
        let sslContext: NIOSSLContext?
        do {
            sslContext = try tls.map { options throws(UpnodeError) in try options.clientContext() }
        } catch {
            post(.machine(.connectFailed(generation: generation, .tlsError(error.description)), at: nil))
            return
        }
        let serverName = tls?.serverName
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.milliseconds * 1_000_000)))
            .channelInitializer { channel in
                do {
                    if case .unix = endpoint {} else {
                        try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    }
                    let client = self
                    let connection = DnodeConnection(
                        session: DnodeSession(sessionID: generation, instance: .object([:])), maxLineBytes: maxLineBytes
                    ) { event in
                        switch event {
                        case .remoteReady(let remote, let methods):
                            client.post(.remoteReady(generation: generation, remote: remote, methods: methods))
                        case .warning(let text):
                            client.post(.warning(text))
                        case .closed(let reason):
                            // At once, before in-flight calls fail: a caller reacting to
                            // linkLost must find the link down and wait in the queue.
                            client.transactions.clearIdleRemote(generation: generation)
                            client.post(.machine(.channelClosed(generation: generation, reason), at: ContinuousClock.now - origin))
                        }
                    }
                    let handle = ConnectionHandle(connection: connection, channel: channel)
                    connection.session = DnodeSession(sessionID: generation, instance: Self.instance(localMethods, handle: handle))
                    if let sslContext {
                        let host: String
                        switch endpoint {
                        case .tls(let name, _), .tcp(let name, _): host = name
                        case .unix: host = "localhost"
                        }
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName ?? host)
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
                let reason: LinkReason = error is NIOSSLError ? .tlsError("\(error)") : .refused(Self.describe(error))
                self.post(.machine(.connectFailed(generation: generation, reason), at: nil))
            }
        }
    }

    /// A short reason for a failed dial: "connection refused", "connect timed out", …
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return "cannot resolve \(error.host)" }
            return "cannot connect to \(error.host):\(error.port)"
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connect timed out" }
        return String(describing: error)
    }

    /// A transaction made its first call (or ended): the next queued one may start. Handled at
    /// once when that happens on the loop outside the actor's own work (a queued body runs
    /// there), which saves a loop iteration per transaction when a queue drains.
    nonisolated func progressed(_ id: Int) {
        guard eventLoop.inEventLoop else { return post(.machine(.transactionProgressed(id), at: nil)) }
        assumeIsolated { client in
            if client.isProcessing {
                client.post(.machine(.transactionProgressed(id), at: nil))
            } else {
                client.handle(.machine(.transactionProgressed(id), at: nil))
            }
        }
    }

    func handle(_ command: ClientCommand) {
        if isFinished {
            // After close only the queue still answers (late transactions fail with `closed`).
            switch command {
            case .machine(let input, let at): process(input, at: at)
            case .connected(_, let handle): handle.close(reason: .closed)
            case .remoteReady, .authenticated, .warning: break
            }
            return
        }
        switch command {
        case .machine(let input, let at):
            process(input, at: at)
        case .connected(let generation, let handle):
            guard generation == machine.generation else {
                handle.close(reason: .remoteClosed)
                return
            }
            self.handle = handle
        case .remoteReady(let generation, let remote, let methods):
            guard generation == machine.generation, let handle else { return }
            rawRemote = remote
            if case .up = machine.state {
                process(.remoteReady(generation: generation, methods: methods, hasPing: false, needsAuth: false))
                return
            }
            currentRemote = Remote(handle: handle, root: remote)
            let hasPing = remote.value(atDottedPath: "ping")?.function != nil
            process(.remoteReady(generation: generation, methods: methods, hasPing: hasPing, needsAuth: onConnect != nil))
        case .authenticated(let generation, let remote):
            guard generation == machine.generation else { return }
            currentRemote = remote
            process(.authenticated(generation: generation))
        case .warning(let text):
            broadcaster.yield(.warning(text))
        }
    }

    func runConnectHook(_ generation: UInt64) {
        guard let onConnect, let remote = currentRemote else { return }
        Task {
            do {
                let authenticated = try await onConnect(remote)
                self.post(.authenticated(generation: generation, remote: authenticated))
            } catch {
                self.post(.machine(.authFailed(generation: generation, .authFailed("\(error)")), at: nil))
            }
        }
    }

    func sendPing(_ generation: UInt64, _ ping: Int) {
        guard let handle, let root = rawRemote else { return }
        let origin = self.origin
        try? Remote(handle: handle, root: root).requestDetached("ping") { result in
            // Time is taken on the event loop as the reply arrives.
            let at = ContinuousClock.now - origin
            if case .success = result {
                self.post(.machine(.pingReplied(generation: generation, ping: ping), at: at))
            }
        }
    }

    func runTransaction(_ id: Int) {
        guard let remote = currentRemote, let entry = transactions.take(id) else { return }
        let transactions = self.transactions
        let progressed: @Sendable () -> Void = {
            // Only the first call matters to the queue; later calls through this remote cost nothing.
            if entry.started.fire() {
                transactions.unblock()
                self.progressed(id)
            }
        }
        // `run` resumes the waiting `up` (or runs a `whenUp` body); whoever runs the body calls
        // `onCall` once more when it ends, in case it made no call at all.
        entry.run(Remote(handle: remote.handle, root: remote.root, onCall: progressed))
    }

    func finishClose() {
        isFinished = true
        timers.removeAll()  // pending firings find no token and do nothing
        handle?.close(reason: .closed)
        handle = nil
        transactions.failAll(.closed)
        broadcaster.finish()
    }

    static func instance(_ localMethods: [String: DnodeValue], handle: ConnectionHandle) -> DnodeValue {
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

/// What the client actor handles, in arrival order, on its event loop.
enum ClientCommand: Sendable {
    case machine(LinkStateMachine.Input, at: Duration?)
    case connected(generation: UInt64, handle: ConnectionHandle)
    case remoteReady(generation: UInt64, remote: DnodeValue, methods: [String])
    case authenticated(generation: UInt64, remote: Remote)
    case warning(String)
}

/// Fans events out to every subscriber: streams and synchronous handlers.
final class EventBroadcaster: Sendable {
    struct State {
        var next = 0
        var continuations: [Int: AsyncStream<UpnodeEvent>.Continuation] = [:]
        var handlers: [@Sendable (UpnodeEvent) -> Void] = []
        var finished = false
    }

    let state = Mutex(State())

    func subscribe(bufferingNewest limit: Int) -> AsyncStream<UpnodeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: UpnodeEvent.self, bufferingPolicy: .bufferingNewest(limit))
        let isFinished = state.withLock { state in
            if state.finished { return true }
            let id = state.next
            state.next += 1
            state.continuations[id] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.continuations.removeValue(forKey: id) }
            }
            return false
        }
        if isFinished { continuation.finish() }
        return stream
    }

    func addHandler(_ handler: @escaping @Sendable (UpnodeEvent) -> Void) {
        state.withLock { state in
            if !state.finished { state.handlers.append(handler) }
        }
    }

    func yield(_ event: UpnodeEvent) {
        let (continuations, handlers) = state.withLock { state in
            (state.continuations.isEmpty ? [] : Array(state.continuations.values), state.handlers)
        }
        for handler in handlers { handler(event) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finish() {
        let continuations = state.withLock { state in
            state.finished = true
            state.handlers.removeAll()
            defer { state.continuations.removeAll() }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}

/// Transactions waiting to run, and the gate that lets a transaction skip the queue.
///
/// Each entry is taken exactly once, to run or to fail. A queued transaction blocks the fast
/// path from the moment it is admitted until its first call is on the wire (or it ended), so a
/// later transaction can never overtake it.
final class TransactionTable: Sendable {
    struct Entry: Sendable {
        let run: @Sendable (Remote) -> Void
        let fail: @Sendable (UpnodeError) -> Void
        /// Fires once: at the first call, when the body ends, or when the entry fails.
        let started = FirstCallFlag()
    }

    enum Admission {
        case runNow(Remote)
        case queued(Int)
    }

    struct State {
        var next = 0
        var entries: [Int: Entry] = [:]
        /// Queued transactions that have not made their first call yet.
        var blocking = 0
        /// The up link's remote, while the link is up; nil while down.
        var idleRemote: Remote?
        var idleGeneration: UInt64 = 0

        mutating func remove(_ id: Int) -> Entry? {
            let entry = entries.removeValue(forKey: id)
            if entries.isEmpty { entries = [:] }  // an idle link keeps no storage from a burst
            return entry
        }
    }

    let state = Mutex(State())

    /// The remote to run a transaction with at once: the link is up and nothing is ahead.
    func remoteIfIdle() -> Remote? {
        state.withLock { $0.blocking == 0 ? $0.idleRemote : nil }
    }

    func admit(
        run: @escaping @Sendable (Remote) -> Void, fail: @escaping @Sendable (UpnodeError) -> Void,
        allowImmediate: Bool
    ) -> Admission {
        state.withLock { state in
            if allowImmediate, state.blocking == 0, let remote = state.idleRemote { return .runNow(remote) }
            let id = state.next
            state.next += 1
            state.entries[id] = Entry(run: run, fail: fail)
            state.blocking += 1
            return .queued(id)
        }
    }

    func setIdleRemote(_ remote: Remote?, generation: UInt64) {
        state.withLock { state in
            state.idleRemote = remote
            state.idleGeneration = generation
        }
    }

    /// Called by the connection as it closes, before anything else hears of it.
    func clearIdleRemote(generation: UInt64) {
        state.withLock { state in
            if state.idleGeneration == generation { state.idleRemote = nil }
        }
    }

    /// A queued transaction made its first call or ended: later ones may run at once again.
    func unblock() {
        state.withLock { $0.blocking -= 1 }
    }

    func take(_ id: Int) -> Entry? {
        state.withLock { $0.remove(id) }
    }

    func fail(_ id: Int, _ error: UpnodeError) {
        guard let entry = state.withLock({ $0.remove(id) }) else { return }
        if entry.started.fire() { unblock() }
        entry.fail(error)
    }

    func failAll(_ error: UpnodeError) {
        let entries = state.withLock { state in
            defer { state.entries.removeAll() }
            return Array(state.entries.values)
        }
        for entry in entries {
            if entry.started.fire() { unblock() }
            entry.fail(error)
        }
    }
}

final class FirstCallFlag: Sendable {
    let fired = Atomic<Bool>(false)
    func fire() -> Bool { !fired.exchange(true, ordering: .relaxed) }
}
