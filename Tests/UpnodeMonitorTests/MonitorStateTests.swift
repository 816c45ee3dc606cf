import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("MonitorState reducer")
struct MonitorStateTests {
    let c1: ConnectionID = "c1"

    func state(_ events: [MonitorEvent]) -> MonitorState {
        var state = MonitorState(connections: [Fixtures.connection(0), Fixtures.connection(1)])
        for event in events { state.apply(event) }
        return state
    }

    @Test("window statistics: nearest-rank percentiles, jitter, loss, stdev")
    func windowStatistics() throws {
        let rtts: [Double] = [10, 30, 20, 50, 40]
        var events = rtts.enumerated().map { MonitorEvent.ping(Double($0.offset), c1, $0.element) }
        events.append(.timeout(5, c1))
        let stats = try #require(state(events)[c1]).rttStats
        #expect(stats.outcomes == 6)
        #expect(stats.timeouts == 1)
        #expect(stats.loss == 1.0 / 6.0)
        #expect(stats.p50 == 30)  // rank ⌈0.5 × 5⌉ = 3
        #expect(stats.p95 == 50)  // rank ⌈0.95 × 5⌉ = 5
        #expect(stats.avg == 30)
        #expect(stats.best == 10)
        #expect(stats.worst == 50)
        #expect(stats.stdev == (200.0).squareRoot())
        #expect(stats.jitter == 17.5)  // (20 + 10 + 30 + 10) / 4
        #expect(stats.last == 40)
        #expect(stats.lastTimedOut)
    }

    @Test("p95 of 1…20 is the 19th value, p50 the 10th")
    func nearestRankExact() {
        let sorted = (1...20).map(Double.init)
        #expect(RTTStats.nearestRank(95, of: sorted) == 19)
        #expect(RTTStats.nearestRank(50, of: sorted) == 10)
        #expect(RTTStats.nearestRank(50, of: [7]) == 7)
        #expect(RTTStats.nearestRank(50, of: []) == nil)
    }

    @Test("the stats window covers the newest 120 outcomes only")
    func windowSize() throws {
        let events = (1...200).map { MonitorEvent.ping(Double($0), c1, Double($0)) }
        let stats = try #require(state(events)[c1])
        #expect(stats.rttStats.outcomes == 120)
        #expect(stats.rttStats.best == 81)
        #expect(stats.rttStats.worst == 200)
        #expect(stats.pingCount == 200)
        #expect(stats.pingSumMs == 20100)
    }

    @Test("no samples: statistics are empty and loss is 0")
    func emptyStatistics() throws {
        let stats = try #require(state([])[c1]).rttStats
        #expect(stats.p50 == nil && stats.jitter == nil && stats.last == nil)
        #expect(stats.loss == 0)
    }

    @Test("availability is time up over time since the first attempt")
    func availability() throws {
        let result = state([
            .state(10, c1, .idle, .connecting, "start", phase: .dial),
            .state(12, c1, .connecting, .up, "ready"),
            .state(20, c1, .up, .down, "ping_timeout"),
            .state(20, c1, .down, .reconnecting, "retry_scheduled"),
            .state(21, c1, .reconnecting, .connecting, "retry"),
            .state(22, c1, .connecting, .up, "ready"),
        ])
        let stats = try #require(result[c1])
        #expect(stats.availability(now: 32) == 18.0 / 22.0)
        #expect(stats.availability(now: 10) == nil)
        #expect(stats.upSeconds == 8)
        #expect(stats.connects == 2)
        #expect(stats.disconnects == 1)
        #expect(stats.timeInState(now: 32) == 10)
        #expect(
            stats.history.elements.map(\.state) == [
                .connecting, .up, .down, .reconnecting, .connecting, .up,
            ])
        #expect(try #require(result["c2"]).availability(now: 32) == nil)
    }

    @Test("reconnects count attempts; up resets the streak; connecting clears hold")
    func reconnectsAndHold() throws {
        var result = state([
            .state(1, c1, .up, .down, "remote_closed"),
            .state(1, c1, .down, .reconnecting, "retry_scheduled"),
            MonitorEvent(t: 1, conn: c1, kind: .reconnect(attempt: 1, delayMs: 1000)),
            .state(2, c1, .reconnecting, .connecting, "retry", phase: .dial),
            .state(2.5, c1, .connecting, .down, "refused"),
            MonitorEvent(t: 2.5, conn: c1, kind: .reconnect(attempt: 2, delayMs: 1600)),
        ])
        var stats = try #require(result[c1])
        #expect(stats.attempt == 2)
        #expect(stats.reconnects == 2)
        #expect(stats.nextRetryT == 4.1)
        #expect(result.totals.reconnects == 2)
        result.apply(.state(3, c1, .down, .down, "held"))
        stats = try #require(result[c1])
        #expect(stats.isHeld)
        #expect(stats.nextRetryT == nil)
        #expect(stats.state == .down)
        #expect(stats.since == 2.5)  // same-state events leave state, since and history alone
        result.apply(.state(4, c1, .down, .connecting, "manual_reconnect", phase: .auth))
        result.apply(.state(4.2, c1, .connecting, .up, "auth_ok"))
        stats = try #require(result[c1])
        #expect(!stats.isHeld)
        #expect(stats.attempt == 0)
        #expect(stats.reconnects == 2)
        #expect(stats.phase == nil)
        #expect(result.totals.count(in: .up) == 1)
        #expect(result.totals.count(in: .idle) == 1)
    }

    @Test("connecting carries its phase")
    func phases() throws {
        var result = state([.state(1, c1, .idle, .connecting, "start", phase: .dial)])
        result.apply(.state(1.1, c1, .connecting, .connecting, "start", phase: .tls))
        #expect(result[c1]?.phase == .tls)
        #expect(result[c1]?.history.count == 1)
    }

    @Test("queue events set depth, totals and the oldest item's time")
    func queue() throws {
        let result = state([
            MonitorEvent(
                t: 10, conn: c1,
                kind: .queue(
                    depth: 2, oldestMs: 1500, enqueued: 7, flushed: 5, expired: 0, failed: nil)),
            MonitorEvent(
                t: 11, conn: c1,
                kind: .queue(
                    depth: 1, oldestMs: 2500, enqueued: 7, flushed: 5, expired: 1, failed: 3)),
        ])
        let queue = try #require(result[c1]).queue
        #expect(queue.depth == 1)
        #expect(queue.oldestT == 8.5)
        #expect(
            queue.enqueued == 7 && queue.flushed == 5 && queue.expired == 1 && queue.failed == 3)
        #expect(result.totals.queueDepth == 1)
        #expect(result.log.last?.event == .queueExpired(count: 1))
        #expect(result.log.last?.level == .warning)
    }

    @Test("calls count first results only; the log holds method names, never arguments")
    func calls() throws {
        let result = state([
            MonitorEvent(
                t: 1, conn: c1,
                kind: .call(
                    id: "m1", method: "status", origin: .manual,
                    args: ["secret-token-123"], redacted: false)),
            MonitorEvent(
                t: 1.2, conn: c1,
                kind: .result(
                    id: "m1", n: 1, ok: true, durMs: 13.94,
                    payload: ["secret-answer-456"], redacted: false)),
            MonitorEvent(
                t: 1.3, conn: c1,
                kind: .result(id: "m1", n: 2, ok: true, durMs: 100, payload: [1], redacted: false)),
            MonitorEvent(
                t: 2, conn: c1,
                kind: .call(id: "m2", method: "time", origin: .queued, args: [], redacted: true)),
            MonitorEvent(
                t: 7, conn: c1,
                kind: .result(
                    id: "m2", n: 1, ok: false, durMs: 5000,
                    payload: ["code": "timeout"], redacted: false)),
            MonitorEvent(
                t: 8, conn: c1,
                kind: .result(
                    id: "m9", n: 1, ok: false, durMs: 3,
                    payload: ["remote": "boom-secret"], redacted: false)),
        ])
        let calls = try #require(result[c1]).calls
        #expect(calls.ok == 1 && calls.err == 2 && calls.timeouts == 1)
        #expect(calls.lastDurationMs == 3)
        #expect(result.totals.callsOK == 1 && result.totals.callsErr == 2)
        let entries = result.log.elements.map(\.event)
        #expect(
            entries == [
                .call(method: "status", origin: .manual),
                .result(method: "status", n: 1, ok: true, durMs: 13.94, errorCode: nil),
                .result(method: "status", n: 2, ok: true, durMs: 100, errorCode: nil),
                .call(method: "time", origin: .queued),
                .result(method: "time", n: 1, ok: false, durMs: 5000, errorCode: "timeout"),
                .result(method: "m9", n: 1, ok: false, durMs: 3, errorCode: "remote"),
            ])
        #expect(
            result.log.elements.map(\.level) == [.info, .info, .info, .info, .warning, .warning])
        #expect(!result.toJSON().jsonText.contains("secret"))
    }

    @Test("state transitions are logged with reason and detail")
    func stateLog() {
        var result = state([])
        result.apply(
            MonitorEvent(
                t: 5, conn: c1,
                kind: .state(
                    from: .up, to: .down, reason: "ping_timeout",
                    detail: "no ping reply within 800 ms", phase: nil)))
        #expect(
            result.log.last
                == LogEntry(
                    t: 5, conn: c1, level: .warning,
                    event: .transition(
                        from: .up, to: .down, reason: "ping_timeout",
                        detail: "no ping reply within 800 ms")))
        #expect(result.log.last?.kind == "state")
    }

    @Test("events for unknown links are ignored; session-wide kinds are logged")
    func unknownLinks() {
        var result = state([])
        let before = result
        result.apply(.ping(1, "c9", 10))
        #expect(result == before)
        result.apply(MonitorEvent(t: 2, conn: nil, kind: .mark(label: "before deploy")))
        #expect(result.log.last?.event == .mark(label: "before deploy"))
        #expect(result.log.last?.kind == "mark")
    }

    @Test("remote method lists and names are bounded")
    func methodBounds() throws {
        let many = (0..<5000).map { "m\($0)" }
        let long = String(repeating: "x", count: 10_000)
        let result = state([MonitorEvent(t: 1, conn: c1, kind: .remoteMethods(many + [long]))])
        let methods = try #require(result[c1]).methods
        #expect(methods.count == ConnectionStats.maxMethods)
        let bounded = state([MonitorEvent(t: 1, conn: c1, kind: .remoteMethods([long]))])[c1]?
            .methods.first
        #expect((bounded?.utf8.count ?? .max) <= ConnectionStats.maxNameBytes)
    }

    @Test("snapshot JSON decodes back to an equal state")
    func snapshotRoundTrip() throws {
        var script = EventScript(seed: 42, connections: 3)
        let header = Fixtures.header(connections: 3)
        var state = header.initialState
        for event in script.events(count: 800) { state.apply(event) }
        let decoded = try MonitorState(json: state.toJSON(), connections: header.connections)
        let decodedIsEqual = decoded == state
        #expect(decodedIsEqual)
        let reparsed = try JSONValue(parsing: state.toJSON().jsonText)
        let reparsedIsEqual =
            try MonitorState(json: reparsed, connections: header.connections) == state
        #expect(reparsedIsEqual)
    }

    @Test("running totals equal a scan of every link")
    func totalsMatchScan() {
        var script = EventScript(seed: 5, connections: 4)
        var state = Fixtures.header(connections: 4).initialState
        for event in script.events(count: 1000) {
            state.apply(event)
            var scanned = MonitorState.Totals()
            for stats in state.connections { scanned.add(stats, sign: 1) }
            if scanned != state.totals {
                Issue.record("totals drifted at t \(event.t)")
                return
            }
        }
    }

    @Test("a snapshot missing a required field is a typed error")
    func snapshotErrors() {
        let infos = [Fixtures.connection(0)]
        #expect(throws: SnapDecodingError(path: "connections", expected: "an object")) {
            try MonitorState(json: ["log": []], connections: infos)
        }
        #expect(throws: SnapDecodingError.self) {
            try MonitorState(
                json: ["connections": ["c1": ["state": "sideways"]]], connections: infos)
        }
    }
}
