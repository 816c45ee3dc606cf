import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// A call from the dialog to a link that never connected: it goes out once, waits in the
/// link's queue (as with `upmon call`) and is answered when the link comes up.
@Suite("queued dialog calls")
struct QueuedCallTests {
    static let api = Fixture.id("api")

    static func link(_ t: Double, _ kind: MonitorEvent.Kind) -> Msg {
        .monitor(MonitorEvent(t: t, conn: api, kind: kind))
    }

    @Test("one .call while the link is idle; coming up sends nothing more; the answer settles it")
    func queuedUntilUp() {
        var live = SessionDriver.live(Fixture.infos, snapEvery: 30)
        live.send(.resize(width: 120, height: 35))
        live.send(.tick(now: 1))
        live.press(.char("c"))
        #expect(live.model.callDialog?.picker.items == [])
        live.type("add")
        live.press(.enter)
        live.type("2, 3")
        live.press(.enter)
        #expect(
            live.calls == [
                .call(
                    id: "m1", conn: Self.api, method: "add", args: [2, 3], autoCallback: true,
                    waitMs: 10_000)
            ])
        #expect(live.model.calls.map(\.status) == [.queued])
        let queued = view(
            live.model, now: 3, width: 120, height: 35, theme: Themes.plain, glyphs: .unicode)
        #expect(queued.lines.contains { $0.contains("queued (link idle) 2s") })

        // The link comes up; the runtime's queue runs the call, nothing in update re-sends it.
        live.send(
            Self.link(
                4, .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial))
        )
        live.send(
            Self.link(
                4.1, .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil)))
        live.send(Self.link(4.2, .remoteMethods(["add", "ping"])))
        for second in 5...8 { live.send(.tick(now: Double(second))) }
        #expect(live.calls.count == 1)
        live.send(.callProgress(id: "m1", .waiting))
        #expect(live.model.calls.map(\.status) == [.waiting])
        live.send(.callProgress(id: "m1", .invocation(label: "cb", n: 1, ms: 3.5, arguments: [5])))
        // A late progress note never un-settles the call.
        live.send(.callProgress(id: "m1", .waiting))
        #expect(live.model.calls.map(\.status) == [.ok(ms: 3.5)])
        #expect(live.calls.count == 1)
        let answered = view(
            live.model, now: 8, width: 120, height: 35, theme: Themes.plain, glyphs: .unicode)
        #expect(answered.lines.contains { $0.contains("ok 3.5ms") })
        #expect(answered.lines.contains { $0.contains("#1 +3.5ms cb(5)") })
    }
}
