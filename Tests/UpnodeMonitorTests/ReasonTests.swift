import DnodeProtocol
import Testing

@testable import UpnodeMonitor

/// Why a link is not up and since when: kept by the reducer, stored in snaps, derived for
/// snaps written before the fields existed.
@Suite("reason and since of a link that is not up")
struct ReasonTests {
    static let link = Fixtures.connection(0, name: "api")

    static func state(
        _ from: LinkStateName, _ to: LinkStateName, _ reason: String,
        _ detail: String? = nil, phase: ConnectPhaseName? = nil
    ) -> MonitorEvent.Kind {
        .state(from: from, to: to, reason: reason, detail: detail, phase: phase)
    }

    /// Up at 1, refused from 10 (three attempts), back up at 14.
    static func flap() -> [MonitorEvent] {
        let c1 = link.id
        var events: [MonitorEvent] = [
            MonitorEvent(t: 0, conn: c1, kind: state(.idle, .connecting, "start", phase: .dial)),
            MonitorEvent(t: 1, conn: c1, kind: state(.connecting, .up, "ready")),
            MonitorEvent(t: 10, conn: c1, kind: state(.up, .down, "remote_closed")),
        ]
        for attempt in 1...3 {
            let t = 10 + Double(attempt)
            events += [
                MonitorEvent(
                    t: t - 0.9, conn: c1, kind: .reconnect(attempt: attempt, delayMs: 500)),
                MonitorEvent(
                    t: t - 0.9, conn: c1, kind: state(.down, .reconnecting, "retry_scheduled")),
                MonitorEvent(
                    t: t - 0.4, conn: c1,
                    kind: state(.reconnecting, .connecting, "retry", phase: .dial)),
                MonitorEvent(
                    t: t, conn: c1, kind: state(.connecting, .down, "refused", "connection refused")
                ),
            ]
        }
        return events
    }

    @Test(
        "the reducer keeps the cause through the retry cycle, counts attempts, and clears both once up"
    )
    func reducer() {
        var state = MonitorState(connections: [Self.link])
        for event in Self.flap() { state.apply(event) }
        let down = state.connections[0]
        #expect(down.downReason == "refused")
        #expect(down.downDetail == "connection refused")
        #expect(down.whyNotUp == "connection refused")
        #expect(down.failures == 4)
        #expect(down.updownSince == 10)

        state.apply(
            MonitorEvent(
                t: 13.5, conn: Self.link.id,
                kind: Self.state(.down, .reconnecting, "retry_scheduled")))
        #expect(state.connections[0].whyNotUp == "connection refused")
        #expect(state.connections[0].updownSince == 10)

        state.apply(
            MonitorEvent(t: 14, conn: Self.link.id, kind: Self.state(.reconnecting, .up, "ready")))
        let up = state.connections[0]
        #expect(up.whyNotUp == nil)
        #expect(up.downReason == nil)
        #expect(up.failures == 0)
        #expect(up.updownSince == 14)
        #expect(up.reconnects == 3)
    }

    @Test(
        "reasons in words",
        arguments: [
            ("refused", "connection refused", "connection refused"),
            ("refused", "cannot resolve nosuch.invalid", "unknown host"),
            ("refused", "connect timed out", "timeout"),
            ("refused", "no route to host", "no route to host"),
            ("connect_timeout", nil, "timeout"),
            ("auth_failed", "login refused: {}", "auth refused"),
            ("ping_timeout", "no ping reply", "ping timeout"),
            ("tls_error", "bad cert", "tls error"),
            ("remote_closed", nil, "closed by peer"), ("some_new_code", nil, "some new code"),
        ] as [(String, String?, String)])
    func phrases(code: String, detail: String?, phrase: String) {
        #expect(LinkReasonName.phrase(code, detail: detail) == phrase)
    }

    @Test("a snap keeps reason, detail, since and attempts")
    func snapRoundTrip() throws {
        var state = MonitorState(connections: [Self.link])
        for event in Self.flap() { state.apply(event) }
        let json = state.toJSON()
        let link = json["connections"]?["c1"]
        #expect(link?["down_reason"] == "refused")
        #expect(link?["updown_since"]?.doubleValue == 10)
        #expect(link?["failures"] == .int(4))
        let decoded = try MonitorState(json: json, connections: [Self.link])
        #expect(decoded == state)
        let bytes = RecordingEncoder.snapLine(state, t: 13)
        let line = try JSONValue(parsing: String(decoding: bytes, as: UTF8.self))
        let fromLine = try MonitorState(json: line["state"] ?? .null, connections: [Self.link])
        #expect(fromLine == state)
    }

    @Test("a snap written before these fields derives them from its history and log")
    func oldSnap() throws {
        var state = MonitorState(connections: [Self.link])
        for event in Self.flap() { state.apply(event) }
        guard case .object(var root) = state.toJSON(),
            case .object(var links)? = root["connections"],
            case .object(var link)? = links["c1"]
        else {
            Issue.record("snap is not an object")
            return
        }
        for key in ["down_reason", "down_detail", "updown_since", "failures"] {
            link[key] = nil
        }
        links["c1"] = .object(link)
        root["connections"] = .object(links)
        let decoded = try MonitorState(json: .object(root), connections: [Self.link])
        let stats = decoded.connections[0]
        #expect(stats.whyNotUp == "connection refused")
        #expect(stats.updownSince == 10)
        #expect(stats.failures == 3)  // the reconnect attempt: the best an old snap knows
    }

    @Test("--once --json has reason, since and attempts; state lines keep their format")
    func jsonOutputs() throws {
        var state = MonitorState(connections: [Self.link])
        let events = Self.flap()
        for event in events { state.apply(event) }
        let line = String(decoding: RecordingEncoder.line(events.last!), as: UTF8.self)
        #expect(
            line == #"{"t":13.000,"kind":"state","conn":"c1","from":"connecting","to":"down","#
                + #""reason":"refused","detail":"connection refused"}"# + "\n")
        let snapshot = SnapshotJSON.render(state, now: 20)
        let link = snapshot["connections"]?.arrayValue?.first
        #expect(link?["reason"] == "connection refused")
        #expect(link?["since"]?.doubleValue == 10)
        #expect(link?["failures"] == .int(4))
        #expect(SnapshotJSON.exitCode(state) == 1)
    }
}
