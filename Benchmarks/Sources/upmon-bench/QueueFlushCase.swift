import Upnode

/// Flushes `n` transactions queued while the link was connecting, through the link state
/// machine alone (no sockets): the link comes up and each transaction starts as the one
/// before it progresses. Returns the seconds from "up" to the last transaction started.
func flushQueued(_ n: Int) -> Double {
    var configuration = LinkConfiguration()
    configuration.pingInterval = .zero
    configuration.maxQueuedTransactions = n
    var machine = LinkStateMachine(configuration: configuration)
    let t = Duration.zero
    _ = machine.handle(.start, now: t)
    _ = machine.handle(.dialed(generation: 1), now: t)
    for id in 0..<n { _ = machine.handle(.enqueue(transaction: id, timeout: .seconds(10)), now: t) }
    let start = now()
    var started = 0
    let up = Input.remoteReady(generation: 1, methods: [], hasPing: false, needsAuth: false)
    started += machine.handle(up, now: t).filter(isRun).count
    for id in 0..<n {
        started += machine.handle(.transactionProgressed(id), now: t).filter(isRun).count
    }
    let seconds = now() - start
    precondition(started == n && machine.queuedTransactions.isEmpty, "queue did not drain")
    return seconds
}

private typealias Input = LinkStateMachine.Input

private func isRun(_ action: LinkStateMachine.Action) -> Bool {
    if case .runTransaction = action { return true }
    return false
}

/// Flushing a queue of n calls must cost O(n): the per-call time at 10,000 should match 1,000.
func queueFlushCase() {
    print("queue-flush — LinkStateMachine: n calls queued while down, flushed when up")
    var perCall: [Int: Double] = [:]
    for n in [1_000, 10_000] {
        _ = flushQueued(n)  // warm-up
        let seconds = median((0..<settings.repetitions).map { _ in flushQueued(n) })
        perCall[n] = seconds / Double(n)
        report(
            "queue-flush", "flush \(fmt(Double(n))) queued calls (calls/s)",
            value: fmt(Double(n) / seconds), baseline: "\(fmt(seconds * 1000, 3)) ms total",
            target: "(diagnostic)")
    }
    if let small = perCall[1_000], let large = perCall[10_000] {
        let growth = large / small
        report(
            "queue-flush", "time per call at 10,000 vs 1,000 queued", value: "\(fmt(growth, 2))×",
            baseline: "1.00× = linear", target: "≤ 2× (linear)", pass: growth <= 2)
    }
}
