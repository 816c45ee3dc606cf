import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// `R` (stop), `:mark` and `:yaxis` say what they did on the status line, like `:theme`,
/// `:sort` and `:speed` do.
@Suite("commands confirm what they did")
struct ConfirmationTests {
    static let api = Fixture.id("api")

    func run(_ line: String, in model: inout AppModel) -> [Effect] {
        press(&model, .char(":"))
        type(&model, line)
        return press(&model, .enter)
    }

    /// A live model recording to `run.upmon` since t = 700.
    func recordingModel() -> AppModel {
        var model = Fixture.model()
        _ = update(
            &model, .recordingStarted(RecordingStatus(path: "run.upmon", startedT: 700)))
        return model
    }

    @Test("R stops the recording and counts the events written")
    func recordingStopped() {
        var model = recordingModel()
        for n in 0..<1204 {
            _ = update(
                &model,
                .monitor(
                    MonitorEvent(t: 701 + Double(n) / 100, conn: Self.api, kind: .ping(rttMs: 2))))
        }
        let effects = press(&model, .char("R"))
        #expect(effects.count == 1)
        #expect(model.recording == nil)
        #expect(model.ui.status?.text == "recording stopped: 1,204 events written to run.upmon")
        #expect(model.ui.status?.isError == false)
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("recording stopped: 1,204 events") })

        var single = recordingModel()
        _ = update(&single, .monitor(MonitorEvent(t: 701, conn: Self.api, kind: .ping(rttMs: 2))))
        press(&single, .char("R"))
        #expect(single.ui.status?.text == "recording stopped: 1 event written to run.upmon")
    }

    @Test(":mark and m confirm the mark's number and time in the file once it is written")
    func markConfirmed() {
        var model = recordingModel()
        #expect(run("mark", in: &model) == [.addMark(label: "mark 1")])
        // The runtime stamps the mark and feeds it back as an event.
        _ = update(
            &model, .monitor(MonitorEvent(t: 772.4, conn: nil, kind: .mark(label: "mark 1"))))
        #expect(model.ui.status?.text == "mark 1 at 01:12")
        #expect(run("mark deploy v2", in: &model) == [.addMark(label: "deploy v2")])
        _ = update(
            &model, .monitor(MonitorEvent(t: 790, conn: nil, kind: .mark(label: "deploy v2"))))
        #expect(model.ui.status?.text == "mark 2 at 01:30 (deploy v2)")
        #expect(model.recording?.marks == 2)
        // Without a recording it still refuses, as before.
        var idle = Fixture.model()
        #expect(run("mark", in: &idle).isEmpty)
        #expect(idle.ui.status?.isError == true)
    }

    @Test(":yaxis confirms the axis it set; a bad range explains the usage")
    func yAxisConfirmed() {
        var model = Fixture.model()
        _ = run("yaxis 0-500", in: &model)
        #expect(model.ui.yAxis == .fixed(min: 0, max: 500))
        #expect(model.ui.status?.text == "y axis: 0-500 ms")
        _ = run("yaxis 0.5-2.5", in: &model)
        #expect(model.ui.status?.text == "y axis: 0.5-2.5 ms")
        _ = run("yaxis auto", in: &model)
        #expect(model.ui.yAxis == .auto)
        #expect(model.ui.status?.text == "y axis: auto")
        _ = run("yaxis 5-1", in: &model)
        #expect(model.ui.status?.text == "usage: :yaxis auto|MIN-MAX")
        #expect(model.ui.status?.isError == true)
    }
}
