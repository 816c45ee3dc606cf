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
    public enum Timer: Sendable, Hashable {
        case connect(generation: UInt64)
        case reconnect
        case pingInterval(generation: UInt64)
        case pingTimeout(generation: UInt64, ping: Int)
        case transaction(Int)
    }

    public enum Input: Sendable {
        case start
        case dialed(generation: UInt64)
        case connectFailed(generation: UInt64, LinkReason)
        case remoteReady(generation: UInt64, methods: [String], hasPing: Bool, needsAuth: Bool)
        case authenticated(generation: UInt64)
        case authFailed(generation: UInt64, LinkReason)
        case channelClosed(generation: UInt64, LinkReason)
        case pingReplied(generation: UInt64, ping: Int)
        case timer(Timer)
        case enqueue(transaction: Int, timeout: Duration?)
        /// The task waiting for this transaction was cancelled: it leaves the queue unrun.
        case cancelTransaction(Int)
        /// The running transaction made its first call or finished: the next may start.
        case transactionProgressed(Int)
        /// The connection's outbound bytes went above its high-water mark (`false`) or back
        /// below the low-water mark (`true`): meanwhile transactions wait in the queue.
        case writability(generation: UInt64, isWritable: Bool)
        case hold
        case reconnectNow
        case close
    }

    public enum Action: Sendable, Equatable {
        case dial(generation: UInt64)
        case closeChannel(generation: UInt64)
        case runConnectHook(generation: UInt64)
        case sendPing(generation: UInt64, ping: Int)
        case arm(Timer, after: Duration)
        case cancel(Timer)
        case runTransaction(Int, generation: UInt64)
        case failTransaction(Int, UpnodeError)
        /// Forget a transaction whose waiting task was cancelled (nobody is left to tell).
        case dropTransaction(Int)
        /// Fail every call still waiting for an answer on this connection with `linkLost`.
        case failInFlight(generation: UInt64)
        case emit(UpnodeEvent)
    }

    public let configuration: LinkConfiguration
    public private(set) var state: LinkState = .idle
    public private(set) var generation: UInt64 = 0
    public private(set) var attempt = 0
    public private(set) var isHeld = false
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

    public init(configuration: LinkConfiguration, seed: UInt64 = 0x5EED) {
        self.configuration = configuration
        self.random = SplitMix64(seed: seed)
    }

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
