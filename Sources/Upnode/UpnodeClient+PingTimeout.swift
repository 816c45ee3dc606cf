import NIOCore

/// The heartbeat's ping timeout, armed once per ping and almost always cancelled by the
/// reply. As an ordinary timer every ping left a disarmed one behind that still fired into
/// nothing `pingTimeout` later (5 s: five per link at 1 Hz, a closure and a firing each).
/// Here the client keeps the armed one and its deadline, and a single wake-up is pending
/// at a time: when it runs early for a later ping's deadline it waits again for that one,
/// so at 1 ping a second with a 5 s timeout one wake-up serves about five pings. The
/// timeout still fires at its deadline (at most 1 ms late, as `LoopTimers`).
extension UpnodeClient {
    func armPingTimeout(_ timer: LinkStateMachine.Timer, after delay: Duration) {
        let now = eventLoop.now.uptimeNanoseconds
        let due = now + UInt64(max(0, delay.milliseconds * 1_000_000))
        pingTimeout = (timer, due)
        if let wakeup = pingWakeup, wakeup <= due { return }
        schedulePingWakeup(at: due, now: now)
    }

    private func schedulePingWakeup(at due: UInt64, now: UInt64) {
        pingWakeup = due
        let delay = Int64(clamping: due > now ? due - now : 0)
        LoopTimers.current(on: eventLoop).schedule(inNanoseconds: delay) {
            self.assumeIsolated { client in client.pingWakeupRan(due) }
        }
    }

    private func pingWakeupRan(_ wakeup: UInt64) {
        guard pingWakeup == wakeup else { return }  // a sooner wake-up replaced this one
        pingWakeup = nil
        guard let (timer, due) = pingTimeout else { return }  // answered or cancelled
        let now = eventLoop.now.uptimeNanoseconds
        if due > now { return schedulePingWakeup(at: due, now: now) }
        pingTimeout = nil
        process(.timer(timer))
    }
}

extension LinkStateMachine.Timer {
    var isPingTimeout: Bool {
        if case .pingTimeout = self { return true }
        return false
    }
}
