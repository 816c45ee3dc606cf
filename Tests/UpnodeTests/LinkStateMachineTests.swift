import Testing
import UpnodeTestSupport

@testable import Upnode

extension [LinkStateMachine.Action] {
    var pings: [Int] { compactMap { if case .sendPing(_, let id) = $0 { id } else { nil } } }
    var dials: [UInt64] { compactMap { if case .dial(let gen) = $0 { gen } else { nil } } }
    var runs: [Int] { compactMap { if case .runTransaction(let id, _) = $0 { id } else { nil } } }
    var failures: [Int: UpnodeError] {
        var result: [Int: UpnodeError] = [:]
        for case .failTransaction(let id, let error) in self { result[id] = error }
        return result
    }
    var states: [LinkState] {
        compactMap { if case .emit(.state(_, let to, _)) = $0 { to } else { nil } }
    }
}

@Suite("Link state machine (virtual time)")
struct LinkStateMachineTests {
    @Test("first ping goes out at up, then one every interval; the reply gives the rtt")
    func heartbeat() {
        var link = VirtualLink()
        link.bringUp()
        #expect(link.machine.state == .up)
        #expect(link.log.pings == [1])
        link.advance(by: .milliseconds(3))
        link.send(.pingReplied(generation: 1, ping: 1))
        #expect(link.events.contains(.ping(rtt: .milliseconds(3))))
        let next = link.advance(by: .seconds(10))
        #expect(next.pings == [2])
        link.send(.pingReplied(generation: 1, ping: 2))
        #expect(link.advance(by: .seconds(10)).pings == [3])
    }

    @Test("a missed ping deadline takes the link down and schedules a reconnect")
    func pingTimeout() {
        var link = VirtualLink()
        link.bringUp()
        let actions = link.advance(by: .seconds(5))
        #expect(actions.contains(.emit(.pingTimeout(after: .seconds(5), consecutive: 1))))
        #expect(actions.states == [.down, .reconnecting])
        #expect(actions.contains(.closeChannel(generation: 1)))
        #expect(actions.contains(.failInFlight(generation: 1)))
        #expect(actions.contains(.emit(.reconnectScheduled(attempt: 1, delay: .seconds(1)))))
        #expect(link.advance(by: .seconds(1)).dials == [2])
    }

    @Test("a half-open peer is detected within ping interval + timeout", arguments: [true, false])
    func halfOpen(pingImmediately: Bool) {
        var link = VirtualLink {
            $0.pingInterval = .seconds(2)
            $0.pingTimeout = .seconds(1)
            $0.pingImmediately = pingImmediately
        }
        link.bringUp()
        let upAt = link.now
        var downAt: Duration?
        for _ in 0..<400 where downAt == nil {
            if link.advance(by: .milliseconds(10)).states.contains(.down) { downAt = link.now }
        }
        let elapsed = (downAt ?? .seconds(999)) - upAt
        #expect(elapsed <= .seconds(3))
    }

    @Test("only one ping is in flight at a time")
    func onePingInFlight() {
        var link = VirtualLink {
            $0.pingInterval = .seconds(1)
            $0.pingTimeout = .seconds(5)
        }
        link.bringUp()
        #expect(link.advance(by: .seconds(3)).pings.isEmpty)
    }

    @Test("fixed reconnect delay repeats forever, like Node")
    func fixedReconnect() {
        var link = VirtualLink()
        link.send(.start)
        for attempt in 1...5 {
            link.send(.connectFailed(generation: link.machine.generation, .refused("ECONNREFUSED")))
            #expect(
                link.log.contains(.emit(.reconnectScheduled(attempt: attempt, delay: .seconds(1)))))
            #expect(link.advance(by: .milliseconds(999)).dials.isEmpty)
            #expect(link.advance(by: .milliseconds(1)).dials == [UInt64(attempt + 1)])
        }
    }

    @Test("exponential backoff grows by 1.6 within ±20 % jitter and is capped; up resets it")
    func exponentialBackoff() {
        var link = VirtualLink { $0.reconnect = .exponential }
        link.send(.start)
        var delays: [Duration] = []
        for _ in 1...14 {
            link.send(.connectFailed(generation: link.machine.generation, .refused("x")))
            if case .emit(.reconnectScheduled(_, let delay))? = link.log.last(where: {
                if case .emit(.reconnectScheduled) = $0 { true } else { false }
            }) {
                delays.append(delay)
                link.advance(by: delay)
            }
        }
        for (index, delay) in delays.enumerated() {
            var factor = 1.0
            for _ in 0..<index { factor *= 1.6 }
            let base = min(1000 * factor, 120_000)
            #expect(
                delay.milliseconds >= base * 0.8 - 1
                    && delay.milliseconds <= min(base * 1.2, 120_000) + 1,
                "attempt \(index + 1): \(delay)")
        }
        link.send(.dialed(generation: link.machine.generation))
        link.send(
            .remoteReady(
                generation: link.machine.generation, methods: [], hasPing: true, needsAuth: false))
        #expect(link.machine.attempt == 0)
    }

    @Test("queued transactions run in FIFO order, exactly once, when the link comes up")
    func queueOrder() {
        var link = VirtualLink()
        for id in 1...3 { link.send(.enqueue(transaction: id, timeout: nil)) }
        link.send(.start)
        #expect(link.log.runs.isEmpty)
        link.send(.dialed(generation: 1))
        link.send(.remoteReady(generation: 1, methods: [], hasPing: true, needsAuth: false))
        #expect(link.log.runs == [1])
        link.send(.transactionProgressed(1))
        link.send(.transactionProgressed(1))
        #expect(link.log.runs == [1, 2])
        link.send(.transactionProgressed(2))
        link.send(.transactionProgressed(3))
        #expect(link.log.runs == [1, 2, 3])
        #expect(link.machine.queueStats.enqueued == 3 && link.machine.queueStats.flushed == 3)
    }

    @Test("a full queue (10,000) flushes in order, each once; one expired mid-queue is skipped")
    func fullQueueFlush() {
        var link = VirtualLink { $0.pingInterval = .zero }
        link.send(.start)
        link.send(.dialed(generation: 1))
        let count = link.machine.configuration.maxQueuedTransactions
        for id in 0..<count {
            link.send(.enqueue(transaction: id, timeout: id == count / 2 ? .seconds(1) : nil))
        }
        #expect(link.advance(by: .seconds(1)).failures == [count / 2: .queueTimeout(.seconds(1))])
        let ready = LinkStateMachine.Input.remoteReady(
            generation: 1, methods: [], hasPing: false, needsAuth: false)
        var started = link.send(ready).runs
        var next = started
        while let id = next.last {
            next = link.send(.transactionProgressed(id)).runs
            started += next
        }
        #expect(started == Array(0..<count).filter { $0 != count / 2 })
        #expect(link.machine.queuedTransactions.isEmpty)
        #expect(link.machine.queueStats.flushed == count - 1)
        #expect(link.machine.queueStats.expired == 1)
    }

    @Test("a queued transaction times out once, leaves the queue and never runs")
    func transactionTimeout() {
        var link = VirtualLink()
        link.send(.start)
        link.send(.enqueue(transaction: 1, timeout: .seconds(2)))
        link.send(.enqueue(transaction: 2, timeout: nil))
        let expired = link.advance(by: .seconds(2))
        #expect(expired.failures[1] == .queueTimeout(.seconds(2)))
        link.send(.dialed(generation: 1))
        link.send(.remoteReady(generation: 1, methods: [], hasPing: true, needsAuth: false))
        #expect(link.log.runs == [2])
        #expect(link.machine.queueStats.expired == 1)
    }

    @Test("a link that dies during a flush fails calls in flight; the rest of the queue waits")
    func dropDuringFlush() {
        var link = VirtualLink()
        link.send(.enqueue(transaction: 1, timeout: nil))
        link.send(.enqueue(transaction: 2, timeout: nil))
        link.bringUp()
        let actions = link.send(.channelClosed(generation: 1, .remoteClosed))
        #expect(actions.contains(.failInFlight(generation: 1)))
        link.send(.transactionProgressed(1))
        #expect(link.log.runs == [1])
        link.advance(by: .seconds(1))
        link.send(.dialed(generation: 2))
        link.send(.remoteReady(generation: 2, methods: [], hasPing: true, needsAuth: false))
        #expect(link.log.runs == [1, 2])
    }

    @Test("close fails queued transactions with closed and stops reconnecting")
    func close() {
        var link = VirtualLink()
        link.send(.start)
        link.send(.enqueue(transaction: 1, timeout: .seconds(5)))
        link.send(.connectFailed(generation: 1, .refused("x")))
        let actions = link.send(.close)
        #expect(actions.failures[1] == .closed)
        #expect(link.machine.state == .closed)
        #expect(link.advance(by: .seconds(60)).isEmpty)
        #expect(link.send(.enqueue(transaction: 2, timeout: nil)).failures[2] == .closed)
    }

    @Test("events from an old connection are ignored")
    func staleGeneration() {
        var link = VirtualLink()
        link.bringUp()
        link.send(.channelClosed(generation: 1, .remoteClosed))
        link.advance(by: .seconds(1))
        #expect(
            link.send(.remoteReady(generation: 1, methods: [], hasPing: true, needsAuth: false))
                .isEmpty)
        #expect(link.send(.channelClosed(generation: 1, .remoteClosed)).isEmpty)
        #expect(link.machine.state == .connecting(.dial))
    }

    @Test("a full queue refuses with a clear error")
    func queueFull() {
        var link = VirtualLink { $0.maxQueuedTransactions = 2 }
        for id in 1...3 { link.send(.enqueue(transaction: id, timeout: nil)) }
        #expect(link.log.failures[3] == .queueFull(limit: 2))
        #expect(
            UpnodeError.queueFull(limit: 2).description
                == "the transaction queue is full (2 waiting); raise maxQueuedTransactions or wait")
    }

    @Test("auth gates up: the link is up only after the hook succeeds")
    func authGate() {
        var link = VirtualLink()
        link.send(.enqueue(transaction: 1, timeout: nil))
        link.send(.start)
        link.send(.dialed(generation: 1))
        let ready = link.send(
            .remoteReady(generation: 1, methods: ["auth"], hasPing: true, needsAuth: true))
        #expect(ready.contains(.runConnectHook(generation: 1)))
        #expect(link.machine.state == .connecting(.auth))
        #expect(link.log.runs.isEmpty)
        link.send(.authFailed(generation: 1, .authFailed("ACCESS DENIED")))
        #expect(link.machine.state == .reconnecting)
        link.advance(by: .seconds(1))
        link.send(.dialed(generation: 2))
        link.send(.remoteReady(generation: 2, methods: ["auth"], hasPing: true, needsAuth: true))
        link.send(.authenticated(generation: 2))
        #expect(link.machine.state == .up)
        #expect(link.log.runs == [1])
    }

    @Test("hold disconnects and stays down until reconnectNow")
    func hold() {
        var link = VirtualLink()
        link.bringUp()
        link.send(.hold)
        #expect(link.machine.state == .down)
        #expect(link.advance(by: .seconds(30)).dials.isEmpty)
        #expect(link.send(.reconnectNow).dials == [2])
    }

    @Test("a connect that never completes times out")
    func connectTimeout() {
        var link = VirtualLink { $0.connectTimeout = .seconds(3) }
        link.send(.start)
        link.send(.dialed(generation: 1))
        let actions = link.advance(by: .seconds(3))
        #expect(
            actions.contains(
                .emit(.state(from: .connecting(.methods), to: .down, reason: .connectTimeout))))
    }
}
