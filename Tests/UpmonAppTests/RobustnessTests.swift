import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("robustness")
struct RobustnessTests {
    static func overlays() -> [UIState.Overlay] {
        var dialog = CallDialogState(conn: Fixture.id("api"), methods: Fixture.methods)
        dialog.stage = .editing
        dialog.method = "status"
        return [
            .none, .help(scroll: 0), .callDialog(dialog), .connectionView(Fixture.id("flappy")),
            .confirmQuit, .commandLine(TextFieldState(text: "theme"), historyIndex: nil),
        ]
    }

    @Test("every size and overlay renders without trapping", arguments: [false, true])
    func sweep(replay: Bool) {
        var base = replay ? replayModel() : Fixture.model()
        base.ui.pinned = [Fixture.id("slow"), Fixture.id("lossy")]
        for overlay in Self.overlays() {
            var model = base
            model.ui.overlay = overlay
            for width in [0, 1, 30, 60, 99, 121] {
                for height in [0, 1, 15, 19, 26, 40] {
                    let buffer = view(
                        model, now: Fixture.now, width: width, height: height,
                        theme: Themes.plain, glyphs: .unicode)
                    #expect(buffer.width == width && buffer.height == height)
                }
            }
        }
    }

    @Test("an empty session renders placeholders")
    func empty() {
        let model = AppModel(
            monitor: MonitorState(connections: []), mode: .live, sessionLabel: "empty",
            wallClockAtZero: 0)
        let text = screenText(
            view(model, now: 0, width: 120, height: 35, theme: Themes.plain, glyphs: .unicode))
        #expect(text.contains("Connections 0/0"))
        #expect(text.contains("no link selected"))
    }

    @Test("keys on an empty session do nothing harmful")
    func emptyKeys() {
        var model = AppModel(
            monitor: MonitorState(connections: []), mode: .live, sessionLabel: "",
            wallClockAtZero: 0)
        let keys: [InputEvent] = [
            .up(shift: false), .down(shift: false), .pageDown, .char("G"), .enter, .char("c"),
            .char("r"), .char("d"), .char("*"), .char("s"), .char("t"), .tab,
        ]
        for key in keys { _ = update(&model, .key(key)) }
        #expect(model.ui.overlay == .none)
        #expect(!model.isQuitting)
    }
}

@Suite("ASCII mode")
struct ASCIIModeTests {
    @Test("overlays, replay and connection view draw only ASCII", arguments: [false, true])
    func overlays(replay: Bool) {
        var base = replay ? replayModel() : Fixture.model()
        base.recording = replay ? nil : RecordingStatus(path: "x", startedT: 0)
        for overlay in RobustnessTests.overlays() {
            var model = base
            model.ui.overlay = overlay
            let text = screenText(
                view(
                    model, now: Fixture.now, width: 120, height: 35, theme: Themes.plain,
                    glyphs: .ascii))
            let offending = text.unicodeScalars.filter { !$0.isASCII }
            let lines = text.split(separator: "\n").filter {
                $0.unicodeScalars.contains { !$0.isASCII }
            }
            #expect(offending.isEmpty, "\(lines.joined(separator: "\n"))")
        }
    }
}
