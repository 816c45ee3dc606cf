import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// The "bad input everywhere" matrix for keystrokes (pure tier, on `update` and `view`):
/// random key sequences from the full key set, hostile `:` commands and hostile numbers from
/// data never trap, keep the model's invariants, and every step still renders.
@Suite("Bad input matrix: keystrokes")
struct BadInputMatrixTests {
    /// SplitMix64: a fixed seed gives the same keys on every run.
    struct KeyGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Every kind of key a backend can deliver, plus characters a terminal can smuggle in.
    static let specialKeys: [InputEvent] = {
        var keys: [InputEvent] = [
            .enter, .escape, .tab, .backTab, .backspace, .delete, .home, .end, .pageUp, .pageDown,
            .resize,
            .unknown(-1), .unknown(0), .unknown(410), .unknown(Int.max), .unknown(Int.min),
            .function(0), .function(13), .function(-1), .function(Int.max),
        ]
        for shift in [false, true] {
            keys += [
                .up(shift: shift), .down(shift: shift), .left(shift: shift), .right(shift: shift),
            ]
        }
        keys += (1...12).map(InputEvent.function)
        keys += "abcdefghijklmnopqrstuvwxyz[\\]^_ ?@".map(InputEvent.ctrl)
        // Mouse reports anywhere: on panes, hints and overlays, on the edges, off the screen.
        let buttons: [MouseEvent.Button] = [.left, .right, .wheelUp, .wheelDown, .other(9)]
        let cells = [(3, 4), (60, 20), (10, 34), (119, 34), (-1, -1), (Int.max, Int.min)]
        for (index, button) in buttons.enumerated() {
            for (x, y) in cells {
                keys.append(
                    .mouse(
                        MouseEvent(
                            button: button, kind: index == 4 ? .release : .press,
                            position: Position(x: x, y: y))))
            }
        }
        return keys
    }()
    static let printable = Array(
        ##" !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~"##
    )
    static let unusual: [Character] = [
        "\u{0}", "\u{1}", "\u{7}", "\u{8}", "\u{9}", "\u{A}", "\u{D}", "\u{1B}", "\u{7F}", "\u{85}",
        "\u{9B}",
        "é", "e\u{301}", "日", "本", "🙂", "👩‍👩‍👧", "🇫🇷", "ש", "\u{200B}", "\u{200F}", "\u{FEFF}",
        "\u{FFFD}", "\u{10FFFF}",
        "\u{E000}", "ǅ", "ß", "İ", "ﷺ", "\u{0301}",
    ]

    static func randomKey(using generator: inout KeyGenerator) -> InputEvent {
        switch Int.random(in: 0..<100, using: &generator) {
        case 0..<50: return .char(printable.randomElement(using: &generator) ?? "a")
        case 50..<62: return .char(unusual.randomElement(using: &generator) ?? "é")
        default: return specialKeys.randomElement(using: &generator) ?? .enter
        }
    }

    /// What the runtime would answer an effect with, so the fuzz reaches the states after it.
    static func answers(to effect: Effect, model: AppModel) -> [Msg] {
        switch effect {
        case .seek(let t):
            return [.replayMoved(model.monitor, position: t)]
        case .advanceReplay:
            return [.replayAdvanced(model.monitor)]
        case .call(let id, _, _, _, _, _):
            return [
                .callProgress(id: id, .waiting),
                .callProgress(
                    id: id, .invocation(label: "cb", n: 1, ms: 1, arguments: [1e300, "\u{1B}[2J"])),
            ]
        case .startRecording(let request, _):
            return [
                .recordingStarted(RecordingStatus(path: request.path, startedT: request.startT))
            ]
        case .setTheme(let name):
            return [.themes(available: model.ui.themeNames, active: name)]
        default:
            return []
        }
    }

    /// Checks an effect carries sane numbers (the runtime turns them into timers and seeks).
    static func expectSane(
        _ effect: Effect, _ model: AppModel, step: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch effect {
        case .seek(let t):
            let duration = model.replayStatus?.duration ?? 0
            #expect(
                t.isFinite && t >= 0 && t <= max(0, duration), "\(step): seek to \(t)",
                sourceLocation: sourceLocation)
        case .call(_, let conn, _, _, _, let waitMs):
            #expect(
                waitMs.isFinite && waitMs >= 0 && waitMs <= UpmonConfig.maxDurationSeconds * 1000,
                "\(step): wait \(waitMs)", sourceLocation: sourceLocation)
            #expect(
                model.monitor[conn] != nil, "\(step): call to a link that does not exist",
                sourceLocation: sourceLocation)
        case .reconnect(let conn), .hold(let conn), .release(let conn):
            #expect(
                model.monitor[conn] != nil, "\(step): \(effect) on a link that does not exist",
                sourceLocation: sourceLocation)
        default:
            break
        }
    }

    /// The model's invariants: selection and pins name real links, scrolls and cursors are in range, lists bounded.
    static func expectInvariants(
        _ model: AppModel, step: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let ids = Set(model.monitor.connections.map(\.id))
        if let selected = model.ui.selected {
            #expect(
                ids.contains(selected), "\(step): selection \(selected) is not a link",
                sourceLocation: sourceLocation)
        }
        #expect(
            model.ui.pinned.count <= UIState.maxPins
                && Set(model.ui.pinned).count == model.ui.pinned.count,
            "\(step): pins \(model.ui.pinned)", sourceLocation: sourceLocation)
        #expect(
            model.ui.pinned.allSatisfy(ids.contains), "\(step): a pin is not a link",
            sourceLocation: sourceLocation)
        #expect(
            model.ui.logScroll >= 0 && model.ui.tableScroll >= 0, "\(step): negative scroll",
            sourceLocation: sourceLocation)
        #expect(
            model.calls.count <= maxCallsKept
                && model.calls.allSatisfy { $0.invocations.count <= maxInvocationsKept },
            sourceLocation: sourceLocation)
        #expect(
            model.ui.commandHistory.count <= 100
                && model.ui.argumentHistory.values.allSatisfy { $0.count <= 20 },
            sourceLocation: sourceLocation)
        if let replay = model.replayStatus {
            #expect(
                replay.position >= 0 && replay.position <= max(0, replay.duration),
                "\(step): position \(replay.position)", sourceLocation: sourceLocation)
            #expect(
                ReplayStatus.speeds.contains(replay.speed)
                    || (replay.speed > 0 && replay.speed <= 1000), "\(step): speed \(replay.speed)",
                sourceLocation: sourceLocation)
        }
        func fieldOK(_ field: TextFieldState) -> Bool {
            field.cursor >= 0 && field.cursor <= field.characters.count
        }
        switch model.ui.overlay {
        case .filterEditor(let field), .recordPathPrompt(let field), .markLabelPrompt(let field):
            #expect(fieldOK(field), "\(step): cursor out of range", sourceLocation: sourceLocation)
        case .commandLine(let field, let historyIndex):
            #expect(fieldOK(field), "\(step): cursor out of range", sourceLocation: sourceLocation)
            if let historyIndex {
                #expect(
                    historyIndex >= 0 && historyIndex < max(1, model.ui.commandHistory.count),
                    "\(step): history \(historyIndex)", sourceLocation: sourceLocation)
            }
        case .callDialog(let dialog):
            #expect(
                fieldOK(dialog.arguments) && fieldOK(dialog.wait) && fieldOK(dialog.picker.query),
                "\(step): cursor out of range", sourceLocation: sourceLocation)
            #expect(
                dialog.picker.selected >= 0
                    && (dialog.picker.matches.isEmpty
                        || dialog.picker.selected < dialog.picker.matches.count),
                "\(step): picker selection", sourceLocation: sourceLocation)
            #expect(
                ids.contains(dialog.conn), "\(step): dialog for a link that does not exist",
                sourceLocation: sourceLocation)
        case .connectionView(let id):
            #expect(
                ids.contains(id), "\(step): connection view of a link that does not exist",
                sourceLocation: sourceLocation)
        default:
            break
        }
    }

    /// Applies `msg` and whatever the runtime would answer, checking effects.
    static func apply(_ msg: Msg, to model: inout AppModel, step: String) {
        var pending = [msg]
        var rounds = 0
        while !pending.isEmpty && rounds < 8 {
            rounds += 1
            let current = pending.removeFirst()
            for effect in update(&model, current) {
                expectSane(effect, model, step: step)
                pending += answers(to: effect, model: model)
            }
            model.isQuitting = false  // the runtime would exit; keep going to reach more states
        }
    }

    static let sizes = [
        (120, 35), (60, 15), (200, 60), (59, 14), (80, 24), (1, 1), (0, 0), (300, 100),
    ]

    static func render(_ model: AppModel, width: Int, height: Int, step: String) {
        let buffer = view(
            model, now: model.replayStatus?.position ?? model.ui.now, width: width, height: height,
            theme: Themes.plain, glyphs: .unicode)
        #expect(buffer.width == width && buffer.height == height, "\(step)")
    }

    /// Starting models: live, replay, an empty session, and a replay whose recording has a
    /// huge `t` (a damaged line that parsed: 1.2e29 s).
    static func startingModel(_ index: Int) -> AppModel {
        switch index % 4 {
        case 0: return Fixture.model()
        case 1:
            return replayModel(marks: [
                ReplayMark(t: 100, label: "a"), ReplayMark(t: 500, label: "\u{1B}[31mred"),
            ])
        case 2:
            var model = AppModel(
                monitor: MonitorState(connections: []), mode: .live, sessionLabel: "",
                wallClockAtZero: 0)
            model.ui.themeNames = ["default"]
            return model
        default:
            var status = ReplayStatus(fileName: "huge.upmon", position: 1.2e29, duration: 1.2e29)
            status.marks = [ReplayMark(t: 1e29, label: "far"), ReplayMark(t: 1.2e29, label: "end")]
            return Fixture.model(mode: .replay(status))
        }
    }

    /// 20,000 keys in 4 runs of 5,000 (live, replay, empty, a replay with huge times). Update
    /// and the invariants run after every key; the screen renders after every Enter (which
    /// commits a dialog or command), every 20th key at the model's own size, and every 500th
    /// at all of `sizes`: a debug-build frame costs milliseconds, and this keeps the run at a
    /// few seconds (`hostileCommandLines` renders after every command).
    @Test(
        "20,000 random keys (fixed seeds) from the full key set: no trap, invariants hold after each, the screen renders along the way",
        .timeLimit(.minutes(3))  // a hang guard, not a speed check
    )
    func randomKeys() {
        var rendered = 0
        for run in 0..<4 {
            var generator = KeyGenerator(state: 0xC0FFEE &+ UInt64(run))
            var model = Self.startingModel(run)
            for step in 0..<5_000 {
                let label = "run \(run) step \(step)"
                let roll = Int.random(in: 0..<100, using: &generator)
                var key: InputEvent?
                if roll < 3 {
                    let size = Self.sizes.randomElement(using: &generator) ?? (120, 35)
                    Self.apply(.resize(width: size.0, height: size.1), to: &model, step: label)
                } else if roll < 5 {
                    Self.apply(
                        .tick(now: model.ui.now + Double.random(in: 0..<3, using: &generator)),
                        to: &model, step: label)
                } else {
                    key = Self.randomKey(using: &generator)
                    Self.apply(.key(key ?? .enter), to: &model, step: label)
                }
                Self.expectInvariants(model, step: label)
                if key == .enter || step % 20 == 0 {
                    Self.render(
                        model, width: model.ui.screenWidth, height: model.ui.screenHeight,
                        step: label)
                    rendered += 1
                }
                if step % 500 == 0 {
                    for (width, height) in Self.sizes {
                        Self.render(model, width: width, height: height, step: label)
                        rendered += 1
                    }
                }
            }
        }
        #expect(rendered > 1_000)
    }

    /// `:` commands with hostile arguments: overflowing clock times, 400-digit and infinite
    /// numbers, control characters, 5,000-character arguments.
    static let hostileCommands: [String] = [
        "goto 9999999999999999:0:0", "goto 99:99:99", "goto -1:00:00", "goto 23:59:59",
        "goto 12:00",
        "goto +1e400", "goto +" + String(repeating: "9", count: 400) + "s",
        "goto -" + String(repeating: "9", count: 400) + "h",
        "goto +99999999999999999999h", "goto .", "goto +.s", "goto ٣٣s", "goto ½s",
        "yaxis 0-1e400", "yaxis 0-1e-300", "yaxis 1e308-1.7e308", "yaxis -5-5", "yaxis nan-nan",
        "yaxis 0-inf",
        "speed 1e-300", "speed nan", "speed inf", "speed -1", "speed 1e400x",
        "sort p95 desc", "sort \u{0}", "theme " + String(repeating: "t", count: 1000),
        "theme \u{1B}[2J",
        "conn \u{0}", "conn " + String(repeating: "c", count: 5000), "filter p95:>1e400",
        "filter loss:>nan",
        "filter queue:>-99999999999999999999", "filter state:\u{7}",
        "filter " + String(repeating: "f", count: 5000),
        "mark " + String(repeating: "m", count: 5000), "record /nonexistent/dir/x.upmon",
        "record \u{0}",
        "reconnect all", "hold all", "release all", "hold \u{0}", "graph \u{1B}", "help",
        String(repeating: ":", count: 100),
    ]

    @Test("hostile : commands in live and replay: no trap, sane effects, every result renders")
    func hostileCommandLines() {
        for index in 0..<4 {
            var model = Self.startingModel(index)
            for command in Self.hostileCommands {
                let label = "model \(index) :\(command.prefix(40))"
                Self.apply(.key(.char(":")), to: &model, step: label)
                for character in command {
                    Self.apply(.key(.char(character)), to: &model, step: label)
                }
                Self.apply(.key(.enter), to: &model, step: label)
                Self.expectInvariants(model, step: label)
                for (width, height) in Self.sizes.prefix(4) {
                    Self.render(model, width: width, height: height, step: label)
                }
                Self.apply(.key(.escape), to: &model, step: label)
            }
        }
    }

    @Test("the call dialog's wait field: 1e300, inf and 400 digits become a bounded wait")
    func callDialogWait() {
        for typed in [
            "1e300", "inf", "nan", String(repeating: "9", count: 400), "-5", "1e-300", "\u{0}",
        ] {
            var model = Fixture.model()
            var dialog = CallDialogState(conn: Fixture.id("api"), methods: Fixture.methods)
            dialog.stage = .editing
            dialog.method = "echo"
            dialog.wait = TextFieldState(text: typed)
            dialog.field = .wait
            model.ui.overlay = .callDialog(dialog)
            #expect(
                dialog.waitMs.isFinite && dialog.waitMs >= 0
                    && dialog.waitMs <= UpmonConfig.maxDurationSeconds * 1000, "\(typed.prefix(10))"
            )
            var effects: [Effect] = []
            for key: InputEvent in [.enter, .enter, .enter] { effects += update(&model, .key(key)) }
            for effect in effects {
                Self.expectSane(effect, model, step: "wait \(typed.prefix(10))")
            }
            Self.render(model, width: 120, height: 35, step: "wait \(typed.prefix(10))")
        }
    }

    @Test("hostile numbers from a recording (rtt 1e300, times 1.2e29) render at every size")
    func hostileNumbersFromData() {
        var model = Fixture.model()
        let api = Fixture.id("api")
        for (index, rtt) in [1e300, 1e-300, 0, 5e-324, 1.7e308, 123456789012345678901234567890.0]
            .enumerated()
        {
            _ = update(
                &model,
                .monitor(
                    MonitorEvent(t: 724 + Double(index) * 0.1, conn: api, kind: .ping(rttMs: rtt))))
        }
        _ = update(
            &model,
            .monitor(
                MonitorEvent(
                    t: 725, conn: api, kind: .pingTimeout(afterMs: 1e300, consecutive: Int.max))))
        model.ui.pinned = [api, Fixture.id("slow")]
        for now in [724.0, 1.2e29, 9.3e18] {
            model.ui.now = now
            for (width, height) in Self.sizes {
                _ = view(
                    model, now: now, width: width, height: height, theme: Themes.plain,
                    glyphs: .unicode)
                _ = view(
                    model, now: now, width: width, height: height, theme: Themes.plain,
                    glyphs: .ascii)
            }
        }
        // A replay whose last line is at t = 1.2e29 s: the footer, clock and seek keys cope.
        var replay = Self.startingModel(3)
        for key: InputEvent in [
            .end, .home, .right(shift: true), .left(shift: false), .char("]"), .char("["),
            .char(","), .char("."),
        ] {
            Self.apply(.key(key), to: &replay, step: "huge replay \(key)")
            Self.expectInvariants(replay, step: "huge replay \(key)")
            for (width, height) in Self.sizes {
                Self.render(replay, width: width, height: height, step: "huge replay \(key)")
            }
        }
        #expect(
            DashboardFormat.position(1.2e29).hasSuffix(":00")
                || !DashboardFormat.position(1.2e29).isEmpty)
        #expect(DashboardFormat.fixed(1e300, places: 1) == "1e+300")
        // Timeline positions: huge ones stay finite and are clamped by the seek.
        #expect(
            gotoTarget("9999999999999999:0:0", position: 0, wallClockAtZero: 0)?.isFinite == true)
        #expect(gotoTarget("25:00:00 UTC", position: 0, wallClockAtZero: 0) == nil)
        #expect(gotoTarget("12:30:00 UTC", position: 0, wallClockAtZero: 0) == 45_000)
        #expect(gotoTarget("12:30:00", position: 0, wallClockAtZero: 0) == 45_000)
    }
}
