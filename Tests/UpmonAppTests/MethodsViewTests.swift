import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// A tap session: the tap's own row `tap` (c1), `tap#1` (5 `add`, 2 `fail`, the server's
/// `← ping`, one `slow` in flight), `tap#2` (closed: 1 `add`, 1 `slow` unanswered) and
/// `tap#3` (no call yet).
enum TapFixture {
    static let wallClockAtZero = 1_795_787_483.0
    static let now = 60.0
    static let tap = ConnectionInfo(
        id: "c1", name: "tap", endpoint: "tcp://127.0.0.1:7410",
        options: ConnectionOptions(pingMilliseconds: 0, timeoutMilliseconds: 0, reconnect: "tap"))
    static let plain = ConnectionInfo(
        id: "c2", name: "api", endpoint: "tcp://127.0.0.1:7000",
        options: ConnectionOptions(
            pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))

    static func event(_ t: Double, _ conn: ConnectionID, _ tap: TapEvent) -> MonitorEvent {
        MonitorEvent(t: t, conn: conn, kind: .tap(tap))
    }

    static func call(
        _ t: Double, _ conn: ConnectionID, _ id: String, _ method: String, ok: Bool,
        ms: Double, caller: TapSide = .client
    ) -> [MonitorEvent] {
        [
            event(
                t, conn,
                .call(
                    id: id, method: method, caller: caller, args: ["<int>", "<int>", "<fn>"],
                    awaits: true)),
            event(
                t + ms / 1000, conn,
                .result(
                    id: id, method: method, caller: caller, n: 1, ok: ok, durMs: ms, late: false,
                    payload: ok ? ["<int>"] : #"{"message":"<string>"}"#.json)),
        ]
    }

    static func events() -> [MonitorEvent] {
        var events: [MonitorEvent] = [
            MonitorEvent(
                t: 0.1, conn: "c1",
                kind: .state(from: .idle, to: .up, reason: "listening", detail: nil, phase: nil)),
            event(
                1, "c1.1",
                .open(name: "tap#1", client: "127.0.0.1:58364", target: "tcp://127.0.0.1:7410")),
            MonitorEvent(
                t: 1, conn: "c1.1",
                kind: .state(from: .idle, to: .up, reason: "ready", detail: nil, phase: nil)),
        ]
        for index in 1...5 {
            events += call(
                Double(10 + index * 5), "c1.1", "\(index)", "add", ok: true, ms: Double(index))
        }
        events += call(41, "c1.1", "6", "fail", ok: false, ms: 2.5)
        events += call(42, "c1.1", "7", "fail", ok: false, ms: 3.5)
        events += call(43, "c1.1", "1", "ping", ok: true, ms: 0.5, caller: .server)
        events.append(
            event(
                50, "c1.1", .call(id: "8", method: "slow", caller: .client, args: [], awaits: true))
        )
        events.append(
            event(
                5, "c1.2",
                .open(name: "tap#2", client: "127.0.0.1:58368", target: "tcp://127.0.0.1:7410")))
        events.append(
            MonitorEvent(
                t: 5, conn: "c1.2",
                kind: .state(from: .idle, to: .up, reason: "ready", detail: nil, phase: nil)))
        events += call(6, "c1.2", "1", "add", ok: true, ms: 12)
        events.append(
            event(
                7, "c1.2", .call(id: "2", method: "slow", caller: .client, args: [], awaits: true)))
        events.append(
            event(
                8, "c1.2",
                .unanswered(
                    id: "2", method: "slow", caller: .client, afterMs: 1000, reason: "closed")))
        events.append(
            MonitorEvent(
                t: 8, conn: "c1.2",
                kind: .state(
                    from: .up, to: .closed, reason: "remote_closed", detail: nil, phase: nil)))
        events.append(
            event(
                55, "c1.3",
                .open(name: "tap#3", client: "127.0.0.1:58400", target: "tcp://127.0.0.1:7410")))
        // Stable: events at the same t keep the order they were made in.
        return events.enumerated().sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }
            .map(\.element)
    }

    static func model(mode: AppModel.Mode = .live) -> AppModel {
        var monitor = MonitorState(connections: [tap, plain])
        for event in events() { monitor.apply(event) }
        var model = AppModel(
            monitor: monitor, mode: mode, sessionLabel: "tap 127.0.0.1:7411 → 127.0.0.1:7410",
            wallClockAtZero: wallClockAtZero)
        model.ui.now = now
        return model
    }

    /// `model` with `name` selected.
    static func model(selecting name: String, mode: AppModel.Mode = .live) -> AppModel {
        var model = model(mode: mode)
        model.ui.selected = model.monitor.connections.first { $0.info.name == name }?.id
        return model
    }

    static func render(_ model: AppModel, width: Int = 120, height: Int = 35) -> Buffer {
        view(
            model, now: now, width: width, height: height, theme: Themes.plain, glyphs: .unicode)
    }
}

extension String {
    fileprivate var json: JSONValue { (try? JSONValue(parsing: self)) ?? .null }
}

@Suite("Methods view")
struct MethodsViewTests {
    typealias Key = TapConnectionStats.MethodKey

    @Test("M on a tapped connection lists its methods; Esc goes back keeping the selection")
    func openAndClose() {
        var model = TapFixture.model(selecting: "tap#1")
        press(&model, .char("M"))
        #expect(model.ui.methods?.scope == "c1.1")
        let rows = methodRows(model)
        #expect(rows.map(\.key.label) == ["add", "fail", "slow", "← ping"])
        let add = rows[0]
        #expect(add.calls == 5)
        #expect(add.errors == 0)
        #expect(add.p50 == 3)
        #expect(add.p99 == 5)
        #expect(rows[1].errors == 2)
        #expect(rows[2].inFlight == 1)
        press(&model, .escape)
        #expect(model.ui.methods == nil)
        #expect(model.selectedName == "tap#1")
    }

    @Test("M in a tapped row's connection view opens its Methods view instead")
    func fromConnectionView() {
        var model = TapFixture.model(selecting: "tap#1")
        press(&model, .enter)
        #expect(model.ui.overlay == .connectionView("c1.1"))
        press(&model, .char("M"))
        #expect(model.ui.overlay == .none)
        #expect(model.ui.methods?.scope == "c1.1")
        var plain = TapFixture.model(selecting: "api")
        press(&plain, .enter, .char("M"))
        #expect(plain.ui.overlay == .connectionView("c2"))
        #expect(plain.ui.methods == nil)
    }

    @Test("M on the tap's own row sums the methods of all its connections, closed ones too")
    func tapRowAggregates() {
        var model = TapFixture.model(selecting: "tap")
        press(&model, .char("M"))
        #expect(model.ui.methods?.scope == "c1")
        let rows = methodRows(model)
        let add = rows.first { $0.key.method == "add" }
        #expect(add?.calls == 6)
        #expect(add?.p99 == 12)
        let slow = rows.first { $0.key.method == "slow" }
        #expect(slow?.calls == 2)
        #expect(slow?.inFlight == 1)
        #expect(slow?.unanswered == 1)
        let title = MethodsQuery.title(model.monitor, scope: "c1")
        #expect(title == "Methods of tap (3 connections → tcp://127.0.0.1:7410)")
    }

    @Test("M on a link that is not tapped says why and changes nothing")
    func notTapped() {
        var model = TapFixture.model(selecting: "api")
        press(&model, .char("M"))
        #expect(model.ui.methods == nil)
        #expect(model.ui.status?.isError == true)
        #expect(model.ui.status?.text.contains("no tapped connections on api") == true)
    }

    @Test("↓ and Enter open the selected method's calls, newest first; Esc goes back")
    func calls() throws {
        var model = TapFixture.model(selecting: "tap#1")
        press(&model, .char("M"), .down(shift: false), .enter)
        let state = try #require(model.ui.methods)
        #expect(state.openCalls == Key(caller: .client, method: "fail"))
        let calls = MethodsQuery.calls(
            model.monitor, scope: state.scope, key: Key(caller: .client, method: "fail"))
        #expect(calls.map(\.trace.id) == ["7", "6"])
        #expect(calls.allSatisfy { $0.trace.outcome == .error && $0.trace.answers == 1 })
        press(&model, .escape)
        #expect(model.ui.methods?.openCalls == nil)
        #expect(model.ui.methods?.selected == Key(caller: .client, method: "fail"))
        press(&model, .escape)
        #expect(model.ui.methods == nil)
        #expect(model.selectedName == "tap#1")
    }

    @Test("G, End, g and Home move to the last and first method; in replay Home still seeks")
    func firstAndLast() {
        var model = TapFixture.model(selecting: "tap#1")
        press(&model, .char("M"), .char("G"))
        #expect(model.ui.methods?.selected == Key(caller: .server, method: "ping"))
        press(&model, .home)
        #expect(model.ui.methods?.selected == Key(caller: .client, method: "add"))
        press(&model, .end)
        #expect(model.ui.methods?.selected == Key(caller: .server, method: "ping"))
        var status = ReplayStatus(fileName: "tap.upmon", position: 30, duration: 60)
        status.isPaused = true
        var replay = TapFixture.model(selecting: "tap#1", mode: .replay(status))
        press(&replay, .char("M"))
        let effects = press(&replay, .home)
        #expect(effects == [.seek(to: 0)])
        #expect(replay.ui.methods?.scope == "c1.1")
    }

    @Test("s sorts the methods (calls: most first), S reverses; selection follows the method")
    func sorting() {
        var model = TapFixture.model(selecting: "tap#1")
        press(&model, .char("M"), .down(shift: false))
        press(&model, .char("s"))
        #expect(model.ui.methods?.sortKey == .calls)
        #expect(methodRows(model).map(\.key.label) == ["add", "fail", "slow", "← ping"])
        press(&model, .char("S"))
        #expect(methodRows(model).map(\.key.label) == ["slow", "← ping", "fail", "add"])
        #expect(model.ui.methods?.selected == Key(caller: .client, method: "fail"))
        press(&model, .char("s"), .char("s"))  // p95: the slowest first, no data last
        #expect(model.ui.methods?.sortKey == .p95)
        #expect(methodRows(model).map(\.key.label) == ["add", "fail", "← ping", "slow"])
    }

    @Test("a connection without calls opens empty; Enter says so and nothing breaks")
    func empty() {
        var model = TapFixture.model(selecting: "tap#3")
        press(&model, .char("M"))
        #expect(model.ui.methods?.scope == "c1.3")
        #expect(methodRows(model).isEmpty)
        press(&model, .down(shift: false), .enter)
        #expect(model.ui.methods?.openCalls == nil)
        #expect(model.ui.status?.text == "no calls yet")
        let screen = TapFixture.render(model).text
        #expect(screen.contains("no calls yet"))
    }

    @Test("a closed connection keeps its methods; new calls show while the view is open")
    func closedAndLive() {
        var model = TapFixture.model(selecting: "tap#2")
        press(&model, .char("M"))
        #expect(methodRows(model).map(\.calls) == [1, 1])
        var live = TapFixture.model(selecting: "tap#1")
        press(&live, .char("M"))
        for event in TapFixture.call(58, "c1.1", "9", "add", ok: false, ms: 2) {
            _ = update(&live, .monitor(event))
        }
        let add = methodRows(live).first { $0.key.method == "add" }
        #expect(add?.calls == 6)
        #expect(add?.errors == 1)
    }

    @Test("a click selects a method row; the wheel moves the selection")
    func mouse() throws {
        var model = TapFixture.model(selecting: "tap#1")
        model.ui.screenWidth = 120
        model.ui.screenHeight = 35
        press(&model, .char("M"))
        let lines = TapFixture.render(model).lines
        let y = try #require(lines.firstIndex { $0.contains(" slow ") })
        _ = update(
            &model,
            .key(.mouse(MouseEvent(button: .left, kind: .press, position: Position(x: 5, y: y)))))
        #expect(model.ui.methods?.selected == Key(caller: .client, method: "slow"))
        _ = update(
            &model,
            .key(.mouse(MouseEvent(button: .wheelUp, kind: .press, position: Position(x: 5, y: y))))
        )
        #expect(model.ui.methods?.selected == Key(caller: .client, method: "fail"))
    }

    @Test("the connections table shows a tapped row's last traffic in LAST, closed rows too")
    func lastActivity() throws {
        let lines = TapFixture.render(TapFixture.model()).lines
        let first = try #require(lines.first { $0.contains(" tap#1 ") })
        let second = try #require(lines.first { $0.contains(" tap#2 ") })
        #expect(first.contains(" 10s "), "\(first)")  // the `slow` call at 50, now 60
        #expect(second.contains(" 52s "), "\(second)")  // closed at 8
    }

    @Test("replay: the same view opens at the playback position")
    func replay() {
        var status = ReplayStatus(fileName: "tap.upmon", position: TapFixture.now, duration: 60)
        status.isPaused = true
        var model = TapFixture.model(selecting: "tap", mode: .replay(status))
        press(&model, .char("M"))
        #expect(methodRows(model).first { $0.key.method == "add" }?.calls == 6)
        let screen = TapFixture.render(model).text
        #expect(screen.contains("Methods of tap"))
    }

    @Test(
        "screens at 80x24 and 200x50: methods, then a method's calls",
        arguments: [(80, 24), (200, 50)])
    func screens(width: Int, height: Int) {
        var model = TapFixture.model(selecting: "tap#1")
        model.ui.screenWidth = width
        model.ui.screenHeight = height
        press(&model, .char("M"))
        let methods = screenText(TapFixture.render(model, width: width, height: height))
        assertSnapshot(methods, named: "methods-\(width)x\(height)")
        #expect(methods.contains("Methods of tap#1 (127.0.0.1:58364 → tcp://127.0.0.1:7410)"))
        press(&model, .down(shift: false), .enter)
        let calls = screenText(TapFixture.render(model, width: width, height: height))
        assertSnapshot(calls, named: "method-calls-\(width)x\(height)")
        #expect(calls.contains("Calls of fail on tap#1"))
    }
}
