import DequeModule

/// The client's link logic as a pure state machine: inputs in, actions out.
///
/// It owns link state, heartbeat bookkeeping, reconnect scheduling and the transaction queue.
/// Timers are actions (`arm`/`cancel`) and come back as `.timer` inputs, and the current time
/// is an argument, so every behaviour can be tested without sockets, clocks or sleeping.
/// Every input tagged with a connection generation is ignored when it is stale.
///
/// This file holds the inputs, the outputs and connectivity (dial, up, down, reconnect); the
/// heartbeat is in LinkStateMachine+Heartbeat.swift, the transaction queue in
/// LinkStateMachine+Queue.swift.
public struct LinkStateMachine: Sendable {
    /// A timer the owner arms on ``Action/arm(_:after:)`` and feeds back as ``Input/timer(_:)``.
    public enum Timer: Sendable, Hashable {
        /// The connect timeout of connection `generation`.
        case connect(generation: UInt64)
        /// The reconnect delay.
        case reconnect
        /// Time to send the next heartbeat ping on connection `generation`.
        case pingInterval(generation: UInt64)
        /// Ping `ping` of connection `generation` got no reply in time.
        case pingTimeout(generation: UInt64, ping: Int)
        /// The `up(timeout:)` deadline of a waiting transaction.
        case transaction(Int)
    }

    /// What happened: the owner's calls, connection events and fired timers.
    public enum Input: Sendable {
        /// Start connecting (ignored unless idle).
        case start
        /// Connection `generation` is open; its `methods` are awaited next.
        case dialed(generation: UInt64)
        /// Connection `generation` could not be opened.
        case connectFailed(generation: UInt64, LinkReason)
        /// The peer's `methods` arrived on connection `generation`: their paths, whether it exports
        /// `ping`, and whether a connect hook must run before the link is up.
        case remoteReady(generation: UInt64, methods: [String], hasPing: Bool, needsAuth: Bool)
        /// The connect hook of connection `generation` succeeded.
        case authenticated(generation: UInt64)
        /// The connect hook of connection `generation` threw.
        case authFailed(generation: UInt64, LinkReason)
        /// Connection `generation` ended (closed by the peer, I/O or protocol error).
        case channelClosed(generation: UInt64, LinkReason)
        /// The peer answered ping `ping` on connection `generation`.
        case pingReplied(generation: UInt64, ping: Int)
        /// An armed timer fired.
        case timer(Timer)
        /// A new transaction wants to run (with an optional deadline for waiting).
        case enqueue(transaction: Int, timeout: Duration?)
        /// The task waiting for this transaction was cancelled: it leaves the queue unrun.
        case cancelTransaction(Int)
        /// The running transaction made its first call or finished: the next may start.
        case transactionProgressed(Int)
        /// The connection's outbound bytes went above its high-water mark (`false`) or back
        /// below the low-water mark (`true`): meanwhile transactions wait in the queue.
        case writability(generation: UInt64, isWritable: Bool)
        /// Take the link down and keep it down (`UpnodeClient.hold()`).
        case hold
        /// Reconnect at once, skipping any delay and lifting a hold.
        case reconnectNow
        /// Close for good: the link ends and every waiting transaction fails with `closed`.
        case close
    }

    /// What the owner must do, in order.
    public enum Action: Sendable, Equatable {
        /// Open a connection tagged `generation` and report ``Input/dialed(generation:)`` or
        /// ``Input/connectFailed(generation:_:)``.
        case dial(generation: UInt64)
        /// Close connection `generation` if it is still open.
        case closeChannel(generation: UInt64)
        /// Run the connect hook on connection `generation` and report its result.
        case runConnectHook(generation: UInt64)
        /// Call the peer's `ping` on connection `generation`; report the reply as
        /// ``Input/pingReplied(generation:ping:)``.
        case sendPing(generation: UInt64, ping: Int)
        /// Start (or restart) the timer; feed it back as ``Input/timer(_:)`` when it fires.
        case arm(Timer, after: Duration)
        /// Stop the timer if armed.
        case cancel(Timer)
        /// Run the transaction now, on connection `generation`.
        case runTransaction(Int, generation: UInt64)
        /// Fail the transaction's waiting task with the error (it never ran).
        case failTransaction(Int, UpnodeError)
        /// Forget a transaction whose waiting task was cancelled (nobody is left to tell).
        case dropTransaction(Int)
        /// Fail every call still waiting for an answer on this connection with `linkLost`.
        case failInFlight(generation: UInt64)
        /// Publish the event on the client's event streams.
        case emit(UpnodeEvent)
    }

    /// The settings the machine was created with.
    public let configuration: LinkConfiguration
    /// The link's current state.
    public private(set) var state: LinkState = .idle
    /// The current connection's number; inputs tagged with an older one are ignored.
    public private(set) var generation: UInt64 = 0
    /// Reconnect attempts since the link was last up (0 while up).
    public private(set) var attempt = 0
    /// Whether `hold` keeps the link down.
    public private(set) var isHeld = false
    /// The transaction queue's counters.
    public internal(set) var queueStats = QueueStats()
    /// Waiting transactions, oldest first: a deque, so flushing n of them costs O(n).
    var queue: Deque<Queued> = []
    var startingTransaction: Int?
    var ping: (id: Int, sentAt: Duration)?
    var pingCounter = 0
    var consecutiveTimeouts = 0
    var remoteHasPing = false
    /// The current connection can take more writes (see `Input.writability`).
    public private(set) var isWritable = true
    var random: SplitMix64

    /// A machine in `idle`; `seed` makes the reconnect jitter repeatable.
    public init(configuration: LinkConfiguration, seed: UInt64 = 0x5EED) {
        self.configuration = configuration
        self.random = SplitMix64(seed: seed)
    }

    /// Feeds one input at time `now` (any monotonic clock) and returns the actions to perform.
    public mutating func handle(_ input: Input, now: Duration) -> [Action] {
        var actions: [Action] = []
        switch input {
        case .start:
            if case .idle = state { connect(reason: .start, now: now, into: &actions) }
        case .dialed(let gen):
            guard gen == generation, case .connecting(.dial) = state else { break }
            transition(to: .connecting(.methods), reason: .phase, into: &actions)
        case .connectFailed(let gen, let reason), .channelClosed(let gen, let reason),
            .authFailed(let gen, let reason):
            guard gen == generation, isConnectedOrConnecting else { break }
            goDown(reason, now: now, into: &actions)
        case .remoteReady(let gen, let methods, let hasPing, let needsAuth):
            guard gen == generation else { break }
            if case .connecting = state {
                actions.append(.emit(.remoteMethods(methods.sorted())))
                remoteHasPing = hasPing
                if needsAuth {
                    transition(to: .connecting(.auth), reason: .phase, into: &actions)
                    actions.append(.runConnectHook(generation: gen))
                } else {
                    goUp(.ready, now: now, into: &actions)
                }
            } else if case .up = state {
                // A second `methods` on a live link: report it; unlike Node, add no second
                // heartbeat and do not rerun the connect hook.
                // See docs/PROTOCOL.md, "The methods handshake".
                actions.append(.emit(.remoteMethods(methods.sorted())))
            }
        case .authenticated(let gen):
            guard gen == generation, case .connecting(.auth) = state else { break }
            goUp(.authOK, now: now, into: &actions)
        case .pingReplied(let gen, let id):
            pingReplied(generation: gen, ping: id, now: now, into: &actions)
        case .timer(let timer):
            fire(timer, now: now, into: &actions)
        case .enqueue(let id, let timeout):
            enqueue(id, timeout: timeout, now: now, into: &actions)
        case .cancelTransaction(let id):
            cancel(id, now: now, into: &actions)
        case .transactionProgressed(let id):
            guard startingTransaction == id else { break }
            startingTransaction = nil
            flushQueue(now: now, into: &actions)
        case .writability(let gen, let writable):
            guard gen == generation, isWritable != writable else { break }
            isWritable = writable
            flushQueue(now: now, into: &actions)
        case .hold:
            guard !isHeld, state != .closed else { break }
            isHeld = true
            if isConnectedOrConnecting {
                goDown(.held, now: now, into: &actions)
            } else if case .reconnecting = state {
                actions.append(.cancel(.reconnect))
                transition(to: .down, reason: .held, into: &actions)
            }
        case .reconnectNow:
            isHeld = false
            switch state {
            case .down, .reconnecting:
                actions.append(.cancel(.reconnect))
                attempt = 0
                connect(reason: .manualReconnect, now: now, into: &actions)
            case .up, .connecting:
                goDown(.manualReconnect, now: now, into: &actions, reconnectAtOnce: true)
            case .idle, .closed:
                break
            }
        case .close:
            guard state != .closed else { break }
            actions.append(.cancel(.reconnect))
            endConnection(into: &actions)
            let hadQueue = failQueue(.closed, into: &actions)
            transition(to: .closed, reason: .closed, into: &actions)
            if hadQueue { emitQueue(now: now, into: &actions) }
        }
        return actions
    }

    var isConnectedOrConnecting: Bool {
        switch state {
        case .up, .connecting: true
        default: false
        }
    }

    mutating func transition(
        to newState: LinkState, reason: LinkReason, into actions: inout [Action]
    ) {
        let old = state
        state = newState
        actions.append(.emit(.state(from: old, to: newState, reason: reason)))
    }

    mutating func connect(reason: LinkReason, now: Duration, into actions: inout [Action]) {
        generation += 1
        isWritable = true
        transition(to: .connecting(.dial), reason: reason, into: &actions)
        actions.append(.dial(generation: generation))
        actions.append(
            .arm(.connect(generation: generation), after: configuration.connectTimeout))
    }

    mutating func goUp(_ reason: LinkReason, now: Duration, into actions: inout [Action]) {
        actions.append(.cancel(.connect(generation: generation)))
        attempt = 0
        consecutiveTimeouts = 0
        transition(to: .up, reason: reason, into: &actions)
        startHeartbeat(now: now, into: &actions)
        flushQueue(now: now, into: &actions)
    }

    /// Stops everything tied to the current connection: its timers, the channel, its calls.
    mutating func endConnection(into actions: inout [Action]) {
        actions.append(.cancel(.connect(generation: generation)))
        stopHeartbeat(into: &actions)
        startingTransaction = nil
        actions.append(.closeChannel(generation: generation))
        actions.append(.failInFlight(generation: generation))
    }

    mutating func goDown(
        _ reason: LinkReason, now: Duration, into actions: inout [Action],
        reconnectAtOnce: Bool = false
    ) {
        endConnection(into: &actions)
        transition(to: .down, reason: reason, into: &actions)
        if reconnectAtOnce {
            attempt = 0
            connect(reason: .manualReconnect, now: now, into: &actions)
        } else {
            scheduleReconnect(now: now, into: &actions)
        }
        if !queue.isEmpty { emitQueue(now: now, into: &actions) }
    }

    mutating func scheduleReconnect(now: Duration, into actions: inout [Action]) {
        guard !isHeld else { return }
        attempt += 1
        guard let delay = configuration.reconnect.delay(forAttempt: attempt, using: &random)
        else {
            let policy = configuration.reconnect
            actions.append(
                .emit(.warning("not reconnecting (\(policy) policy, attempt \(attempt))")))
            return
        }
        transition(to: .reconnecting, reason: .retryScheduled, into: &actions)
        actions.append(.emit(.reconnectScheduled(attempt: attempt, delay: delay)))
        actions.append(.arm(.reconnect, after: delay))
    }

    mutating func fire(_ timer: Timer, now: Duration, into actions: inout [Action]) {
        switch timer {
        case .connect(let gen):
            guard gen == generation, case .connecting = state else { return }
            goDown(.connectTimeout, now: now, into: &actions)
        case .reconnect:
            guard case .reconnecting = state else { return }
            connect(reason: .retry, now: now, into: &actions)
        case .pingInterval(let gen):
            pingIntervalFired(generation: gen, now: now, into: &actions)
        case .pingTimeout(let gen, let id):
            pingTimedOut(generation: gen, ping: id, now: now, into: &actions)
        case .transaction(let id):
            expire(id, now: now, into: &actions)
        }
    }
}
