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
        type(&model, "goto 13:52:23 UTC")
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
        #expect(row(buffer, 33).contains("12:04 / 13:20  2×    playing  marks: ▲2"))
        #expect(row(buffer, 0).hasSuffix("14:03:27 UTC"))
    }

    @Test(
        ":goto reads what the progress line shows, durations and offsets",
        arguments: [
            ("00:20", GotoTarget.position(20)), ("12:04", .position(724)),
            ("1:02:03", .position(3723)), ("90s", .position(90)), ("90", .position(90)),
            ("1m30s", .position(90)), (" 2m ", .position(120)), ("00:20.5", .position(20.5)),
            ("+30s", .offset(30)), ("-1:00", .offset(-60)), ("+ 1:00:00", .offset(3600)),
            ("-90", .offset(-90)), ("13:52:23 UTC", .wallClock(secondOfDay: 49943)),
            ("13:52 utc", .wallClock(secondOfDay: 49920)),
            ("13:52:23Z", .wallClock(secondOfDay: 49943)),
        ] as [(String, GotoTarget)])
    func gotoForms(text: String, target: GotoTarget) {
        #expect(GotoTarget(parsing: text) == target)
    }

    @Test(
        ":goto refuses what is not a time",
        arguments: [
            "", "soon", "+", "-", "1:75", "1:60:00", "1:2:3:4", ":30", "1:", "1e3", "inf",
            "nan", "+1e400", "٣٣s", "١:٢٠", "1.5:00", "25:00 UTC", "12:00:00 PM", "1:-5",
        ])
    func gotoJunk(text: String) {
        #expect(GotoTarget(parsing: text) == nil)
    }

    @Test(":goto seeks and confirms; out of range clamps with a message; junk leaves the position")
    func gotoUpdate() {
        func goto(_ argument: String, from position: Double = 300) -> (AppModel, [Effect]) {
            var model = replayModel(position: position)
            press(&model, .char(":"))
            type(&model, "goto \(argument)")
            let effects = press(&model, .enter)
            return (model, effects)
        }
        var (model, effects) = goto("00:20")
        #expect(effects == [.seek(to: 20)])
        #expect(model.replayStatus?.position == 20)
        #expect(model.ui.status?.text == "goto 00:20")
        #expect(model.ui.status?.isError == false)
        (model, effects) = goto("+30s")
        #expect(effects == [.seek(to: 330)])
        (model, effects) = goto("-1:00")
        #expect(effects == [.seek(to: 240)])
        #expect(model.ui.status?.text == "goto 04:00")
        (model, effects) = goto("20:00")
        #expect(effects == [.seek(to: 602)])
        #expect(model.ui.status?.text == "goto 10:02 (end): 20:00 is past the end")
        #expect(model.ui.status?.isError == false)
        (model, effects) = goto("-10:00")
        #expect(effects == [.seek(to: 0)])
        #expect(model.ui.status?.text == "goto 00:00 (start): -05:00 is before the start")
        (model, effects) = goto("9999999999999999:0:0")
        #expect(effects == [.seek(to: 602)])
        (model, effects) = goto("soon")
        #expect(effects.isEmpty)
        #expect(model.replayStatus?.position == 300)
        #expect(model.ui.status?.isError == true)
        #expect(
            model.ui.status?.text
                == "goto: 'soon' is not a time (try 05:00, 1:02:03, 90s, +30s, -1:00, 13:52 UTC)")
        let long = String(repeating: "x", count: 500)
        (model, effects) = goto(long)
        #expect(effects.isEmpty)
        #expect(model.ui.status?.text.contains(String(repeating: "x", count: 24) + "…") == true)
        #expect(model.ui.status?.text.contains(String(repeating: "x", count: 25)) == false)
    }

    @Test("the timeline keeps its width: paused and playing, at any position and speed")
    func timelineWidth() {
        let marks = [ReplayMark(t: 100, label: "a"), ReplayMark(t: 400, label: "b")]
        func progressRow(position: Double, paused: Bool, speed: Double) -> String {
            var model = replayModel(position: position, speed: speed, marks: marks)
            if case .replay(var status) = model.mode {
                status.duration = 3700
                status.isPaused = paused
                model.mode = .replay(status)
            }
            return row(Fixture.render(model), 33)
        }
        let playing = progressRow(position: 724, paused: false, speed: 2)
        let paused = progressRow(position: 724, paused: true, speed: 2)
        assertSnapshot(playing + "\n" + paused, named: "replay-progress-playing-paused-120")
        #expect(playing.contains("playing") && paused.contains("paused"))
        // The bar's right edge stays in the same column whatever changes.
        func barEnd(_ text: String) -> Int? {
            text.lastIndex(of: "▏").map { text.distance(from: text.startIndex, to: $0) }
        }
        let end = barEnd(playing)
        #expect(end != nil)
        for other in [
            paused, progressRow(position: 5, paused: false, speed: 0.25),
            progressRow(position: 3700, paused: true, speed: 64),
            progressRow(position: 3599, paused: false, speed: 1),
        ] {
            #expect(barEnd(other) == end, "\(other)")
            #expect(other.count == playing.count, "\(other)")
        }
    }
}
