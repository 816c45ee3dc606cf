import DnodeProtocol
import NIOCore

/// Running the link: the actor feeds the state machine and performs its actions (timers,
/// transactions, events), and handles what its connection reports.
extension UpnodeClient {
    var now: Duration { ContinuousClock.now - origin }

    func process(_ input: LinkStateMachine.Input, at time: Duration? = nil) {
        isProcessing = true
        defer { isProcessing = false }
        // The fast path is open while the link is up and its connection takes writes.
        let wasUp = machine.state == .up && machine.isWritable
        for action in machine.handle(input, now: time ?? now) {
            perform(action)
        }
        let isUp = machine.state == .up && machine.isWritable
        if isUp != wasUp {
            // The channel shares this loop, so its state can be read here: a connection that
            // already closed (its close is still on the way to us) never opens the fast path.
            let live = currentRemote.flatMap { $0.handle.connection.value.isClosed ? nil : $0 }
            transactions.setIdleRemote(
                isUp ? live.map(observingCalls) : nil, generation: machine.generation)
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
            // Coalesced per millisecond with the other links' timers on this loop (LoopTimers).
            let nanoseconds = Int64(delay.milliseconds * 1_000_000)
            LoopTimers.current(on: eventLoop).schedule(inNanoseconds: nanoseconds) {
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
        case .dropTransaction(let id):
            transactions.drop(id)
        case .emit(let event):
            broadcaster.yield(event)
        }
    }

    /// A transaction made its first call (or ended): the next queued one may start. Handled at
    /// once when that happens on the loop outside the actor's own work (a queued body runs
    /// there), which saves a loop iteration per transaction when a queue drains.
    nonisolated func progressed(_ id: Int) {
        guard eventLoop.inEventLoop else {
            return post(.machine(.transactionProgressed(id), at: nil))
        }
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
            // Same loop as the actor. Backpressure closes the fast path at once, so new
            // transactions queue (see LinkConfiguration.outboundHighWater).
            let transactions = self.transactions
            // The client is held strongly (a weak reference would give every client a side
            // table, and each of its retains a slower path); the connection drops the closure
            // when it closes, which ends the cycle.
            let connection = handle.connection.value
            guard !connection.isClosed else { return }
            connection.onWritabilityChanged = { writable in
                if !writable { transactions.clearIdleRemote(generation: generation) }
                self.post(
                    .machine(.writability(generation: generation, isWritable: writable), at: nil))
            }
        case .remoteReady(let generation, let remote, let methods):
            guard generation == machine.generation, let handle else { return }
            pingTarget = remote.value(atDottedPath: "ping")?.function
            if case .up = machine.state {
                process(
                    .remoteReady(
                        generation: generation, methods: methods, hasPing: false, needsAuth: false))
                return
            }
            currentRemote = Remote(handle: handle, root: remote, metrics: telemetry?.metrics)
            let hasPing = pingTarget != nil
            process(
                .remoteReady(
                    generation: generation, methods: methods, hasPing: hasPing,
                    needsAuth: onConnect != nil))
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
                self.post(
                    .machine(.authFailed(generation: generation, .authFailed("\(error)")), at: nil))
            }
        }
    }

    func sendPing(_ generation: UInt64, _ ping: Int) {
        guard let handle, let target = pingTarget else { return }
        let origin = self.origin
        // Same loop as the actor: the connection is ours to call.
        handle.connection.value.sendHeartbeatPing(target, handle: handle) {
            // Time is taken on the event loop as the reply arrives.
            self.pingAnswered(generation: generation, ping: ping, at: ContinuousClock.now - origin)
        }
    }

    /// A heartbeat reply, on the loop inside the connection's read: handled at once (it only
    /// cancels a timer and emits the `ping` event, so nothing re-enters the connection), or
    /// queued when the actor is busy. Saves a loop task per ping.
    nonisolated func pingAnswered(generation: UInt64, ping: Int, at: Duration) {
        let command = ClientCommand.machine(
            .pingReplied(generation: generation, ping: ping), at: at)
        guard eventLoop.inEventLoop else { return post(command) }
        assumeIsolated { client in
            if client.isProcessing { client.post(command) } else { client.handle(command) }
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
        entry.run(
            Remote(
                handle: remote.handle, root: remote.root, onCall: progressed,
                metrics: remote.metrics, calls: callObservers, isQueued: true))
    }

    /// The remote transactions get: requests reported to call handlers (the connect hook's
    /// remote has none, so an `auth` call is never reported).
    func observingCalls(_ remote: Remote) -> Remote {
        Remote(
            handle: remote.handle, root: remote.root, onCall: remote.onCall,
            metrics: remote.metrics, calls: callObservers)
    }

    func finishClose() {
        isFinished = true
        timers.removeAll()  // pending firings find no token and do nothing
        handle?.close(reason: .closed)
        handle = nil
        transactions.failAll(.closed)
        broadcaster.finish()
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
