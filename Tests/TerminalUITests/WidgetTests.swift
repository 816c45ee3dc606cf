import Testing

@testable import TerminalUI

private func render(_ width: Int, _ height: Int, _ draw: (inout Buffer, Rect) -> Void) -> String {
    var buffer = Buffer(width: width, height: height)
    draw(&buffer, buffer.area)
    return buffer.text
}

@Suite("Widgets")
struct WidgetTests {
    @Test("Block draws border and both titles")
    func block() {
        let text = render(20, 3) { b, area in
            Block(title: "Conns", titleRight: "a › b").render(into: &b, area: area)
        }
        #expect(
            text == """
                ┌ Conns ──── a › b ┐
                │                  │
                └──────────────────┘
                """)
    }

    @Test("Block truncates the title and drops a right title that does not fit")
    func blockNarrow() {
        let text = render(10, 2) { b, area in
            Block(title: "Connections", titleRight: "right").render(into: &b, area: area)
        }
        #expect(text == "┌ Conne… ┐\n└────────┘")
    }

    @Test("Block in ASCII")
    func blockASCII() {
        let text = render(6, 3) { b, area in
            Block(box: .ascii).render(into: &b, area: area)
        }
        #expect(text == "+----+\n|    |\n+----+")
    }

    @Test("Paragraph truncates and aligns")
    func paragraph() {
        let text = render(6, 3) { b, area in
            Paragraph(["left", "toolongtext", "中文中文"]).render(into: &b, area: area)
        }
        #expect(text == "left\ntoolo…\n中文…")
        let right = render(6, 1) { b, area in
            Paragraph(["ab"], alignment: .right).render(into: &b, area: area)
        }
        #expect(right == "    ab")
    }

    @Test("Table renders header, visible rows only, and highlight")
    func table() {
        var asked: [Int] = []
        let highlight = Style(attrs: .reverse)
        var buffer = Buffer(width: 12, height: 3)
        let table = Table(
            columns: [
                TableColumn("NAME", width: 5), TableColumn("RTT", width: 5, alignment: .right),
            ],
            rowCount: 1000, offset: 10, selected: 11, highlightStyle: highlight
        ) { index in
            asked.append(index)
            return TableRow(["row\(index)", "\(index)ms"])
        }
        table.render(into: &buffer, area: buffer.area)
        #expect(buffer.text == "NAME    RTT\nrow10  10ms\nrow11  11ms")
        #expect(asked == [10, 11])
        #expect(buffer[0, 2].style == highlight)
        #expect(buffer[0, 1].style == .plain)
    }

    @Test("Table truncates cells with an ellipsis")
    func tableTruncates() {
        let text = render(9, 2) { b, area in
            Table(
                columns: [TableColumn("NAME", width: 4), TableColumn("X", width: 4)], rowCount: 1
            ) { _ in
                TableRow(["flappy", "1"])
            }.render(into: &b, area: area)
        }
        #expect(text == "NAME X\nfla… 1")
    }

    @Test(
        "scroll offset keeps the selection visible with context",
        arguments: [
            (0, 0, 0), (5, 0, 3), (9, 3, 7), (99, 0, 95), (3, 10, 1), (6, 3, 4), (4, 2, 2),
        ] as [(Int, Int, Int)])
    func scrollOffset(selected: Int, current: Int, expected: Int) {
        let offset = Table.scrollOffset(
            selected: selected, current: current, visibleRows: 5, rowCount: 100)
        #expect(offset == expected)
    }

    @Test("Sparkline: levels, timeout glyph, blank for missing, right-aligned")
    func sparkline() {
        var buffer = Buffer(width: 8, height: 1)
        let timeout = Style(fg: .ansi(13))
        Sparkline(
            samples: [.value(1), .value(8), .timeout, .missing, .value(4), .value(0)],
            maxValue: 8, timeoutStyle: timeout
        ).render(into: &buffer, area: buffer.area)
        #expect(buffer.lines[0] == "  ▁█× ▄▁")
        #expect(buffer[4, 0].style == timeout)
        var ascii = Buffer(width: 3, height: 1)
        Sparkline(
            samples: [.value(1), .value(5), .value(10), .timeout], symbols: .ascii,
            timeoutGlyph: "x"
        )
        .render(into: &ascii, area: ascii.area)
        #expect(ascii.lines[0] == "=@x")
    }

    @Test("Sparkline levels")
    func sparkLevels() {
        #expect(Sparkline.level(of: 0, maxValue: 8) == 0)
        #expect(Sparkline.level(of: 1, maxValue: 8) == 0)
        #expect(Sparkline.level(of: 1.1, maxValue: 8) == 1)
        #expect(Sparkline.level(of: 8, maxValue: 8) == 7)
        #expect(Sparkline.level(of: 80, maxValue: 8) == 7)
    }

    @Test("LatencyGraph braille: 2 samples × 4 levels per cell, axis, timeout")
    func latencyBraille() {
        var buffer = Buffer(width: 8, height: 2)
        let timeoutStyle = Style(fg: .ansi(13))
        LatencyGraph(
            samples: [.value(10), .value(5), .value(2.5), .value(0), .timeout, .missing],
            yMax: 10, timeoutStyle: timeoutStyle
        ).render(into: &buffer, area: buffer.area)
        // Axis: "10ms┤" / "   0┤"; plot is 3 cells wide (6 samples).
        // 10 → 8 levels, 5 → 4 levels, 2.5 → 2 levels (of 8), 0 → nothing: ⡇ over ⣿, then ⡄.
        #expect(buffer.lines[0] == "10ms┤⡇ ×")
        #expect(buffer.lines[1] == "   0┤⣿⡄ ")
        #expect(buffer[7, 0].style == timeoutStyle)
    }

    @Test("LatencyGraph block and ascii sets")
    func latencyBlockASCII() {
        var block = Buffer(width: 4, height: 2)
        LatencyGraph(
            samples: [.value(4), .value(1), .value(3)], yMax: 4, symbols: .block, showsAxis: false
        )
        .render(into: &block, area: Rect(x: 0, y: 0, width: 3, height: 2))
        #expect(block.text == "█ ▄\n█▄█")
        var ascii = Buffer(width: 3, height: 2)
        LatencyGraph(
            samples: [.value(4), .value(1), .timeout], yMax: 4, symbols: .ascii, timeoutGlyph: "x",
            showsAxis: false
        )
        .render(into: &ascii, area: ascii.area)
        #expect(ascii.text == "| x\n|.")
    }

    @Test("LatencyGraph auto axis rounds up to a nice number")
    func niceAxis() {
        #expect(LatencyGraph.niceCeiling(41) == 50)
        #expect(LatencyGraph.niceCeiling(18.4) == 20)
        #expect(LatencyGraph.niceCeiling(212) == 250)
        #expect(LatencyGraph.niceCeiling(0.3) == 0.5)
        #expect(LatencyGraph.niceCeiling(0) == 1)
        #expect(LatencyGraph.label(2.5) == "2.5")
        #expect(LatencyGraph.label(50) == "50")
    }

    @Test("LatencyGraph overlay draws a line in its own style")
    func overlay() {
        var buffer = Buffer(width: 2, height: 1)
        let s1 = Style(fg: .ansi(12))
        LatencyGraph(
            samples: [.value(4), .value(4)], yMax: 8, showsAxis: false,
            overlays: [GraphSeries(samples: [.value(8), .value(8)], style: s1)]
        ).render(into: &buffer, area: Rect(x: 0, y: 0, width: 1, height: 1))
        // Area: 2 levels in both columns (⣤ = 0x24|0x40|0x80 … ), overlay adds the top dots.
        // Area fills 2 of 4 levels in both columns (⣤); the overlay adds the top dots (⠉).
        #expect(buffer[0, 0].grapheme == "⣭")
        #expect(buffer[0, 0].style == s1)
    }

    @Test("Gauge fills and centres its label")
    func gauge() {
        let text = render(10, 1) { b, area in
            Gauge(ratio: 0.5, label: "50%").render(into: &b, area: area)
        }
        #expect(text == "███50%░░░░")
        let ascii = render(4, 1) { b, area in
            Gauge(ratio: 0.25, filledGlyph: "#", emptyGlyph: ".").render(into: &b, area: area)
        }
        #expect(ascii == "#...")
    }

    @Test("LogPane shows newest first and clamps its offset")
    func logPane() {
        let lines: [Line] = ["l5", "l4", "l3", "l2", "l1"]
        #expect(render(4, 2) { b, a in LogPane(lines).render(into: &b, area: a) } == "l5\nl4")
        #expect(
            render(4, 2) { b, a in LogPane(lines, offset: 2).render(into: &b, area: a) } == "l3\nl2"
        )
        #expect(
            render(4, 2) { b, a in LogPane(lines, offset: 99).render(into: &b, area: a) }
                == "l2\nl1")
    }

    @Test("HintBar drops hints that do not fit whole")
    func hintBar() {
        let key = Style(attrs: .bold)
        var buffer = Buffer(width: 16, height: 1)
        let shown = HintBar(
            hints: [
                Hint(key: "?", label: "Help"), Hint(key: "q", label: "Quit"),
                Hint(key: "/", label: "Filter"),
            ],
            keyStyle: key
        ).render(into: &buffer, area: buffer.area)
        #expect(shown == 2)
        #expect(buffer.text == "?Help  qQuit")
        #expect(buffer[0, 0].style == key)
        #expect(buffer[1, 0].style == .plain)
    }

    @Test("Modal clears beneath and returns the inner area")
    func modal() {
        var buffer = Buffer(width: 8, height: 5)
        buffer.fill(buffer.area, with: "x")
        let inner = Modal(title: "Hi", width: 6, height: 3).render(into: &buffer, area: buffer.area)
        #expect(inner == Rect(x: 2, y: 2, width: 4, height: 1))
        #expect(buffer.text == "xxxxxxxx\nx┌ Hi ┐x\nx│    │x\nx└────┘x\nxxxxxxxx")
    }

    @Test("TextFieldState edits")
    func textFieldEditing() {
        var field = TextFieldState(text: "ac")
        field.handle(.left(shift: false))
        field.handle(.char("b"))
        #expect(field.text == "abc")
        #expect(field.cursor == 2)
        field.handle(.home)
        field.handle(.delete)
        #expect(field.text == "bc")
        field.handle(.end)
        field.handle(.backspace)
        #expect(field.text == "b")
        #expect(field.handle(.char("\u{1b}")) == false)
        #expect(field.handle(.up(shift: false)) == false)
        field.handle(.ctrl("u"))
        #expect(field.text == "")
        field.handle(.backspace)
        field.handle(.left(shift: false))
        #expect(field.cursor == 0)
    }

    @Test("TextField scrolls to keep the cursor visible")
    func textFieldScroll() {
        var buffer = Buffer(width: 5, height: 1)
        let state = TextFieldState(text: "[1,2,3,4]")
        let cursor = TextField(state: state).render(into: &buffer, area: buffer.area)
        #expect(buffer.text == "3,4]")
        #expect(cursor == Position(x: 4, y: 0))
        var home = state
        home.handle(.home)
        var b2 = Buffer(width: 5, height: 1)
        let c2 = TextField(state: home).render(into: &b2, area: b2.area)
        #expect(b2.text == "[1,2,")
        #expect(c2 == Position(x: 0, y: 0))
        var empty = Buffer(width: 5, height: 1)
        TextField(state: TextFieldState(), placeholder: "[]").render(into: &empty, area: empty.area)
        #expect(empty.text == "[]")
    }

    @Test("ListPicker filters as you type and picks")
    func listPicker() {
        var state = ListPickerState(items: ["add", "countdown", "echo", "status", "upnode.ping"])
        #expect(state.handle(.char("t")) == .none)
        #expect(state.matches == ["countdown", "status"])
        state.handle(.char("u"))
        #expect(state.matches == ["status"])
        state.handle(.backspace)
        state.handle(.down(shift: false))
        #expect(state.selectedItem == "status")
        var buffer = Buffer(width: 10, height: 3)
        let cursor = ListPicker(state: state).render(into: &buffer, area: buffer.area)
        #expect(buffer.text == "> t\ncountdown\nstatus")
        #expect(buffer[0, 2].style == Style(attrs: .reverse))
        #expect(cursor == Position(x: 3, y: 0))
        #expect(state.handle(.enter) == .picked("status"))
        #expect(state.handle(.escape) == .cancelled)
        state.handle(.char("z"))
        #expect(state.selectedItem == nil)
        #expect(state.handle(.enter) == .none)
    }

    @Test("Glyphs: UTF-8 and ASCII sets")
    func glyphs() {
        #expect(Glyphs.unicode.up == "●")
        #expect(Glyphs.ascii.up == "+")
        #expect(Glyphs.ascii.recording == "* REC")
        #expect(Glyphs.ascii.graphSymbols(preferred: .braille) == .ascii)
        #expect(Glyphs.unicode.graphSymbols(preferred: .block) == .block)
        #expect(GraphSymbols.ascii.sparkLevels.map(String.init).joined() == "_.-=+*#@")
    }
}
