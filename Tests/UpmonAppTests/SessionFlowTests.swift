import DnodeProtocol
import Foundation
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// Plays the runtime's part with no terminal, no clock and no sleeps: every message goes
/// through `update`, and every effect is answered the way the runtime answers it — the
/// recording effects by the runtime's own `RecordingEffects`, the replay effects by the
/// runtime's own `Replayer.perform`, marks by stamping them as the runtime does.
struct SessionDriver {
    var model: AppModel
    var recording: RecordingEffects
    var replayer: Replayer?
    /// Session time the next mark is stamped at.
    var now = 0.0
    var calls: [Effect] = []
    var logLines: [String] = []
    var quitReason: MonitorEvent.EndReason?

    init(model: AppModel, header: RecordingHeader) {
        self.model = model
        recording = RecordingEffects(
            header: header, epochMilliseconds: { 1_795_787_483_000 }, onFailure: { _ in })
    }

    /// A live session over `infos`; its recordings keep a keyframe every `snapEvery` seconds.
    static func live(_ infos: [ConnectionInfo], snapEvery: Double) -> SessionDriver {
        let header = RecordingHeader(
            started: "2026-11-27T13:51:23.000Z", host: "test", upmonVersion: "test",
            settings: RecordingSettings(snapEverySeconds: snapEvery), connections: infos)
        let model = AppModel(
            monitor: MonitorState(connections: infos), mode: .live, sessionLabel: "test",
            wallClockAtZero: Fixture.wallClockAtZero)
        return SessionDriver(model: model, header: header)
    }

    /// Sends `msg` and, in order, every answer its effects lead to.
    @discardableResult
    mutating func send(_ msg: Msg) -> [Effect] {
        var pending = [msg]
        var performed: [Effect] = []
        while !pending.isEmpty {
            let next = pending.removeFirst()
            for effect in update(&model, next) {
                performed.append(effect)
                pending += answer(effect)
            }
        }
        return performed
    }

    mutating func press(_ keys: InputEvent...) {
        for key in keys { send(.key(key)) }
    }

    mutating func type(_ text: String) {
        for character in text { send(.key(.char(character))) }
    }

    mutating func answer(_ effect: Effect) -> [Msg] {
        switch effect {
        case .startRecording, .recordEvent, .recordSnap, .finishRecording:
            return recording.perform(effect)
        case .addMark(let label):
            return [.monitor(MonitorEvent(t: now, conn: nil, kind: .mark(label: label)))]
        case .call:
            calls.append(effect)
            return []
        case .seek, .step, .advanceReplay:
            guard var replayer else { return [] }
            let answer = replayer.perform(effect)
            self.replayer = replayer
            return answer.map { [$0] } ?? []
        case .writeLog(let line):
            logLines.append(line)
            return []
        case .quit(let reason):
            quitReason = reason
            return []
        case .reconnect, .hold, .release, .setTheme, .redrawAll, .addLink, .removeLink,
            .reloadConfig:
            return []
        case .ringBell, .setTitle, .runAlertHook:
            return []
        }
    }
}

@Suite("a session through update alone")
struct SessionFlowTests {
    static let api = Fixture.id("api")

    static func link(_ t: Double, _ kind: MonitorEvent.Kind) -> Msg {
        .monitor(MonitorEvent(t: t, conn: api, kind: kind))
    }

    @Test("record, mark, a streamed call, quit; then replay with seek, speed and step")
    func wholeSession() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/session.upmon"
        var live = SessionDriver.live(Fixture.infos, snapEvery: 5)
        live.send(.resize(width: 120, height: 35))
        live.send(.tick(now: 0))
        live.send(
            Self.link(
                0.1,
                .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial)))
        live.send(
            Self.link(
                0.2, .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil)))
        live.send(Self.link(0.3, .remoteMethods(["countdown", "echo"])))

        // Recording starts at t = 2 from the command line; the file counts from there.
        live.send(.tick(now: 2))
        live.press(.char(":"))
        live.type("record \(path)")
        live.press(.enter)
        #expect(live.model.recording?.path == path)
        #expect(live.model.recording?.startedT == 2)

        // Pings, ticks (keyframes every 5 s of the file), a mark and a streamed call.
        var t = 2.0
        for second in 3...20 {
            t = Double(second)
            live.send(Self.link(t + 0.25, .ping(rttMs: 10 + Double(second % 4))))
            live.send(.tick(now: t + 0.5))
            if second == 8 {
                live.now = t + 0.6
                live.press(.char("m"), .ctrl("u"))
                live.type("deploy")
                live.press(.enter)
            }
        }
        #expect(live.model.recording?.marks == 1)
        #expect(live.model.monitor.log.elements.contains { $0.kind == "mark" })

        // A call with a streamed callback from the dialog: the runtime's answers settle it.
        live.press(.char("c"))
        live.type("countdown")
        live.press(.enter, .ctrl("u"))
        live.type(#"[3, {"$cb":"tick"}]"#)
        live.press(.enter)
        guard case .call(let id, let conn, "countdown", let args, _, _)? = live.calls.last else {
            Issue.record("no call effect: \(live.calls)")
            return
        }
        #expect(conn == Self.api)
        #expect(args == [3, ["$cb": "tick"]])
        live.send(.callProgress(id: id, .waiting))
        for n in 1...3 {
            let arguments: JSONValue = [.int(Int64(3 - n))]
            live.send(
                .callProgress(
                    id: id,
                    .invocation(label: "tick", n: n, ms: Double(n) * 100, arguments: arguments)))
        }
        #expect(live.model.calls.last?.status == .ok(ms: 100))
        #expect(live.model.calls.last?.invocations.map(\.n) == [1, 2, 3])

        // Quitting writes the end line, then leaves; the state the file must replay to:
        let liveState = live.model.monitor.shifted(by: -2)
        live.send(Self.link(21, .ping(rttMs: 9)))
        let liveFinal = live.model.monitor.shifted(by: -2)
        live.press(.escape)  // closes the call dialog
        #expect(live.send(.key(.char("q"))).isEmpty, "asks first while recording")
        let quitEffects = live.send(.key(.char("y")))
        #expect(quitEffects.last == .quit(.quit))
        #expect(quitEffects.contains { if case .finishRecording = $0 { true } else { false } })
        #expect(live.quitReason == .quit)
        #expect(await live.recording.drained().isEmpty)
        #expect(liveState != liveFinal)

        // Replay the file through the same loop.
        var replayer = try Replayer(path: path)
        let isComplete = replayer.isComplete
        #expect(isComplete)
        #expect(replayer.marks.map(\.label) == ["deploy"])
        let endState = replayer.state(at: replayer.lastT)
        #expect(endState.connections == liveFinal.connections)
        #expect(endState.totals == liveFinal.totals)
        #expect(endState.log.elements.dropLast() == liveFinal.log.elements[...])
        #expect(endState.log.elements.last?.kind == "end")
        var status = ReplayStatus(fileName: path, position: 0, duration: replayer.lastT)
        status.marks = replayer.marks.map { ReplayMark(t: $0.t, label: $0.label) }
        replayer.seek(to: 0)
        var replay = SessionDriver(
            model: AppModel(
                monitor: replayer.state, mode: .replay(status), sessionLabel: "replay",
                wallClockAtZero: Fixture.wallClockAtZero),
            header: replayer.header)
        replay.replayer = replayer
        replay.send(.resize(width: 120, height: 35))

        // Playback follows the clock given by ticks: 1 s of clock = 1 s of file at 1×.
        replay.send(.tick(now: 100))
        replay.send(.tick(now: 103))
        #expect(replay.model.replayStatus?.position == 3)
        // `+` twice: 4×. The next tick rebases, then 1 s of clock moves 4 s.
        replay.press(.char("+"), .char("+"))
        #expect(replay.model.replayStatus?.speed == 4)
        replay.send(.tick(now: 104))
        replay.send(.tick(now: 105))
        #expect(replay.model.replayStatus?.position == 7)
        // Home, then `]` seeks to the mark; playback goes on from there.
        replay.press(.home, .char("]"))
        let markT = try #require(replay.model.replayStatus?.marks.first?.t)
        #expect(replay.model.replayStatus?.position == markT)
        let atMark = replay.model.monitor == replay.replayer?.state
        #expect(atMark)
        replay.send(.tick(now: 106))
        replay.send(.tick(now: 106.5))
        #expect(replay.model.replayStatus?.position == markT + 2)
        // Pause, step one event, then play to the end: the live state plus the end line.
        replay.press(.char(" "), .char("."))
        #expect(replay.model.replayStatus?.isPaused == true)
        let stepped = try #require(replay.model.replayStatus?.position)
        #expect(stepped > markT + 2)
        replay.press(.char(" "))
        replay.send(.tick(now: 200))
        replay.send(.tick(now: 260))
        #expect(replay.model.replayStatus?.position == replayer.lastT)
        #expect(replay.model.replayStatus?.isPaused == true)
        let replayedFinal = replay.model.monitor
        #expect(replayedFinal == endState)
        // Replay is read-only: no recording, no calls.
        #expect(replay.send(.key(.char("R"))).isEmpty)
        #expect(replay.model.ui.status?.text == "replay is read-only")
    }
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "upmon-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
