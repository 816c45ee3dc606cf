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

    @Test("a call to a down link is queued and shows its wait")
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
        #expect(later.lines.contains { $0.contains("queued (link down) 3.2s") })
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

    @Test("c without remote methods explains instead of opening")
    func noMethods() {
        var model = Fixture.model()
        model.ui.selected = Fixture.id("refused")
        press(&model, .char("c"))
        #expect(model.ui.overlay == .none)
        #expect(model.ui.status?.isError == true)
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
        #expect(folded.lines.contains { $0.contains("more lines (Enter unfolds)") })
        #expect(folded.lines.contains { $0.contains("#1 +13.9ms cb(") })
        assertSnapshot(screenText(folded), named: "call-folded-120x35")
        press(&model, .enter)
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
