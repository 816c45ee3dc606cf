import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// The dashboard, `--once` and `upmon call` say why a link is not up; the table shows
/// flaps; help scrolls; filters say what is wrong.
@Suite("always says why")
struct WhyTests {
    // MARK: table

    @Test("REASON column, RETRY as current/total, LAST empty while not up, sort mark")
    func tableColumns() {
        var model = Fixture.model()
        let screen = Fixture.render(model, width: 240)
        let header = screen.lines.first { $0.contains("ENDPOINT") } ?? ""
        #expect(header.contains("NAME▲"))
        #expect(header.contains("REASON"))
        let refused = screen.lines.first { $0.contains("refused ") && $0.contains("40133") } ?? ""
        #expect(refused.contains("connection refused"))
        let flappy = screen.lines.first { $0.contains("flappy") && $0.contains("40121") } ?? ""
        #expect(flappy.contains("ping timeout"))

        let context = ViewContext(
            model: model, now: Fixture.now, theme: Themes.plain, glyphs: .unicode)
        func cell(_ column: TableColumnID, _ name: String) -> String {
            let stats = model.monitor.connections.first { $0.info.name == name }!
            return tableCell(
                column, width: column.width, stats: stats, rtt: stats.rttStats, selected: false,
                context: context
            ).plainText
        }
        #expect(cell(.last, "flappy") == "")
        #expect(cell(.last, "api").hasSuffix("ms"))
        #expect(cell(.retry, "flappy") == "1/1")
        #expect(cell(.retry, "auth") == "0/1")  // came back: the reconnect still shows
        #expect(cell(.reason, "api") == "")

        press(&model, .char("s"), .char("S"))
        let sorted = Fixture.render(model, width: 240).lines.first { $0.contains("ENDPOINT") }
        #expect(sorted?.contains("STATE▼") == true)
        let ascii = Fixture.render(model, width: 240, glyphs: .ascii).lines.first {
            $0.contains("ENDPOINT")
        }
        #expect(ascii?.contains("STATEv") == true)
    }

    @Test("REASON is the first column to go at narrow widths")
    func reasonDropsFirst() {
        let wide = fittedColumns(width: 200).map(\.0)
        #expect(wide.contains(.reason) && wide.contains(.history))
        let narrower = fittedColumns(width: 130).map(\.0)
        #expect(!narrower.contains(.reason))
        #expect(narrower.contains(.history))
    }

    @Test("an outage is a gap in the graph, one blank per missed ping, not a zero")
    func outageGap() {
        let info = Fixture.info(1, "api", "tcp://127.0.0.1:1")
        var state = MonitorState(connections: [info])
        func apply(_ t: Double, _ kind: MonitorEvent.Kind) {
            state.apply(MonitorEvent(t: t, conn: info.id, kind: kind))
        }
        apply(0, .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial))
        apply(0.5, .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil))
        for t in 1...4 { apply(Double(t), .ping(rttMs: 10)) }
        apply(4.5, .state(from: .up, to: .down, reason: "remote_closed", detail: nil, phase: nil))
        apply(10.5, .state(from: .down, to: .up, reason: "ready", detail: nil, phase: nil))
        for t in 11...12 { apply(Double(t), .ping(rttMs: 10)) }
        let samples = graphSamples(state.connections[0], now: 12, limit: 40)
        let expected: [GraphSample] =
            Array(repeating: .value(10), count: 4) + Array(repeating: .missing, count: 6)
            + Array(repeating: .value(10), count: 2)
        #expect(samples == expected)
    }

    @Test("an empty filter result says so in the table body")
    func emptyResult() {
        var model = Fixture.model()
        model.ui.filterText = "nosuchlink"
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("no link matches nosuchlink") })
    }

    // MARK: filters

    @Test(
        "a bad filter says what is wrong and where",
        arguments: [
            ("p95:>abc", "p95 needs a duration, e.g. p95:>50ms (at 'p95:>abc', column 1)"),
            ("api loss:>x", "loss needs a percentage, e.g. loss:>1 (at 'loss:>x', column 5)"),
            ("queue:lots", "queue needs a number, e.g. queue:>0 (at 'queue:lots', column 1)"),
        ])
    func badFilter(text: String, message: String) {
        #expect(throws: ConnectionFilter.ParseError.self) { try ConnectionFilter.parse(text) }
        #expect(filterError(text) == "filter: " + message)
        #expect(filterError("state:!up p95:>50ms loss:>1% queue:>=0 api") == nil)
    }

    @Test("typing a bad filter keeps the previous one and shows the error")
    func badFilterKeepsPrevious() {
        var model = Fixture.model()
        press(&model, .char("/"))
        type(&model, "p95:>1")
        #expect(model.ui.filterText == "p95:>1")
        type(&model, "x")
        #expect(model.ui.filterText == "p95:>1")
        #expect(model.ui.status?.isError == true)
        #expect(model.ui.status?.text.contains("p95 needs a duration") == true)
        press(&model, .enter)
        #expect(model.ui.overlay != .none)  // stays open on a bad filter
        press(&model, .backspace)
        #expect(model.ui.status == nil)
        press(&model, .enter)
        #expect(model.ui.overlay == .none)
        #expect(model.ui.filterText == "p95:>1")
    }

    @Test(":filter refuses a bad filter and keeps the current one")
    func commandFilter() {
        var model = Fixture.model()
        model.ui.filterText = "api"
        press(&model, .char(":"))
        type(&model, "filter state:sideways")
        press(&model, .enter)
        #expect(model.ui.filterText == "api")
        #expect(model.ui.status?.text.hasPrefix("filter: state needs") == true)
    }

    // MARK: help

    @Test("help scrolls at 60×15 to its last line and back; other keys close it")
    func helpScrolls() {
        var model = Fixture.model()
        model.ui.screenWidth = 60
        model.ui.screenHeight = 15
        model.ui.version = "1.2.3"
        press(&model, .char("?"))
        let top = screenText(Fixture.render(model, width: 60, height: 15))
        #expect(top.contains("↓ 1-"))
        press(&model, .end)
        let bottom = Fixture.render(model, width: 60, height: 15)
        assertSnapshot(screenText(bottom), named: "help-60x15-end")
        #expect(bottom.lines.contains { $0.contains("version") && $0.contains("1.2.3") })
        #expect(bottom.lines.contains { $0.contains("HISTORY") })
        let end = model.ui.overlay
        press(&model, .down(shift: false), .char("j"))
        #expect(model.ui.overlay == end)  // clamped at the end
        press(&model, .char("k"))
        #expect(model.ui.overlay != end)
        press(&model, .home)
        #expect(model.ui.overlay == .help(scroll: 0))
        press(&model, .pageDown)
        #expect(model.ui.overlay != .help(scroll: 0))
        press(&model, .char("x"))
        #expect(model.ui.overlay == .none)
    }

    @Test("every table column has a line in the legend")
    func legend() {
        let legend = columnLegend().map(\.key).joined(separator: " ")
        for column in TableColumnID.allCases where column != .marker {
            #expect(legend.contains(column.title), "\(column.title)")
        }
    }

    @Test("help rows wrap instead of cutting text")
    func helpWraps() {
        let model = Fixture.model()
        let rows = helpRows(model, width: 54, unicode: true)
        #expect(rows.allSatisfy { TextWidth.width(of: $0.text) <= 54 - 15 })
        let filterText = rows.map(\.text).joined(separator: " ")
        #expect(filterText.contains("p95:>50ms"))
    }

    // MARK: --once and upmon call

    @Test("--once report: one row per link with state, since, reason")
    func onceReport() {
        let text = OnceReport.render(Fixture.monitor(), now: Fixture.now, configName: "demo")
        assertSnapshot(text, named: "once-report")
        let lines = text.split(separator: "\n")
        #expect(lines.first == "upmon --once  demo  t=12m04s  5/7 up")
        #expect(lines.contains { $0.hasPrefix("refused") && $0.contains("connection refused") })
    }

    @Test("upmon call: a notice after a second, again only when the reason changes")
    func callNotices() {
        let info = Fixture.info(1, "127.0.0.1:7999", "tcp://127.0.0.1:7999")
        var state = MonitorState(connections: [info])
        var notices = CallNotices(name: "127.0.0.1:7999")
        func apply(_ t: Double, _ kind: MonitorEvent.Kind) -> String? {
            state.apply(MonitorEvent(t: t, conn: info.id, kind: kind))
            return notices.linkChanged(state.connections[0])
        }
        func refusedAttempt(_ t: Double, _ reason: String, _ detail: String) -> [String?] {
            [
                apply(
                    t,
                    .state(from: .connecting, to: .down, reason: reason, detail: detail, phase: nil)
                ),
                apply(
                    t + 0.1,
                    .state(
                        from: .down, to: .reconnecting, reason: "retry_scheduled", detail: nil,
                        phase: nil)),
                apply(
                    t + 0.5,
                    .state(
                        from: .reconnecting, to: .connecting, reason: "retry", detail: nil,
                        phase: .dial)),
            ]
        }
        var printed: [String?] = [
            apply(
                0, .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial))
        ]
        printed += refusedAttempt(0.01, "refused", "connection refused")
        printed += refusedAttempt(0.6, "refused", "connection refused")
        printed.append(notices.noticeDue())
        printed += refusedAttempt(1.2, "refused", "connection refused")
        printed += refusedAttempt(1.8, "auth_failed", "login refused")
        #expect(
            printed.compactMap { $0 } == [
                "127.0.0.1:7999 is down (connection refused, 2 attempts); the call is queued",
                "127.0.0.1:7999 is down (auth refused, 4 attempts); the call is queued",
            ])
        #expect(
            notices.failure(code: "timeout", message: "no answer within 10 s")
                == "failed (timeout): no answer within 10 s; 127.0.0.1:7999 was down "
                + "(auth refused, 4 attempts)")
        notices.sent()
        #expect(refusedAttempt(3, "refused", "connection refused").allSatisfy { $0 == nil })
    }
}
