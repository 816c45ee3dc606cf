import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("replay controls")
struct ReplayTests {
    @Test(
        "seek keys move the cursor",
        arguments: [
            (InputEvent.right(shift: false), 305.0), (.char("l"), 305), (.left(shift: false), 295),
            (.char("h"), 295), (.right(shift: true), 360), (.char("L"), 360),
            (.left(shift: true), 240), (.char("H"), 240), (.home, 0), (.end, 602),
        ])
    func seeks(key: InputEvent, target: Double) {
        var model = replayModel()
        #expect(press(&model, key) == [.seek(to: target)])
        #expect(model.replayStatus?.position == target)
    }

    @Test("seeks are clamped to the recording")
    func clamped() {
        var model = replayModel(position: 590)
        #expect(press(&model, .char("L")) == [.seek(to: 602)])
        #expect(press(&model, .home, .char("h")) == [.seek(to: 0), .seek(to: 0)])
    }

    @Test("End pauses; space toggles; . steps and pauses")
    func pauseAndStep() {
        var model = replayModel()
        press(&model, .end)
        #expect(model.replayStatus?.isPaused == true)
        press(&model, .char(" "))
        #expect(model.replayStatus?.isPaused == false)
        #expect(press(&model, .char(".")) == [.step])
        #expect(model.replayStatus?.isPaused == true)
    }

    @Test(", seeks to the event before the latest one")
    func stepBack() {
        var model = replayModel(position: 723.0)
        if case .replay(var status) = model.mode {
            status.duration = 724
            model.mode = .replay(status)
        }
        // Latest event at or before 723.0 is refused's 722.7 state change... the one before is 722.6.
        let effects = press(&model, .char(","))
        guard case .seek(let target)? = effects.first else {
            Issue.record("no seek")
            return
        }
        #expect(target < 723.0)
        #expect(target > 722.0)
    }

    @Test("+ and - step through the speeds and stop at the ends")
    func speeds() {
        var model = replayModel(speed: 1)
        press(&model, .char("+"))
        #expect(model.replayStatus?.speed == 2)
        for _ in 0..<10 { press(&model, .char("+")) }
        #expect(model.replayStatus?.speed == 64)
        for _ in 0..<20 { press(&model, .char("-")) }
        #expect(model.replayStatus?.speed == 0.25)
        #expect(steppedSpeed(3, up: true) == 4)
        #expect(steppedSpeed(3, up: false) == 2)
    }

    @Test("[ and ] jump between marks more than half a second away")
    func marks() {
        let marks = [
            ReplayMark(t: 100, label: "a"), ReplayMark(t: 300.3, label: "b"),
            ReplayMark(t: 400, label: "c"),
        ]
        var model = replayModel(position: 300, marks: marks)
        #expect(press(&model, .char("]")) == [.seek(to: 400)])
        #expect(press(&model, .char("[")) == [.seek(to: 300.3)])
        #expect(press(&model, .char("[")) == [.seek(to: 100)])
        #expect(press(&model, .char("[")).isEmpty)
    }

    @Test("m in replay explains that marks are added while recording")
    func markInReplay() {
        var model = replayModel()
        #expect(press(&model, .char("m")).isEmpty)
        #expect(model.ui.status?.text == "marks are added while recording")
    }

    @Test(":goto and :speed")
    func commands() {
        var model = replayModel()
        press(&model, .char(":"))
        type(&model, "goto +90s")
        #expect(press(&model, .enter) == [.seek(to: 390)])
        press(&model, .char(":"))
        type(&model, "goto 13:52:23")
        #expect(press(&model, .enter) == [.seek(to: 60)])
        press(&model, .char(":"))
        type(&model, "speed 8")
        press(&model, .enter)
        #expect(model.replayStatus?.speed == 8)
    }

    @Test("replay state replaces the monitor and the position")
    func replayState() {
        var model = replayModel()
        let empty = MonitorState(connections: Fixture.infos)
        _ = update(&model, .replayMoved(empty, position: 12))
        #expect(model.monitor == empty)
        #expect(model.replayStatus?.position == 12)
    }

    @Test("replay screen with the progress line")
    func screen() {
        let marks = [ReplayMark(t: 100, label: "a"), ReplayMark(t: 400, label: "b")]
        var model = replayModel(position: Fixture.now, marks: marks)
        if case .replay(var status) = model.mode {
            status.duration = 800
            model.mode = .replay(status)
        }
        let buffer = Fixture.render(model)
        assertSnapshot(screenText(buffer), named: "replay-120x35")
        #expect(row(buffer, 33).contains("12:04 / 13:20  2×  marks: ▲2"))
        #expect(row(buffer, 0).hasSuffix("14:03:27 UTC"))
    }
}
