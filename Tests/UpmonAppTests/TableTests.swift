import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("table: selection, sort, filter")
struct TableTests {
    @Test("selection follows the connection id across re-sorts")
    func selectionSticks() {
        var model = Fixture.model()
        press(&model, .char("j"), .char("j"))
        #expect(model.selectedName == "flappy")
        press(&model, .char("s"))  // state, worst first
        #expect(model.ui.sortKey == .state)
        #expect(model.selectedName == "flappy")
        let names = ConnectionQuery.rows(model.monitor, ui: model.ui).map {
            model.monitor.connections[$0].info.name
        }
        #expect(names.prefix(2) == ["flappy", "refused"])
        press(&model, .char("S"))
        #expect(model.selectedName == "flappy")
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("▶ flappy") })
    }

    @Test("s cycles name → state → last → p95 → loss → queue → retry")
    func sortCycle() {
        var model = Fixture.model()
        var seen: [UIState.SortKey] = []
        for _ in 0..<7 {
            press(&model, .char("s"))
            seen.append(model.ui.sortKey)
        }
        #expect(seen == [.state, .last, .p95, .loss, .queue, .retry, .name])
        press(&model, .function(6))
        #expect(model.ui.sortKey == .state)
    }

    @Test(
        "filter tokens",
        arguments: [
            ("state:down", ["flappy", "refused"]), ("state:!up", ["flappy", "refused"]),
            ("state:!down", ["api", "auth", "local", "lossy", "slow"]),
            ("state:retry", ["flappy"]), ("state:dial", ["refused"]), ("p95:>0.1s", ["slow"]),
            ("p95:>100ms", ["slow"]),
            ("queue:>0", ["flappy", "refused"]), ("loss:>1", ["lossy"]),
            ("p95:>100", ["slow"]), ("lo", ["local", "lossy", "slow"]),
            ("unix", ["local"]), ("queue:>0 ref", ["refused"]), ("40133", ["refused"]),
        ])
    func filters(expression: String, expected: [String]) {
        var model = Fixture.model()
        model.ui.filterText = expression
        let names = ConnectionQuery.rows(model.monitor, ui: model.ui).map {
            model.monitor.connections[$0].info.name
        }
        #expect(names == expected)
    }

    @Test("/ filters as you type; Esc clears")
    func filterEditor() {
        var model = Fixture.model()
        press(&model, .char("/"))
        type(&model, "state:up")
        #expect(model.ui.filterText == "state:up")
        #expect(row(Fixture.render(model), 1).contains("Connections 5/7"))
        press(&model, .enter)
        #expect(model.ui.overlay == .none)
        #expect(model.ui.filterText == "state:up")
        press(&model, .function(3), .escape)
        #expect(model.ui.filterText == "")
    }

    @Test("thousands of links render only the visible rows, selection kept in view")
    func manyLinks() {
        let infos = (0..<3000).map { Fixture.info($0 + 1, "link\($0)", "tcp://10.0.0.1:\($0)") }
        var model = AppModel(
            monitor: MonitorState(connections: infos), mode: .live, sessionLabel: "",
            wallClockAtZero: 0)
        press(&model, .char("G"))
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("▶ link999") })
    }

    @Test("hostile names are sanitized")
    func hostile() {
        var infos = Fixture.infos
        infos[0].name = "evil\u{1b}[2J"
        let model = AppModel(
            monitor: MonitorState(connections: infos), mode: .live, sessionLabel: "x\u{7}",
            wallClockAtZero: 0)
        let text = screenText(Fixture.render(model))
        #expect(!text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 })
        #expect(text.contains("\\x1b"))
    }

    @Test("column drop order follows the priorities")
    func dropOrder() {
        let at80 = fittedColumns(width: 78).map(\.0)
        #expect(!at80.contains(.history) && !at80.contains(.jitter) && !at80.contains(.okErr))
        #expect(at80.contains(.queue) && at80.contains(.loss) && at80.contains(.p95))
        let narrow = fittedColumns(width: 30).map(\.0)
        #expect(narrow.contains(.name) && narrow.contains(.state) && narrow.contains(.last))
        #expect(fittedColumns(width: 133).map(\.0) == TableColumnID.allCases)
        #expect(
            fittedColumns(width: 132).map(\.0) == TableColumnID.allCases.filter { $0 != .reason })
    }
}
