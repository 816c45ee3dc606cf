import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// A left press (or another button / kind) at a cell.
private func click(
    _ model: inout AppModel, x: Int, y: Int, button: MouseEvent.Button = .left,
    kind: MouseEvent.Kind = .press
) -> [Effect] {
    update(
        &model, .key(.mouse(MouseEvent(button: button, kind: kind, position: Position(x: x, y: y))))
    )
}

/// Where `text` first appears on the screen at or below row `from` (cells are one column wide
/// on the screens searched here).
private func find(_ text: String, in lines: [String], from: Int = 0) -> Position? {
    for (y, line) in lines.enumerated() where y >= from {
        if let range = line.range(of: text) {
            return Position(x: line.distance(from: line.startIndex, to: range.lowerBound), y: y)
        }
    }
    return nil
}

@Suite("Mouse")
struct MouseTests {
    @Test("a click on a table row selects that link and focuses the table")
    func clickRow() throws {
        var model = Fixture.model()
        model.ui.focus = .log
        let screen = Fixture.render(model)
        let header = try #require(find("NAME", in: screen.lines))
        let lossy = try #require(find(" lossy ", in: screen.lines, from: header.y))
        _ = click(&model, x: lossy.x + 2, y: lossy.y)
        #expect(model.selectedName == "lossy")
        #expect(model.ui.focus == .table)
        // The highlighted row on the next frame is the clicked one.
        let after = Fixture.render(model)
        #expect(after.line(lossy.y).contains("lossy"))
        #expect(after[lossy.x + 2, lossy.y].style == Themes.plain.style("highlight"))
        // The header row, a release, a right click and motion select nothing.
        for (y, button, kind) in [
            (header.y, MouseEvent.Button.left, MouseEvent.Kind.press),
            (lossy.y - 1, .left, .release),
            (lossy.y - 1, .right, .press), (lossy.y - 1, .left, .motion),
        ] {
            _ = click(&model, x: 3, y: y, button: button, kind: kind)
            #expect(model.selectedName == "lossy")
        }
    }

    @Test("the wheel over the table moves the selection a row at a time, as ↑/↓ do")
    func wheelTable() throws {
        var model = Fixture.model()
        let screen = Fixture.render(model)
        let row = try #require(find(" api ", in: screen.lines))
        var keys = Fixture.model()
        _ = click(&model, x: 10, y: row.y, button: .wheelDown)
        _ = click(&model, x: 10, y: row.y, button: .wheelDown)
        press(&keys, .down(shift: false), .down(shift: false))
        #expect(model.selectedName == keys.selectedName)
        #expect(model.ui.tableScroll == keys.ui.tableScroll)
        _ = click(&model, x: 10, y: row.y, button: .wheelUp)
        press(&keys, .up(shift: false))
        #expect(model.selectedName == keys.selectedName)
    }

    @Test("a click on the events pane focuses it; the wheel there scrolls the log, clamped")
    func logPane() throws {
        var model = Fixture.model()
        let screen = Fixture.render(model)
        let events = try #require(find("Events", in: screen.lines))
        _ = click(&model, x: 40, y: events.y + 2, button: .wheelDown)
        #expect(model.ui.logScroll == wheelLines)
        #expect(model.ui.focus == .table)  // the wheel does not move the focus
        _ = click(&model, x: 40, y: events.y + 2, button: .wheelUp)
        _ = click(&model, x: 40, y: events.y + 2, button: .wheelUp)
        #expect(model.ui.logScroll == 0)
        _ = click(&model, x: 40, y: events.y + 2)
        #expect(model.ui.focus == .log)
        for _ in 0..<1000 { _ = click(&model, x: 40, y: events.y + 2, button: .wheelDown) }
        #expect(model.ui.logScroll == model.monitor.log.count - 1)
    }

    @Test("a click on the detail pane focuses it")
    func detailPane() throws {
        var model = Fixture.model()
        let screen = Fixture.render(model)
        let detail = try #require(find("Detail", in: screen.lines))
        _ = click(&model, x: detail.x + 3, y: detail.y + 3)
        #expect(model.ui.focus == .detail)
    }

    @Test("every footer hint region covers its drawn text, Unicode and ASCII, with a status up")
    func footerRegions() {
        for unicode in [true, false] {
            var model = Fixture.model()
            model.ui.isUnicode = unicode
            model.ui.setStatus("a status message on the right")
            let glyphs = Glyphs.forTerminal(unicode: unicode)
            let screen = Fixture.render(model, glyphs: glyphs)
            let footer = Rect(x: 0, y: screen.height - 1, width: screen.width, height: 1)
            let area = footerHintArea(model, now: Fixture.now, area: footer, glyphs: glyphs)
            let bar = HintBar(hints: footerHints(model, glyphs: glyphs))
            let regions = bar.regions(in: area)
            #expect(regions.count >= 8)
            let line = Array(screen.line(footer.y))
            for (hint, region) in zip(bar.hints, regions) {
                #expect(String(line[region.x..<region.maxX]) == hint.key + hint.label)
            }
        }
    }

    @Test("a click on a footer hint does what its key does")
    func footerClicks() throws {
        var model = Fixture.model()
        let main = Fixture.render(model).lines
        let footer = main.count - 1
        let help = try #require(find("?Help", in: main, from: footer))
        _ = click(&model, x: help.x + 2, y: help.y)
        #expect(model.ui.overlay == .help(scroll: 0))
        // Over the help, the footer's Esc hint closes it.
        let helpScreen = Fixture.render(model).lines
        let close = try #require(find("EscClose", in: helpScreen, from: footer))
        _ = click(&model, x: close.x, y: close.y)
        #expect(model.ui.overlay == .none)
        // Hints naming several keys (↑↓) do nothing; the gap between hints does nothing.
        let select = try #require(find("↑↓Select", in: main, from: footer))
        _ = click(&model, x: select.x, y: select.y)
        _ = click(&model, x: select.x - 1, y: select.y)
        #expect(model.ui.overlay == .none)
        #expect(model.selectedName == Fixture.model().selectedName)
        let quit = try #require(find("qQuit", in: main, from: footer))
        #expect(click(&model, x: quit.x, y: quit.y) == [.quit(.quit)])
    }

    @Test("the wheel scrolls the help; a click outside it closes it, inside does not")
    func helpOverlay() throws {
        var model = Fixture.model()
        model.ui.screenHeight = 24
        press(&model, .char("?"))
        _ = click(&model, x: 60, y: 10, button: .wheelDown)
        #expect(model.ui.overlay == .help(scroll: wheelLines))
        _ = click(&model, x: 60, y: 10, button: .wheelUp)
        _ = click(&model, x: 60, y: 10, button: .wheelUp)
        #expect(model.ui.overlay == .help(scroll: 0))
        let screen = Fixture.render(model, height: 24)
        let title = try #require(find("Help", in: screen.lines))
        _ = click(&model, x: title.x + 2, y: title.y + 2)
        #expect(model.ui.overlay == .help(scroll: 0))
        _ = click(&model, x: 0, y: title.y + 2)
        #expect(model.ui.overlay == .none)
    }

    @Test("a click on a method in the call dialog picks it; clicks elsewhere do nothing")
    func callDialog() throws {
        var model = Fixture.model()
        press(&model, .char("c"))
        let screen = Fixture.render(model)
        let prompt = try #require(find("method> ", in: screen.lines))
        let echo = try #require(find("echo", in: screen.lines, from: prompt.y + 1))
        _ = click(&model, x: 0, y: echo.y)  // outside the box
        _ = click(&model, x: echo.x, y: prompt.y - 1)  // the instruction line
        #expect(model.callDialog?.stage == .picking)
        _ = click(&model, x: echo.x, y: echo.y, button: .wheelDown)
        #expect(model.callDialog?.picker.selected == 1)
        _ = click(&model, x: echo.x + 1, y: echo.y)
        #expect(model.callDialog?.stage == .editing)
        #expect(model.callDialog?.method == "echo")
        // Editing: clicks leave the form as it is.
        _ = click(&model, x: echo.x, y: echo.y)
        #expect(model.callDialog?.method == "echo")
        #expect(model.callDialog?.stage == .editing)
    }

    @Test("prompts ignore clicks: nothing is confirmed or cancelled by a stray click")
    func prompts() {
        var model = Fixture.model()
        model.recording = RecordingStatus(path: "x.upmon", startedT: 0)
        press(&model, .char("q"))
        #expect(model.ui.overlay == .confirmQuit)
        for y in [1, 10, 17, 20] { _ = click(&model, x: 60, y: y) }
        #expect(model.ui.overlay == .confirmQuit)
        #expect(!model.isQuitting)
        press(&model, .char("n"), .char(":"))
        _ = click(&model, x: 3, y: 5)
        #expect(model.ui.overlay == .commandLine(TextFieldState(), historyIndex: nil))
    }

    @Test("in the connection view the wheel steps through the links as ↑/↓ do there")
    func connectionView() {
        var model = Fixture.model()
        var keys = Fixture.model()
        press(&model, .enter)
        press(&keys, .enter, .down(shift: false))
        _ = click(&model, x: 30, y: 10, button: .wheelDown)
        _ = click(&model, x: 30, y: 10)
        #expect(model.ui.overlay == keys.ui.overlay)
    }

    @Test("replay: a click on the progress bar seeks there")
    func replaySeek() throws {
        var model = replayModel(position: 300)
        let screen = Fixture.render(model)
        let status = try #require(model.replayStatus)
        let bar = try #require(
            replayBarArea(
                status, area: Rect(x: 0, y: screen.height - 2, width: screen.width, height: 1),
                wallClockAtZero: model.wallClockAtZero, unicode: true))
        #expect(Array(screen.line(bar.y))[bar.x - 1] == "▕")
        #expect(Array(screen.line(bar.y))[bar.maxX] == "▏")
        #expect(click(&model, x: bar.x, y: bar.y) == [.seek(to: 0)])
        #expect(click(&model, x: bar.maxX - 1, y: bar.y) == [.seek(to: 602)])
        #expect(click(&model, x: bar.maxX, y: bar.y) == [])
        #expect(model.replayStatus?.position == 602)
    }

    @Test("presses outside the screen, on a too small screen, or while quitting do nothing")
    func outside() {
        let base = Fixture.model()
        for (x, y) in [(-1, 5), (5, -1), (120, 5), (5, 35), (Int.max, Int.max), (Int.min, 0)] {
            var model = base
            #expect(click(&model, x: x, y: y) == [])
            #expect(model.ui == base.ui)
        }
        var small = base
        _ = update(&small, .resize(width: 40, height: 10))
        #expect(click(&small, x: 5, y: 5) == [])
        #expect(small.ui.focus == .table)
    }
}
