import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("command line")
struct CommandTests {
    func run(_ line: String, in model: inout AppModel) -> [Effect] {
        press(&model, .char(":"))
        type(&model, line)
        return press(&model, .enter)
    }

    @Test("commands change the UI or emit effects")
    func commands() {
        var model = Fixture.model()
        #expect(run("theme light", in: &model) == [.setTheme("light")])
        _ = run("sort p95 desc", in: &model)
        #expect(model.ui.sortKey == .p95 && !model.ui.sortAscending)
        _ = run("filter state:up", in: &model)
        #expect(model.ui.filterText == "state:up")
        _ = run("graph block", in: &model)
        #expect(model.ui.graphSymbols == .block)
        _ = run("conn refused", in: &model)
        #expect(model.selectedName == "refused")
        #expect(model.ui.filterText == "")
        #expect(run("reconnect slow", in: &model) == [.reconnect(Fixture.id("slow"))])
        #expect(run("hold all", in: &model).count == 7)
        _ = run("yaxis 0-200", in: &model)
        #expect(model.ui.yAxis == .fixed(min: 0, max: 200))
        #expect(run("q", in: &model) == [.quit(.quit)])
    }

    @Test("unknown commands and bad arguments set an error status")
    func errors() {
        var model = Fixture.model()
        #expect(run("frobnicate", in: &model).isEmpty)
        #expect(model.ui.status?.text == "unknown command: frobnicate")
        #expect(model.ui.status?.isError == true)
        _ = run("theme nope", in: &model)
        #expect(model.ui.status?.isError == true)
        _ = run("goto +5s", in: &model)
        #expect(model.ui.status?.text == ":goto works in replay")
    }

    @Test("Tab completes commands and names; ↑ recalls history")
    func completion() {
        var model = Fixture.model()
        press(&model, .char(":"))
        type(&model, "rec")
        press(&model, .tab)
        guard case .commandLine(let field, _) = model.ui.overlay else {
            Issue.record("closed")
            return
        }
        #expect(String(field.characters) == "reco")  // reconnect, record
        type(&model, "n")
        press(&model, .tab)
        type(&model, "fl")
        press(&model, .tab)
        if case .commandLine(let completed, _) = model.ui.overlay {
            #expect(String(completed.characters) == "reconnect flappy ")
        }
        press(&model, .enter, .char(":"), .up(shift: false))
        if case .commandLine(let recalled, _) = model.ui.overlay {
            #expect(String(recalled.characters) == "reconnect flappy")
        }
    }

    @Test("the command line draws on the last body row")
    func drawn() {
        var model = Fixture.model()
        press(&model, .char(":"))
        type(&model, "theme li")
        #expect(row(Fixture.render(model), 33) == ":theme li")
    }

    @Test("recording file names come from the wall clock")
    func fileName() {
        #expect(DashboardFormat.recordingFileName(at: 0) == "upmon-19700101-000000.upmon")
        #expect(DashboardFormat.recordingFileName(at: 951_782_400) == "upmon-20000229-000000.upmon")
    }

    @Test("durations and latencies format like the mock-up")
    func formats() {
        #expect(DashboardFormat.duration(724) == "12m04s")
        #expect(DashboardFormat.duration(2) == "2s")
        #expect(DashboardFormat.msWithUnit(212.4) == "212ms")
        #expect(DashboardFormat.msWithUnit(12.14) == "12.1ms")
        #expect(DashboardFormat.percent(0.0083) == "0.8%")
        #expect(DashboardFormat.speed(0.25) == "0.25×")
        #expect(DashboardFormat.grouped(1204) == "1,204")
        #expect(gotoTarget("-30s", position: 100, wallClockAtZero: 0) == 70)
        #expect(gotoTarget("1m30s", position: 100, wallClockAtZero: 0) == 90)
        #expect(gotoTarget("bogus", position: 100, wallClockAtZero: 0) == nil)
    }
}
