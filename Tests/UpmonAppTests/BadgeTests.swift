import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("header badges")
struct BadgeTests {
    @Test("LIVE")
    func live() {
        let header = row(Fixture.render(Fixture.model()), 0)
        #expect(header.contains("▏ LIVE ▏"))
        #expect(header.hasSuffix("14:03:27 UTC"))
    }

    @Test("PAUSED +12 events counts events that arrive while paused")
    func paused() {
        var model = Fixture.model()
        press(&model, .char("p"))
        let frozen = model.displayedMonitor
        for n in 0..<12 {
            _ = update(
                &model,
                .monitor(
                    MonitorEvent(
                        t: 724 + Double(n) * 0.01, conn: Fixture.id("api"), kind: .ping(rttMs: 99)))
            )
        }
        #expect(model.displayedMonitor == frozen)
        #expect(model.monitor != frozen)
        #expect(row(Fixture.render(model), 0).contains("PAUSED +12 events"))
        press(&model, .char("p"))
        #expect(model.ui.livePause == nil)
        #expect(model.displayedMonitor == model.monitor)
    }

    @Test("REPLAY 2× with (incomplete)")
    func replay() {
        var model = replayModel()
        #expect(row(Fixture.render(model), 0).contains("REPLAY 2×"))
        if case .replay(var status) = model.mode {
            status.isComplete = false
            model.mode = .replay(status)
        }
        #expect(row(Fixture.render(model), 0).contains("REPLAY 2× (incomplete)"))
    }

    @Test("● REC 00:00:05 and REC FAILED")
    func recording() {
        var model = Fixture.model()
        _ = update(
            &model, .recordingStarted(RecordingStatus(path: "a.upmon", startedT: Fixture.now - 5)))
        #expect(row(Fixture.render(model), 0).contains("● REC 00:00:05"))
        #expect(row(Fixture.render(model, glyphs: .ascii), 0).contains("* REC 00:00:05"))
        // A failure of an earlier recording (stopped, still draining) leaves this one alone.
        _ = update(&model, .recordingFailed(path: "old.upmon", error: "old.upmon: disk full"))
        #expect(model.recording?.failure == nil)
        let effects = update(&model, .recordingFailed(path: "a.upmon", error: "disk full"))
        #expect(effects == [.writeLog("recording failed: disk full")])
        #expect(row(Fixture.render(model), 0).contains("REC FAILED"))
    }

    @Test("the clock is wall time at zero plus now")
    func clock() {
        let model = Fixture.model()
        #expect(headerClock(model, now: 0) == "13:51:23 UTC")
        #expect(headerClock(model, now: 3600) == "14:51:23 UTC")
    }

    @Test("status messages expire on tick")
    func statusExpiry() {
        var model = Fixture.model()
        _ = update(&model, .status("theme: light", isError: false))
        #expect(model.ui.status?.text == "theme: light")
        #expect(row(Fixture.render(model), 34).hasSuffix("theme: light"))
        _ = update(&model, .tick(now: Fixture.now + 10))
        #expect(model.ui.status == nil)
    }
}
