import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("call dialog")
struct CallDialogTests {
    @Test("methods are sorted with the ping method last")
    func ordering() {
        #expect(
            CallDialogState.orderedMethods(["upnode.ping", "time", "add", "ping", "echo"])
                == ["add", "echo", "time", "ping", "upnode.ping"])
    }

    @Test("picker: type to filter, Enter picks")
    func picker() {
        var model = Fixture.model()
        press(&model, .char("c"))
        #expect(model.callDialog?.stage == .picking)
        assertSnapshot(screenText(Fixture.render(model)), named: "call-picker-120x35")
        type(&model, "cnt")
        #expect(model.callDialog?.picker.matches == ["countdown"])
        press(&model, .enter)
        #expect(model.callDialog?.stage == .editing)
        #expect(model.callDialog?.method == "countdown")
    }

    @Test("invalid JSON shows the column and Enter does nothing")
    func invalidJSON() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "status")
        press(&model, .enter, .ctrl("u"))
        type(&model, "[1, 2 3]")
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("unexpected '3' at col 7") })
        assertSnapshot(screenText(screen), named: "call-invalid-json-120x35")
        #expect(press(&model, .enter).isEmpty)
        #expect(model.callDialog?.stage == .editing)
        #expect(model.calls.isEmpty)
    }

    @Test("validation needs an array and reports character columns")
    func validation() {
        #expect(validateArguments("[]") == .success([]))
        #expect(validateArguments("{}").failureText == "arguments must be a JSON array at col 1")
        #expect(validateArguments("[\"é\" x]").failureText == "unexpected 'x' at col 6")
        #expect(validateArguments("").failureText?.hasPrefix("empty") == true)
    }

    @Test("a call to a down link is queued and shows the link's state and its wait")
    func queued() {
        var model = Fixture.model()
        press(&model, .char("j"), .char("j"))  // flappy, retrying
        press(&model, .char("c"))
        type(&model, "echo")
        press(&model, .enter, .ctrl("u"))
        type(&model, "[\"hi\"]")
        let effects = press(&model, .enter)
        #expect(
            effects == [
                .call(
                    id: "m1", conn: Fixture.id("flappy"), method: "echo", args: ["hi"],
                    autoCallback: true, waitMs: 10_000)
            ])
        #expect(model.calls.last?.status == .queued)
        let later = view(
            model, now: Fixture.now + 3.2, width: 120, height: 35, theme: Themes.plain,
            glyphs: .unicode)
        #expect(later.lines.contains { $0.contains("queued (link retry 1) 3.2s") })
        assertSnapshot(screenText(later), named: "call-queued-120x35")
    }

    @Test("a streaming countdown shows three invocations")
    func streaming() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "countdown")
        press(&model, .enter, .ctrl("u"))
        type(&model, "[3]")
        press(&model, .tab, .char(" "), .tab, .backspace, .backspace)
        type(&model, "2.5")
        let effects = press(&model, .enter)
        #expect(
            effects == [
                .call(
                    id: "m1", conn: Fixture.id("api"), method: "countdown", args: [3],
                    autoCallback: false, waitMs: 2500)
            ])
        #expect(model.calls.last?.status == .waiting)
        for n in 1...3 {
            _ = update(
                &model,
                .callProgress(
                    id: "m1",
                    .invocation(
                        label: "cb", n: n, ms: 13.9 + Double(n - 1) * 300,
                        arguments: [.int(Int64(4 - n))])))
        }
        // The first invocation settled the call; later ones only stream.
        #expect(model.calls.last?.status == .ok(ms: 13.9))
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("#3 +614ms cb(1)") })
        #expect(screen.lines.contains { $0.contains("ok 13.9ms") })
        assertSnapshot(screenText(screen), named: "call-streaming-120x35")
        press(&model, .escape)
        #expect(model.ui.overlay == .none)
        #expect(model.calls.count == 1)
    }

    @Test("↑/↓ recall earlier arguments for the method")
    func recall() {
        var model = Fixture.model()
        for args in ["[1]", "[2]"] {
            press(&model, .char("c"))
            type(&model, "echo")
            press(&model, .enter, .ctrl("u"))
            type(&model, args)
            press(&model, .enter, .escape)
        }
        press(&model, .char("c"))
        type(&model, "echo")
        press(&model, .enter)
        press(&model, .up(shift: false))
        #expect(model.callDialog.map { String($0.arguments.characters) } == "[2]")
        press(&model, .up(shift: false))
        #expect(model.callDialog.map { String($0.arguments.characters) } == "[1]")
        press(&model, .down(shift: false), .down(shift: false))
        #expect(model.callDialog.map { String($0.arguments.characters) } == "[]")
    }

    @Test("a {\"$cb\"} placeholder turns the automatic callback off")
    func placeholder() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "echo")
        press(&model, .enter, .ctrl("u"))
        type(&model, "[{\"$cb\":\"tick\"}]")
        guard case .call(_, _, _, _, let auto, _)? = press(&model, .enter).first else {
            Issue.record("no call")
            return
        }
        #expect(!auto)
    }

    @Test("pasting 10 KB into the arguments stays linear and never crashes")
    func paste() {
        var model = Fixture.model()
        model.ui.screenWidth = 120
        press(&model, .char("c"))
        type(&model, "echo")
        press(&model, .enter, .ctrl("u"))
        var text = "["
        while text.utf8.count < 10_000 {
            text += "\"abcdefghij\\u0041\", 12345, {\"k\": [true, null]}, "
        }
        text += "0]"
        type(&model, text)
        let dialog = model.callDialog
        #expect(dialog.map { $0.arguments.characters.count } == text.count)
        // The scroll follows the cursor, so drawing the field looks at one screen of text.
        #expect((dialog?.arguments.scroll ?? 0) > text.count - 200)
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("valid JSON array") })
        // Hostile paste: control characters and deep nesting.
        press(&model, .ctrl("u"))
        type(&model, String(repeating: "[", count: 5000) + "\u{1b}[2J")
        let hostile = screenText(Fixture.render(model))
        #expect(hostile.contains("nested deeper than"))
        #expect(!hostile.unicodeScalars.contains { $0.value == 0x1b })
    }

    @Test("a link that never connected: the method is typed, the call queues with the link's state")
    func neverConnected() {
        var model = Fixture.model()
        model.ui.selected = Fixture.id("refused")
        press(&model, .char("c"))
        #expect(model.callDialog?.stage == .picking)
        #expect(model.callDialog?.picker.items == [])
        #expect(press(&model, .enter).isEmpty, "Enter with no name picks nothing")
        #expect(model.callDialog?.stage == .picking)
        type(&model, "session.whoami")
        let picking = Fixture.render(model)
        #expect(picking.lines.contains { $0.contains("No methods known yet (link dial)") })
        press(&model, .enter)
        #expect(model.callDialog?.method == "session.whoami")
        let effects = press(&model, .enter)
        #expect(
            effects == [
                .call(
                    id: "m1", conn: Fixture.id("refused"), method: "session.whoami", args: [],
                    autoCallback: true, waitMs: 10_000)
            ])
        #expect(model.calls.last?.status == .queued)
        let later = view(
            model, now: Fixture.now + 1.5, width: 120, height: 35, theme: Themes.plain,
            glyphs: .unicode)
        #expect(later.lines.contains { $0.contains("queued (link dial) 1.5s") })
        assertSnapshot(screenText(later), named: "call-queued-never-connected-120x35")
    }

    @Test("after sending, the form keeps focus: edit and Enter sends again")
    func sendAgain() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "add")
        press(&model, .enter)
        type(&model, "2, 3")
        #expect(press(&model, .enter).count == 1)
        #expect(model.callDialog?.stage == .sent(callID: "m1"))
        #expect(model.callDialog?.field == .arguments)
        _ = update(
            &model,
            .callProgress(id: "m1", .invocation(label: "cb", n: 1, ms: 2.5, arguments: [5])))
        // Still editing: Backspace twice and a new number change the arguments in place.
        press(&model, .end, .left(shift: false), .backspace)
        type(&model, "4")
        #expect(model.callDialog.map { String($0.arguments.characters) } == "[2, 4]")
        let screen = Fixture.render(model)
        #expect(screen.lines.contains { $0.contains("ok 2.5ms") })
        assertSnapshot(screenText(screen), named: "call-sent-editing-120x35")
        let again = press(&model, .enter)
        #expect(
            again == [
                .call(
                    id: "m2", conn: Fixture.id("api"), method: "add", args: [2, 4],
                    autoCallback: true, waitMs: 10_000)
            ])
        #expect(model.callDialog?.stage == .sent(callID: "m2"))
        #expect(model.calls.map(\.id) == ["m1", "m2"])
        // Tab reaches the result only once something was sent.
        press(&model, .tab, .tab, .tab)
        #expect(model.callDialog?.field == .result)
        press(&model, .tab)
        #expect(model.callDialog?.field == .arguments)
    }

    @Test("the edit position is a visible cell in the theme's style, in monochrome and ASCII too")
    func cursorCell() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "ec")
        // The picker's query: the cell after "ec" is reversed.
        let picker = Fixture.render(model)
        guard let queryRow = picker.lines.firstIndex(where: { $0.contains("method> ec") }),
            let range = picker.lines[queryRow].range(of: "method> ec")
        else {
            Issue.record("no query row")
            return
        }
        let queryX = picker.lines[queryRow].distance(
            from: picker.lines[queryRow].startIndex, to: range.upperBound)
        #expect(picker[queryX, queryRow].style.attrs.contains(.reverse))
        #expect(!picker[queryX - 1, queryRow].style.attrs.contains(.reverse))
        press(&model, .enter)
        type(&model, "\"hi\"")
        let mono = ResolvedTheme(
            name: "mono", depth: .monochrome, graph: nil,
            styles: [
                "highlight": Style(attrs: .reverse), "muted": Style(attrs: .dim),
                "title": Style(attrs: .bold),
            ])
        for (theme, glyphs) in [
            (Themes.plain, Glyphs.unicode), (Themes.roleMap, .unicode), (mono, .ascii),
        ] {
            let screen = Fixture.render(model, glyphs: glyphs, theme: theme)
            guard let y = screen.lines.firstIndex(where: { $0.contains("[\"hi\"]") }) else {
                Issue.record("no arguments row")
                continue
            }
            let line = screen.lines[y]
            guard let range = line.range(of: "[\"hi\"]") else { continue }
            let start = line.distance(from: line.startIndex, to: range.lowerBound)
            // The cursor sits on the closing bracket (one ← from the end).
            let cursorX = start + 5
            let field = theme.style("highlight")
            var expected = field
            expected.attrs.formSymmetricDifference(.reverse)
            #expect(screen[cursorX, y].grapheme == "]")
            #expect(screen[cursorX, y].style == expected, "\(theme.name)")
            #expect(screen[cursorX - 1, y].style == field, "\(theme.name)")
            #expect(screen[cursorX, y].style != screen[cursorX - 1, y].style)
        }
        // The wait field shows its cursor when it has the focus.
        press(&model, .tab, .tab)
        let waitScreen = Fixture.render(model)
        guard let y = waitScreen.lines.firstIndex(where: { $0.contains("wait 10 s") }),
            let range = waitScreen.lines[y].range(of: "wait 10")
        else {
            Issue.record("no wait row")
            return
        }
        let x = waitScreen.lines[y].distance(
            from: waitScreen.lines[y].startIndex, to: range.upperBound)
        #expect(waitScreen[x, y].style.attrs.contains(.reverse))
    }
}

extension Result where Success == JSONValue, Failure == ArgumentsError {
    var failureText: String? {
        if case .failure(let error) = self { return error.text }
        return nil
    }
}

@Suite("call results")
struct CallResultTests {
    @Test("wide results are pretty-printed and folded past 20 lines; Enter unfolds")
    func folding() {
        var model = Fixture.model()
        press(&model, .char("c"))
        type(&model, "status")
        press(&model, .enter, .enter)
        var object: [(String, JSONValue)] = []
        for n in 0..<30 { object.append(("key\(n)", .string(String(repeating: "v", count: 10)))) }
        let payload = JSONValue.object(.init(uniqueKeysWithValues: object))
        _ = update(
            &model,
            .callProgress(
                id: "m1", .invocation(label: "cb", n: 1, ms: 13.9, arguments: [nil, payload])))
        let folded = Fixture.render(model)
        #expect(
            folded.lines.contains { $0.contains("more lines (Tab to the result, Enter unfolds)") })
        #expect(folded.lines.contains { $0.contains("#1 +13.9ms cb(") })
        assertSnapshot(screenText(folded), named: "call-folded-120x35")
        // Tab to the result; there Enter unfolds (elsewhere it sends again).
        press(&model, .tab, .tab, .tab)
        #expect(model.callDialog?.field == .result)
        #expect(Fixture.render(model).lines.contains { $0.contains("more lines (Enter unfolds)") })
        #expect(press(&model, .enter).isEmpty)
        #expect(model.callDialog?.isUnfolded == true)
        #expect(!Fixture.render(model).lines.contains { $0.contains("Enter unfolds") })
        press(&model, .char("c"))
        #expect(model.callDialog?.stage == .picking)
    }

    @Test("pretty printing")
    func pretty() {
        var lines: [String] = []
        prettyJSON(["a": [1, 2], "b": [:]], indent: 0, into: &lines, limit: 100)
        #expect(lines == ["{", "  \"a\": [", "    1,", "    2", "  ],", "  \"b\": {}", "}"])
    }
}
