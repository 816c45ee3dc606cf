/// The heartbeat: one ping in flight at a time, every `pingInterval` while the link is up; no
/// reply within `pingTimeout` takes the link down.
extension LinkStateMachine {
    /// Starts pinging a link that just came up (if the remote can answer pings).
    mutating func startHeartbeat(now: Duration, into actions: inout [Action]) {
        guard configuration.pingInterval > .zero else { return }
        guard remoteHasPing else {
            actions.append(.emit(.warning("remote has no ping method; heartbeat off")))
            return
        }
        actions.append(
            .arm(.pingInterval(generation: generation), after: configuration.pingInterval))
        if configuration.pingImmediately { sendPing(now: now, into: &actions) }
    }

    /// Disarms the heartbeat of the current connection and forgets its ping.
    mutating func stopHeartbeat(into actions: inout [Action]) {
        actions.append(.cancel(.pingInterval(generation: generation)))
        if let ping {
            actions.append(.cancel(.pingTimeout(generation: generation, ping: ping.id)))
        }
        ping = nil
    }

    mutating func sendPing(now: Duration, into actions: inout [Action]) {
        pingCounter += 1
        ping = (pingCounter, now)
        actions.append(.sendPing(generation: generation, ping: pingCounter))
        if configuration.pingTimeout > .zero {
            let timer = Timer.pingTimeout(generation: generation, ping: pingCounter)
            actions.append(.arm(timer, after: configuration.pingTimeout))
        }
    }

    mutating func pingReplied(
        generation gen: UInt64, ping id: Int, now: Duration, into actions: inout [Action]
    ) {
        guard gen == generation, case .up = state, let ping, ping.id == id else { return }
        actions.append(.cancel(.pingTimeout(generation: gen, ping: id)))
        self.ping = nil
        consecutiveTimeouts = 0
        actions.append(.emit(.ping(rtt: now - ping.sentAt)))
    }

    mutating func pingIntervalFired(
        generation gen: UInt64, now: Duration, into actions: inout [Action]
    ) {
        guard gen == generation, case .up = state else { return }
        actions.append(.arm(.pingInterval(generation: gen), after: configuration.pingInterval))
        if ping == nil { sendPing(now: now, into: &actions) }
    }

    mutating func pingTimedOut(
        generation gen: UInt64, ping id: Int, now: Duration, into actions: inout [Action]
    ) {
        guard gen == generation, case .up = state, ping?.id == id else { return }
        consecutiveTimeouts += 1
        let timeout = configuration.pingTimeout
        actions.append(.emit(.pingTimeout(after: timeout, consecutive: consecutiveTimeouts)))
        goDown(.pingTimeout, now: now, into: &actions)
    }
}
