import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("keys")
struct KeyTests {
    @Test("q quits at once when not recording")
    func quitWhenIdle() {
        var model = Fixture.model()
        #expect(press(&model, .char("q")) == [.quit(.quit)])
        #expect(model.isQuitting)
    }

    @Test("q while recording asks first; n stays, y quits")
    func quitWhileRecording() {
        var model = Fixture.model()
        model.recording = RecordingStatus(path: "a.upmon", startedT: 0)
        #expect(press(&model, .char("q")).isEmpty)
        #expect(model.ui.overlay == .confirmQuit)
        #expect(
            Fixture.render(model).lines.contains { $0.contains("Stop recording and quit? y/N") })
        #expect(press(&model, .char("n")).isEmpty)
        #expect(model.ui.overlay == .none && !model.isQuitting)
        // The recording's end line is written before the run loop is left.
        #expect(
            press(&model, .function(10), .char("y")) == [
                .finishRecording(reason: .quit, t: Fixture.now), .quit(.quit),
            ])
        #expect(model.isQuitting)
    }

    @Test("a second Ctrl-C quits without asking")
    func doubleCtrlC() {
        var model = Fixture.model()
        model.recording = RecordingStatus(path: "a.upmon", startedT: 0)
        #expect(press(&model, .ctrl("c")).isEmpty)
        #expect(
            press(&model, .ctrl("c")) == [
                .finishRecording(reason: .quit, t: Fixture.now), .quit(.quit),
            ])
        #expect(press(&model, .ctrl("c")).isEmpty, "quits once")
    }

    @Test("r reconnects, d holds or releases the selected link")
    func actions() {
        var model = Fixture.model()
        let api = Fixture.id("api")
        #expect(press(&model, .char("r")) == [.reconnect(api)])
        #expect(press(&model, .char("d")) == [.hold(api)])
        _ = update(
            &model,
            .monitor(
                MonitorEvent(
                    t: 724.5, conn: api,
                    kind: .state(from: .up, to: .down, reason: "held", detail: nil, phase: nil))))
        #expect(press(&model, .char("d")) == [.release(api)])
        #expect(row(Fixture.render(model), 3).contains("○ held"))
    }

    @Test("c r d R are refused in replay", arguments: ["c", "r", "d", "R"])
    func readOnly(key: Character) {
        var model = replayModel()
        #expect(press(&model, .char(key)).isEmpty)
        #expect(model.ui.status?.text == "replay is read-only")
        #expect(model.ui.overlay == .none)
    }

    @Test("R prompts for a file named after the wall clock, then starts; R again stops")
    func record() {
        var model = Fixture.model()
        press(&model, .char("R"))
        guard case .recordPathPrompt(let field) = model.ui.overlay else {
            Issue.record("no prompt")
            return
        }
        #expect(String(field.characters) == "upmon-20261127-140327.upmon")
        let request = RecordingRequest(
            path: "upmon-20261127-140327.upmon", overwrite: false, startT: Fixture.now)
        #expect(
            press(&model, .enter) == [
                .startRecording(request, initialState: model.monitor.shifted(by: -Fixture.now))
            ])
        _ = update(&model, .recordingStarted(RecordingStatus(path: "x", startedT: Fixture.now)))
        #expect(press(&model, .char("R")) == [.finishRecording(reason: .stopped, t: 0)])
        #expect(model.ui.status?.text == "recording stopped: 0 events written to x")
    }

    @Test("m adds a mark while recording, otherwise explains")
    func mark() {
        var model = Fixture.model()
        press(&model, .char("m"))
        #expect(model.ui.status?.text == "marks are added while recording")
        model.recording = RecordingStatus(path: "x", startedT: 0)
        press(&model, .char("m"))
        #expect(press(&model, .enter) == [.addMark(label: "mark 1")])
        press(&model, .char("m"), .ctrl("u"))
        type(&model, "deploy")
        #expect(press(&model, .enter) == [.addMark(label: "deploy")])
    }

    @Test("t cycles themes")
    func themes() {
        var model = Fixture.model()
        #expect(press(&model, .char("t")) == [.setTheme("light")])
        #expect(press(&model, .char("t")) == [.setTheme("solarized")])
        #expect(press(&model, .char("t")) == [.setTheme("default")])
    }

    @Test("pins at most six links; y toggles the axis; Tab moves focus")
    func pinsAxisFocus() {
        var model = Fixture.model()
        for _ in 0..<7 { press(&model, .char("*"), .char("j")) }
        #expect(model.ui.pinned.count == 6)
        #expect(model.ui.status?.isError == true)
        press(&model, .char("y"))
        #expect(model.ui.yAxis == .fixed(min: 0, max: 500))
        press(&model, .tab)
        #expect(model.ui.focus == .log)
        press(&model, .tab, .tab)
        #expect(model.ui.focus == .table)
        #expect(press(&model, .ctrl("l")) == [.redrawAll])
    }

    @Test("Enter opens the connection view, Esc goes back")
    func connectionView() {
        var model = Fixture.model()
        press(&model, .enter)
        #expect(model.ui.overlay == .connectionView(Fixture.id("api")))
        press(&model, .char("j"))
        #expect(model.ui.overlay == .connectionView(Fixture.id("auth")))
        let screen = Fixture.render(model)
        #expect(screen.lines[1].contains("upmon › auth"))
        assertSnapshot(screenText(screen), named: "connection-view-120x35")
        press(&model, .escape)
        #expect(model.ui.overlay == .none)
    }

    @Test("? shows help; any key closes it")
    func help() {
        var model = Fixture.model()
        press(&model, .char("?"))
        assertSnapshot(screenText(Fixture.render(model)), named: "help-live-120x35")
        press(&model, .char("x"))
        #expect(model.ui.overlay == .none)
        var replay = replayModel()
        press(&replay, .function(1))
        #expect(Fixture.render(replay).lines.contains { $0.contains("previous / next mark") })
    }
}
