import Testing

@testable import UpnodeMonitor

/// `AlertEvaluator.mayHold`, the cheap test that lets an evaluation skip a link's p95 sort:
/// it must never say no when `read` would say the condition holds.
@Suite("Alert rules: the cheap pre-check agrees with the full reading")
struct AlertPrecheckTests {
    @Test(
        "random ping windows: p95 and loss pre-checks equal the full reading's verdict",
        arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomWindows(seed: UInt64) {
        var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ bound: Int) -> Int {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            return Int(random % UInt64(bound))
        }
        for round in 0..<300 {
            var state = MonitorState(connections: [Fixtures.connection(0)])
            state.apply(.state(0.5, "c1", .idle, .connecting, "start"))
            if round % 7 != 0 { state.apply(.state(1, "c1", .connecting, .up, "ready")) }
            // Up to past the window (120), RTTs around the threshold, some exactly on it.
            for index in 0..<next(200) {
                let t = 2 + Double(index) / 10
                if next(10) == 0 {
                    state.apply(.timeout(t, "c1"))
                } else {
                    state.apply(.ping(t, "c1", Double(90 + next(21))))
                }
            }
            let stats = state.connections[0]
            for (kind, rule) in [
                (AlertRuleKind.p95, AlertRule(threshold: 100, seconds: 0)),
                (.loss, AlertRule(threshold: Double(next(20)), seconds: 0)),
            ] {
                let holds = AlertEvaluator.read(kind, rule: rule, stats, now: 100).holds
                #expect(AlertEvaluator.mayHold(kind, rule: rule, stats) == holds)
            }
        }
    }

    @Test(
        "random state changes: down and flap pre-checks never say no when the rule holds",
        arguments: [6, 7, 8] as [UInt64])
    func randomTransitions(seed: UInt64) {
        var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ bound: Int) -> Int {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            return Int(random % UInt64(bound))
        }
        let states: [LinkStateName] = [.connecting, .up, .down, .reconnecting, .closed]
        var checked = 0
        for _ in 0..<300 {
            var state = MonitorState(connections: [Fixtures.connection(0)])
            var current = LinkStateName.idle
            var t = 0.0
            for _ in 0..<next(8) {
                let to = states[next(states.count)]
                t += Double(next(30))
                state.apply(.state(t, "c1", current, to, next(4) == 0 ? "held" : "ready"))
                current = to
            }
            let stats = state.connections[0]
            for (kind, rule) in [
                (AlertRuleKind.down, AlertRule(threshold: 0)),
                (.flap, AlertRule(threshold: 1, seconds: 1_000)),
                (.queue, AlertRule(threshold: 0)),
            ] where AlertEvaluator.read(kind, rule: rule, stats, now: t + 1).holds {
                checked += 1
                #expect(AlertEvaluator.mayHold(kind, rule: rule, stats), "\(kind) \(stats.history)")
            }
        }
        #expect(checked > 0)
    }
}
