import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// The dashboard words structured log entries exactly as the reducer used to write them.
@Suite("Log wording")
struct LogWordingTests {
    @Test(
        "every entry kind has its words",
        arguments: [
            (
                LogEntry.Event.transition(
                    from: .up, to: .down, reason: "ping_timeout",
                    detail: "no ping reply within 800 ms"),
                "up → down (ping_timeout): no ping reply within 800 ms"
            ),
            (
                .transition(from: .idle, to: .connecting, reason: "start", detail: nil),
                "idle → connecting (start)"
            ),
            (.pingTimeout(afterMs: 800, consecutive: 2), "ping timeout after 800 ms (2 in a row)"),
            (
                .pingTimeout(afterMs: 812.25, consecutive: 1),
                "ping timeout after 812.3 ms (1 in a row)"
            ),
            (.reconnect(attempt: 3, delayMs: 1200), "reconnect attempt 3 in 1200 ms"),
            (.reconnect(attempt: 1, delayMs: 13.94), "reconnect attempt 1 in 13.9 ms"),
            (.queueExpired(count: 1), "1 queued transaction expired"),
            (.queueExpired(count: 4), "4 queued transactions expired"),
            (.call(method: "status", origin: .manual), "→ status (manual)"),
            (.call(method: "time", origin: .queued), "→ time (queued)"),
            (
                .result(method: "status", n: 1, ok: true, durMs: 13.94, errorCode: nil),
                "← status ok 13.9 ms"
            ),
            (
                .result(method: "status", n: 2, ok: true, durMs: 100, errorCode: nil),
                "← status #2 ok 100 ms"
            ),
            (
                .result(method: "time", n: 1, ok: false, durMs: 5000, errorCode: "timeout"),
                "← time error (timeout) 5000 ms"
            ),
            (
                .result(method: "m9", n: 1, ok: false, durMs: 3, errorCode: "remote"),
                "← m9 error (remote error) 3 ms"
            ),
            (
                .result(method: "x", n: 1, ok: false, durMs: 0.04, errorCode: nil),
                "← x error (error) 0 ms"
            ),
            (.remoteMethods(count: 1), "1 remote method"),
            (.remoteMethods(count: 7), "7 remote methods"),
            (.mark(label: "before deploy"), "before deploy"),
            (.note(text: "remote has no upnode.ping"), "remote has no upnode.ping"),
            (.end(reason: .stdinClosed), "recording ended (stdin_closed)"),
            (.legacy(kind: "state", text: "up → down (refused)"), "up → down (refused)"),
        ] as [(LogEntry.Event, String)])
    func words(event: LogEntry.Event, expected: String) {
        #expect(LogWording.text(event) == expected)
    }

    @Test(
        "milliseconds: one decimal, dropped when zero",
        arguments: [
            (0.0, "0 ms"), (0.04, "0 ms"), (0.05, "0.1 ms"), (13.94, "13.9 ms"), (13.95, "14 ms"),
            (800, "800 ms"), (1234.567, "1234.6 ms"), (-2.5, "-2.5 ms"), (-0.04, "0 ms"),
        ] as [(Double, String)])
    func milliseconds(value: Double, expected: String) {
        #expect(LogWording.milliseconds(value) == expected)
    }

    @Test("state parts come from the fields, or from a version 1 entry's text")
    func stateParts() {
        let fields = UpmonApp.stateParts(
            .transition(from: .up, to: .down, reason: "refused", detail: "connect failed"))
        #expect(fields?.from == "up" && fields?.to == "down")
        #expect(fields?.reason == "refused" && fields?.detail == "connect failed")
        let text = UpmonApp.stateParts(
            .legacy(kind: "state", text: "up → down (refused): connect failed"))
        #expect(text?.from == "up" && text?.to == "down")
        #expect(text?.reason == "refused" && text?.detail == "connect failed")
        #expect(UpmonApp.stateParts(.mark(label: "a → b (c)")) == nil)
    }

    /// `monitor` as a version 1 snapshot would hold it: every log entry as its wording.
    func asVersionOne(_ monitor: MonitorState) throws -> MonitorState {
        guard case .object(var members) = monitor.toJSON(),
            let log = members["log"]?.arrayValue
        else {
            Issue.record("snapshot is not an object with a log")
            return monitor
        }
        members["log"] = .array(
            zip(log, monitor.log.elements).map { item, entry in
                var parts = item.arrayValue ?? []
                parts[3] = .string(LogWording.text(entry.event))
                return .array(parts)
            })
        return try MonitorState(json: .object(members), connections: Fixture.infos)
    }

    @Test("a version 1 log shows the same screens as the structured one")
    func versionOneScreens() throws {
        var model = Fixture.model()
        let v1 = try asVersionOne(model.monitor)
        #expect(v1.log.elements.allSatisfy { if case .legacy = $0.event { true } else { false } })
        #expect(v1.log.count == model.monitor.log.count && v1.log.count > 0)
        var old = model
        old.monitor = v1
        #expect(screenText(Fixture.render(old)) == screenText(Fixture.render(model)))
        press(&model, .enter)
        press(&old, .enter)
        #expect(model.ui.overlay == .connectionView(Fixture.id("api")))
        #expect(screenText(Fixture.render(old)) == screenText(Fixture.render(model)))
        // The log filter matches the words in both.
        for filter in ["ping timeout", "→ up", "remote method"] {
            let structured = logEntries(model.monitor, filter: filter, conn: nil)
            #expect(!structured.isEmpty, "\(filter)")
            #expect(
                structured.map(\.t) == logEntries(v1, filter: filter, conn: nil).map(\.t),
                "\(filter)")
        }
    }
}
