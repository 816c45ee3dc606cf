import DnodeProtocol
import Testing

@testable import UpnodeMonitor

/// Builds a state step by step and evaluates rules on it at chosen times.
private struct Scenario {
    var state: MonitorState
    var evaluator: AlertEvaluator
    /// Every alert event so far.
    var alerts: [MonitorEvent] = []

    init(links: Int = 1, policy: AlertPolicy = AlertPolicy()) {
        state = MonitorState(connections: (0..<links).map { Fixtures.connection($0) })
        evaluator = AlertEvaluator(policy: policy)
    }

    mutating func apply(_ events: MonitorEvent...) {
        for event in events { state.apply(event) }
    }

    /// Evaluates at `now`, applies what it returns, and returns it.
    @discardableResult
    mutating func evaluate(at now: Double) -> [AlertChange] {
        let events = evaluator.evaluate(state, now: now)
        for event in events { state.apply(event) }
        alerts += events
        return events.compactMap { if case .alert(let change) = $0.kind { change } else { nil } }
    }

    /// The link up at `t` after connecting at `t - 0.1`.
    mutating func up(_ conn: ConnectionID = "c1", at t: Double, from: LinkStateName = .idle) {
        apply(
            .state(t - 0.1, conn, from, .connecting, "start"),
            .state(t, conn, .connecting, .up, "ready"))
    }
}

/// Only `kind` on, with `rule`.
private func only(_ kind: AlertRuleKind, _ rule: AlertRule) -> AlertPolicy {
    var rules = AlertRules.none
    rules[kind] = rule
    return AlertPolicy(rules: rules)
}

@Suite("Alert rules: each fires and resolves")
struct AlertEvaluatorTests {
    @Test("defaults: down 10s, p95 500ms for 30s, loss 5% for 30s, queue 30s, flap 3 in 60s")
    func defaults() {
        let rules = AlertRules()
        #expect(rules.down == AlertRule(threshold: 10))
        #expect(rules.p95 == AlertRule(threshold: 500, seconds: 30))
        #expect(rules.loss == AlertRule(threshold: 5, seconds: 30))
        #expect(rules.queue == AlertRule(threshold: 30))
        #expect(rules.flap == AlertRule(threshold: 3, seconds: 60))
        #expect(AlertRuleKind.allCases.allSatisfy { AlertRules.none[$0] == nil })
        #expect(AlertPolicy(rules: .none).isEmpty)
        #expect(!AlertPolicy().isEmpty)
    }

    @Test("down fires once the outage reaches the threshold (not before) and resolves when up")
    func down() {
        var scenario = Scenario(policy: only(.down, AlertRule(threshold: 10)))
        scenario.up(at: 1)
        scenario.apply(.state(5, "c1", .up, .down, "ping_timeout"))
        #expect(scenario.evaluate(at: 14.999).isEmpty)
        let fired = scenario.evaluate(at: 15)
        #expect(
            fired == [
                AlertChange(rule: "down", state: .firing, value: 10, threshold: 10, forSeconds: 10)
            ])
        // Retry cycles do not restart the outage, and a firing alert does not fire again.
        scenario.apply(
            .state(16, "c1", .down, .reconnecting, "retry_scheduled"),
            .state(17, "c1", .reconnecting, .connecting, "retry"),
            .state(17.5, "c1", .connecting, .down, "refused"))
        #expect(scenario.evaluate(at: 20).isEmpty)
        #expect(scenario.state.alerts.firing.map(\.rule) == ["down"])
        scenario.apply(.state(23, "c1", .connecting, .up, "ready"))
        let resolved = scenario.evaluate(at: 23.5)
        // The value of a resolved down alert is how long the link was down.
        #expect(
            resolved == [
                AlertChange(
                    rule: "down", state: .resolved, value: 18, threshold: 10, forSeconds: 18.5)
            ])
        #expect(scenario.state.alerts.firing.isEmpty)
        #expect(scenario.state.alerts.resolved.elements.map(\.resolvedT) == [23.5])
    }

    @Test("down: a link that never came up counts from its first attempt; held and closed do not")
    func downEdges() {
        var scenario = Scenario(links: 3, policy: only(.down, AlertRule(threshold: 10)))
        scenario.apply(.state(0.5, "c1", .idle, .connecting, "start"))
        scenario.up("c2", at: 1)
        scenario.apply(.state(2, "c2", .up, .down, "held"))
        scenario.up("c3", at: 1)
        scenario.apply(.state(2, "c3", .up, .closed, "closed"))
        let fired = scenario.evaluate(at: 10.5)
        #expect(fired.count == 1)
        #expect(scenario.alerts.map(\.conn) == ["c1"])
        #expect(fired.first?.value == 10)
    }

    @Test("p95 fires after holding for its duration, only while up, and resolves below the limit")
    func p95() {
        var scenario = Scenario(policy: only(.p95, AlertRule(threshold: 100, seconds: 5)))
        scenario.up(at: 1)
        for second in 2...10 { scenario.apply(.ping(Double(second), "c1", 300)) }
        #expect(scenario.evaluate(at: 10).isEmpty)  // begins to hold
        #expect(scenario.evaluate(at: 14.9).isEmpty)
        let fired = scenario.evaluate(at: 15)
        #expect(fired.map(\.state) == [.firing])
        #expect(fired.first?.value == 300)
        #expect(fired.first?.forSeconds == 5)
        // 200 fast pings push p95 back under the limit (the window is the last 120).
        for index in 0..<200 { scenario.apply(.ping(16 + Double(index) / 100, "c1", 20)) }
        let resolved = scenario.evaluate(at: 18)
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.value == 20)
    }

    @Test("p95 exactly at the limit does not hold; a condition that stops restarts its clock")
    func p95Boundary() {
        var scenario = Scenario(policy: only(.p95, AlertRule(threshold: 300, seconds: 2)))
        scenario.up(at: 1)
        scenario.apply(.ping(2, "c1", 300))
        #expect(scenario.evaluate(at: 2).isEmpty)
        #expect(scenario.evaluate(at: 10).isEmpty)
        scenario.apply(.ping(11, "c1", 301))
        #expect(scenario.evaluate(at: 11).isEmpty)
        // Down in between: the slow window is stale, the clock starts again once up.
        scenario.apply(.state(12, "c1", .up, .down, "ping_timeout"))
        #expect(scenario.evaluate(at: 12).isEmpty)
        scenario.up(at: 13, from: .down)
        #expect(scenario.evaluate(at: 13).isEmpty)
        #expect(scenario.evaluate(at: 14.5).isEmpty)
        #expect(scenario.evaluate(at: 15).map(\.state) == [.firing])
    }

    @Test("loss over the ping window, in percent")
    func loss() {
        var scenario = Scenario(policy: only(.loss, AlertRule(threshold: 10, seconds: 0)))
        scenario.up(at: 1)
        for second in 2...10 { scenario.apply(.ping(Double(second), "c1", 10)) }
        scenario.apply(.timeout(11, "c1"))
        // 1 of 10: exactly the limit, which is not above it.
        #expect(scenario.evaluate(at: 11).isEmpty)
        scenario.apply(.timeout(12, "c1"))
        let fired = scenario.evaluate(at: 12)
        #expect(fired.map(\.state) == [.firing])
        #expect(abs((fired.first?.value ?? 0) - 100 * 2 / 11) < 0.001)
        for second in 13...40 { scenario.apply(.ping(Double(second), "c1", 10)) }
        #expect(scenario.evaluate(at: 40).map(\.state) == [.resolved])
    }

    @Test("queue: the oldest waiting call reaches the limit; flushing resolves")
    func queue() {
        var scenario = Scenario(policy: only(.queue, AlertRule(threshold: 30)))
        scenario.apply(
            MonitorEvent(
                t: 10, conn: "c1",
                kind: .queue(
                    depth: 2, oldestMs: 5000, enqueued: 2, flushed: 0, expired: 0, failed: nil)))
        #expect(scenario.evaluate(at: 34.9).isEmpty)
        let fired = scenario.evaluate(at: 35)
        #expect(fired.map(\.state) == [.firing])
        #expect(fired.first?.value == 30)
        scenario.apply(
            MonitorEvent(
                t: 36, conn: "c1",
                kind: .queue(
                    depth: 0, oldestMs: 0, enqueued: 2, flushed: 2, expired: 0, failed: nil)))
        #expect(scenario.evaluate(at: 36).map(\.state) == [.resolved])
    }

    @Test("flap: N drops within the window fire; the window sliding past them resolves")
    func flap() {
        var scenario = Scenario(policy: only(.flap, AlertRule(threshold: 3, seconds: 60)))
        scenario.up(at: 1)
        for drop in [10.0, 20, 30] {
            scenario.apply(.state(drop, "c1", .up, .down, "remote_closed"))
            // Retry cycles while down are not drops.
            scenario.apply(.state(drop + 1, "c1", .down, .reconnecting, "retry_scheduled"))
            scenario.apply(.state(drop + 2, "c1", .reconnecting, .connecting, "retry"))
            scenario.apply(.state(drop + 3, "c1", .connecting, .down, "refused"))
            if drop < 30 { #expect(scenario.evaluate(at: drop + 4).isEmpty) }
            scenario.up(at: drop + 5, from: .down)
        }
        let fired = scenario.evaluate(at: 36)
        #expect(fired.map(\.value) == [3])
        #expect(scenario.evaluate(at: 69.9).isEmpty)
        #expect(scenario.evaluate(at: 70.5).map(\.state) == [.resolved])
    }

    @Test("per-link overrides: another limit for one link, a rule off for another")
    func overrides() {
        var policy = only(.down, AlertRule(threshold: 10))
        policy.overrides = [
            "link1": [.down: .rule(AlertRule(threshold: 30))], "link2": [.down: .off],
        ]
        #expect(policy.rules(forLink: "link1").down == AlertRule(threshold: 30))
        #expect(policy.rules(forLink: "link2").down == nil)
        #expect(policy.rules(forLink: "link3").down == AlertRule(threshold: 10))
        var scenario = Scenario(links: 3, policy: policy)
        for conn: ConnectionID in ["c1", "c2", "c3"] {
            scenario.apply(.state(0, conn, .idle, .connecting, "start"))
        }
        #expect(scenario.evaluate(at: 10).count == 1)
        #expect(scenario.alerts.map(\.conn) == ["c3"])
        #expect(scenario.evaluate(at: 30).count == 1)
        #expect(scenario.alerts.map(\.conn) == ["c3", "c1"])
        #expect(scenario.evaluate(at: 1000).isEmpty)
    }

    @Test("evaluateIfDue evaluates at most once per interval")
    func throttled() {
        var scenario = Scenario(policy: only(.down, AlertRule(threshold: 0)))
        scenario.apply(.state(0, "c1", .idle, .connecting, "start"))
        #expect(scenario.evaluator.evaluateIfDue(scenario.state, now: 1).count == 1)
        scenario.apply(.state(1.2, "c1", .connecting, .up, "ready"))
        #expect(scenario.evaluator.evaluateIfDue(scenario.state, now: 1.3).isEmpty)
        #expect(scenario.evaluator.evaluateIfDue(scenario.state, now: 1.5).count == 1)
    }

    @Test("alert events are in file precision, so a replay's state equals the live one")
    func replayEquality() throws {
        var scenario = Scenario(links: 2)
        scenario.apply(.state(0.1234, "c1", .idle, .connecting, "start"))
        scenario.up("c2", at: 1)
        for index in 0..<60 { scenario.apply(.ping(2 + Double(index), "c2", 700.123456)) }
        var events: [MonitorEvent] = []
        for step in 1...200 {
            let fired = scenario.evaluator.evaluate(scenario.state, now: Double(step) * 0.3333)
            for event in fired { scenario.state.apply(event) }
            events += fired
        }
        #expect(events.count >= 2)
        var replayed = MonitorState(connections: [Fixtures.connection(0), Fixtures.connection(1)])
        replayed.apply(.state(0.1234, "c1", .idle, .connecting, "start"))
        replayed.apply(.state(0.9, "c2", .idle, .connecting, "start"))
        replayed.apply(.state(1, "c2", .connecting, .up, "ready"))
        for index in 0..<60 { replayed.apply(.ping(2 + Double(index), "c2", 700.123456)) }
        let decoder = RecordingDecoder(header: Fixtures.header(connections: 2))
        for event in events {
            let line = try decoder.decode(RecordingEncoder.line(event).dropLast())
            #expect(line == .event(event))
            replayed.apply(event)
        }
        #expect(replayed.alerts == scenario.state.alerts)
    }

    @Test("a link that leaves ends its alert: resolved in the state at once, and as an event")
    func leaving() {
        var scenario = Scenario(links: 2, policy: only(.down, AlertRule(threshold: 1)))
        scenario.apply(.state(0, "c1", .idle, .connecting, "start"))
        scenario.up("c2", at: 0.5)
        #expect(scenario.evaluate(at: 2).count == 1)
        scenario.apply(MonitorEvent(t: 2.5, conn: "c1", kind: .linkRemoved(reason: "removed")))
        #expect(scenario.state.alerts.firing.isEmpty)
        let ended = scenario.state.alerts.resolved.elements
        #expect(ended.map(\.conn) == ["c1"] && ended.first?.resolvedT == 2.5)
        #expect(scenario.state.info(of: "c1")?.name == Fixtures.connection(0).name)

        let changes = scenario.evaluate(at: 3)
        #expect(changes.map(\.state) == [.resolved] && changes.first?.rule == "down")
        #expect(scenario.alerts.last?.conn == "c1")
        #expect(scenario.evaluator.firingCount == 0)
        // Applying that event changes nothing more: the alert is listed once.
        #expect(scenario.state.alerts.resolved.count == 1)
        #expect(scenario.evaluate(at: 4).isEmpty)
    }
}

@Suite("Alert book: events, keyframes, log")
struct AlertBookTests {
    static let firing = MonitorEvent(
        t: 15, conn: "c1",
        kind: .alert(
            AlertChange(rule: "down", state: .firing, value: 10, threshold: 10, forSeconds: 10)))
    static let resolved = MonitorEvent(
        t: 23.5, conn: "c1",
        kind: .alert(
            AlertChange(rule: "down", state: .resolved, value: 18, threshold: 10, forSeconds: 18.5)
        ))

    @Test("applying fires and resolves, logs at error then info, and ignores unknown links")
    func apply() {
        var state = MonitorState(connections: [Fixtures.connection(0)])
        state.apply(Self.firing)
        #expect(state.alerts.firing.count == 1)
        #expect(state.alerts.firing.first?.since == 5)
        #expect(state.log.elements.last?.level == .error)
        #expect(state.log.elements.last?.kind == "alert")
        state.apply(Self.resolved)
        #expect(state.alerts.firing.isEmpty)
        #expect(state.alerts.resolved.elements.first?.value == 18)
        #expect(state.log.elements.last?.level == .info)
        var other = state
        other.apply(MonitorEvent(t: 30, conn: "c9", kind: Self.firing.kind))
        #expect(other == state)
    }

    @Test(
        "the event line is documented: kind alert with rule, state, value, threshold, for_s, unit")
    func line() throws {
        let text = String(decoding: RecordingEncoder.line(Self.firing), as: UTF8.self)
        #expect(
            text
                == #"{"t":15.000,"kind":"alert","conn":"c1","rule":"down","state":"firing","value":10,"threshold":10,"for_s":10,"unit":"s"}"#
                + "\n")
        // An older writer's line without for_s, and a newer rule, still decode.
        let decoder = RecordingDecoder(header: Fixtures.header(connections: 1))
        let old = try decoder.decode(
            Array(
                #"{"t":1,"kind":"alert","conn":"c1","rule":"jitter","state":"resolved","value":1,"threshold":2}"#
                    .utf8))
        #expect(
            old
                == .event(
                    MonitorEvent(
                        t: 1, conn: "c1",
                        kind: .alert(
                            AlertChange(
                                rule: "jitter", state: .resolved, value: 1, threshold: 2,
                                forSeconds: 0)))))
        #expect(throws: LineDamage.self) {
            try decoder.decode(
                Array(
                    #"{"t":1,"kind":"alert","conn":"c1","rule":"down","state":"on","value":1,"threshold":2}"#
                        .utf8))
        }
        #expect(throws: LineDamage.self) {
            try decoder.decode(
                Array(
                    #"{"t":1,"kind":"alert","rule":"down","state":"firing","value":1,"threshold":2}"#
                        .utf8))
        }
    }

    @Test("keyframes carry firing and resolved alerts (both decoders), and omit them when empty")
    func keyframes() throws {
        let infos = [Fixtures.connection(0), Fixtures.connection(1)]
        var state = MonitorState(connections: infos)
        #expect(state.toJSON()["alerts"] == nil)
        state.apply(Self.firing)
        state.apply(Self.resolved)
        state.apply(MonitorEvent(t: 30, conn: "c2", kind: Self.firing.kind))
        let json = state.toJSON()
        #expect(json["alerts"]?["firing"]?.arrayValue?.count == 1)
        #expect(json["alerts"]?["resolved"]?.arrayValue?.count == 1)
        #expect(try MonitorState(json: json, connections: infos) == state)
        let line = RecordingEncoder.snapLine(state, t: 30)
        let fast = line.withUnsafeBufferPointer {
            SnapLineDecoder(header: Fixtures.header(connections: 2)).decode($0, 0..<($0.count - 1))
        }
        #expect(fast == state)
        // A header without c2 drops its alert.
        let fewer = try MonitorState(json: json, connections: [infos[0]])
        #expect(fewer.alerts.firing.isEmpty)
        #expect(fewer.alerts.resolved.count == 1)
        // Shifting moves every alert time.
        let shifted = state.shifted(by: -10)
        #expect(shifted.alerts.firing.first?.firedT == 20)
        #expect(shifted.alerts.resolved.elements.first?.resolvedT == 13.5)
    }

    @Test("a damaged alerts member makes the snap undecodable with a path")
    func damagedKeyframe() {
        let infos = [Fixtures.connection(0)]
        let json: JSONValue = [
            "connections": [:], "log": [], "alerts": ["firing": [["conn": "c1", "rule": "down"]]],
        ]
        #expect(throws: SnapDecodingError.self) { try MonitorState(json: json, connections: infos) }
    }

    @Test("replaying a recording shows the alerts as recorded, seeking included")
    func replay() throws {
        let header = Fixtures.header(connections: 1)
        var events: [MonitorEvent] = [
            .state(0.5, "c1", .idle, .connecting, "start"),
            .state(1, "c1", .connecting, .up, "ready"),
            .state(5, "c1", .up, .down, "ping_timeout"),
        ]
        events += [Self.firing]
        for second in 16...60 { events.append(.timeout(Double(second), "c1")) }
        events.append(.state(61, "c1", .down, .up, "ready"))
        events.append(
            MonitorEvent(t: 61.5, conn: "c1", kind: Self.resolved.kind))
        let bytes = recordingBytes(header: header, events: events, snapEvery: 10)
        var replayer = try Replayer(bytes: bytes, file: "alerts.upmon")
        #expect(replayer.state(at: 10).alerts.firing.isEmpty)
        #expect(replayer.state(at: 40).alerts.firing.map(\.rule) == ["down"])
        #expect(replayer.state(at: 62).alerts.firing.isEmpty)
        #expect(replayer.state(at: 62).alerts.resolved.count == 1)
        #expect(replayer.state(at: 20).alerts.firing.first?.firedT == 15)
        _ = replayer.advance(to: .infinity)
    }

    @Test("Prometheus: upmon_alert_firing has HELP and TYPE and one sample per firing alert")
    func prometheus() {
        var state = MonitorState(connections: [Fixtures.connection(0, name: #"a"b"#)])
        let empty = PrometheusExporter.render(state, now: 0)
        #expect(empty.contains("# TYPE upmon_alert_firing gauge\n"))
        #expect(!empty.contains("upmon_alert_firing{"))
        state.apply(Self.firing)
        let text = PrometheusExporter.render(state, now: 0)
        #expect(text.hasSuffix("upmon_alert_firing{conn=\"a\\\"b\",rule=\"down\"} 1\n"))
    }
}
