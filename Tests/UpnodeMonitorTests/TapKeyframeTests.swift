import DnodeProtocol
import Testing

@testable import UpnodeMonitor

/// Keyframes carry tapped rows and their per-method figures (docs/RECORDING.md, "Keyframes").
@Suite("Tapped rows in keyframes")
struct TapKeyframeTests {
    static let header = Fixtures.header(connections: 1)

    static func tap(_ t: Double, _ conn: ConnectionID, _ event: TapEvent) -> MonitorEvent {
        MonitorEvent(t: t, conn: conn, kind: .tap(event))
    }

    /// Two tapped connections over 40 s: calls of `add` (every fourth an error), a
    /// streaming `subscribe`, the server's `ping`, a call left in flight on the first and a
    /// second connection that closes with a call unanswered. Rounded as a recording keeps it.
    static func events() -> [MonitorEvent] {
        let first = ConnectionID("c1.1")
        let second = ConnectionID("c1.2")
        var events: [MonitorEvent] = [
            .state(0.5, "c1", .idle, .up, "listening"),
            tap(1, first, .open(name: "tap#1", client: "127.0.0.1:5000", target: "tcp://b:7000")),
            .state(1, first, .idle, .connecting, "start", phase: .dial),
            .state(1.001, first, .connecting, .up, "ready"),
        ]
        var t = 2.0
        for index in 1...60 {
            events.append(
                tap(
                    t, first,
                    .call(
                        id: "\(index)", method: "add", caller: .client,
                        args: ["<int>", "<int>", "<fn>"], awaits: true)))
            events.append(
                tap(
                    t + 0.003, first,
                    .result(
                        id: "\(index)", method: "add", caller: .client, n: 1,
                        ok: index % 4 != 0, durMs: 1.25 + Double(index % 7) * 0.1,
                        late: false, payload: index % 4 != 0 ? ["<int>"] : ["<string>"])))
            if index % 10 == 0 {
                events.append(
                    tap(
                        t + 0.1, first,
                        .call(
                            id: "s\(index)", method: "ping", caller: .server, args: ["<fn>"],
                            awaits: true)))
                events.append(
                    tap(
                        t + 0.102, first,
                        .result(
                            id: "s\(index)", method: "ping", caller: .server, n: 1, ok: true,
                            durMs: 2, late: false, payload: [])))
            }
            if index == 20 {
                events.append(
                    tap(
                        t + 0.2, first,
                        .call(
                            id: "sub", method: "subscribe", caller: .client, args: [], awaits: true)
                    ))
                for n in 1...3 {
                    events.append(
                        tap(
                            t + 0.2 + Double(n), first,
                            .result(
                                id: "sub", method: "subscribe", caller: .client, n: n, ok: true,
                                durMs: Double(n) * 1000, late: false, payload: ["<int>"])))
                }
            }
            if index == 30 {
                events.append(
                    tap(
                        t, second,
                        .open(name: "tap#2", client: "127.0.0.1:5001", target: "tcp://b:7000")))
                events.append(.state(t, second, .idle, .up, "ready"))
                events.append(
                    tap(
                        t + 0.5, second,
                        .call(id: "1", method: "slow", caller: .client, args: [], awaits: true)))
                events.append(
                    tap(
                        t + 4, second,
                        .unanswered(
                            id: "1", method: "slow", caller: .client, afterMs: 3500,
                            reason: "closed")))
                events.append(.state(t + 4, second, .up, .closed, "remote_closed"))
            }
            t += 0.6
        }
        events.append(
            tap(
                t, first, .call(id: "last", method: "slow", caller: .client, args: [], awaits: true)
            ))
        events.append(
            tap(
                t + 0.5, first, .traffic(bytesC2S: 5000, bytesS2C: 4000, linesC2S: 70, linesS2C: 80)
            ))
        // Stable: events at the same t keep the order they were made in.
        return events.map { $0.roundedToRecordingPrecision() }.enumerated()
            .sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }.map(\.element)
    }

    static func reference(_ events: [MonitorEvent], upTo target: Double) -> MonitorState {
        var state = header.initialState
        for event in events where event.t <= target { state.apply(event) }
        return state
    }

    @Test("a keyframe decodes to the state it was written from, tapped rows and traces included")
    func roundTrip() throws {
        let events = Self.events()
        let state = Self.reference(events, upTo: .infinity)
        let tapped = state.connections.filter { $0.tap != nil }
        #expect(tapped.map(\.id) == ["c1.1", "c1.2"])
        let json = try JSONValue(parsing: state.toJSON().jsonText)
        let decoded = try MonitorState(json: json, connections: Self.header.connections)
        #expect(decoded == state)
        #expect(decoded["c1.1"]?.tap?.methods.count == 4)
        #expect(decoded["c1.2"]?.info.name == "tap#2")
        // The same on a recording's shifted axis (a recording started mid-session).
        let shifted = state.shifted(by: -12.5)
        let decodedShifted = try MonitorState(
            json: try JSONValue(parsing: shifted.toJSON().jsonText),
            connections: Self.header.connections)
        #expect(decodedShifted == shifted)
        #expect(decodedShifted["c1.1"]?.tap?.methods.values.first?.traces.first?.t == 2 - 12.5)
    }

    @Test("seeking across keyframes gives the state of playing through, at every event")
    func seekAcrossKeyframes() throws {
        let events = Self.events()
        var replayer = try Replayer(
            bytes: recordingBytes(header: Self.header, events: events, snapEvery: 5, end: false),
            file: "tap-keyframes")
        #expect(replayer.index.snapCount >= 6)
        #expect(replayer.index.damagedCount == 0)
        var generator = SeededGenerator(seed: 17)
        for target in Set(events.map(\.t)).sorted() {
            let expected = Self.reference(events, upTo: target)
            let fresh = replayer.state(at: target) == expected
            #expect(fresh, "t \(target)")
            replayer.seek(to: Double.random(in: 0...replayer.lastT, using: &generator))
            replayer.seek(to: target)
            let fromCursor = replayer.state == expected
            #expect(fromCursor, "t \(target) after a random seek")
        }
    }

    @Test("the replay cache counts a tapped row's figures in a state's cost")
    func cacheCost() throws {
        let state = Self.reference(Self.events(), upTo: .infinity)
        let tap = try #require(state["c1.1"]?.tap)
        let traces = tap.methods.values.reduce(0) { $0 + $1.traces.count }
        #expect(traces > 60)
        #expect(tap.approximateByteCount >= traces * 192)
        #expect(state.approximateByteCount > tap.approximateByteCount)
    }

    @Test("a keyframe written before tapped rows were carried still opens, without them")
    func olderKeyframe() throws {
        let state = Self.reference(Self.events(), upTo: .infinity)
        guard case .object(var root) = state.toJSON(),
            case .object(var links)? = root["connections"]
        else {
            Issue.record("a snapshot is an object of links")
            return
        }
        for key in links.keys where key.contains(".") {
            guard case .object(var link)? = links[key] else { continue }
            link["tap"] = nil
            links[key] = .object(link)
        }
        root["connections"] = .object(links)
        let decoded = try MonitorState(json: .object(root), connections: Self.header.connections)
        #expect(decoded.connections.map(\.id) == ["c1"])
        #expect(decoded["c1"] == state["c1"])
    }

    @Test("rows keep the live order when a tapped row opened before a link joined")
    func rowOrder() throws {
        var header = RecordingHeader(
            started: "2026-03-14T09:26:53.120Z", host: "h", upmonVersion: "0.1.0",
            connections: [Fixtures.connection(0, name: "tap")])
        header.joined = [
            ConnectionInfo(
                id: "c2", name: "late", endpoint: "tcp://127.0.0.1:9000",
                options: LinkMembershipTests.options)
        ]
        var state = header.initialState
        state.apply(Self.tap(1, "c1.1", .open(name: "tap#1", client: "a", target: "b")))
        state.apply(LinkMembershipTests.added(2, "c2", "late"))
        state.apply(Self.tap(3, "c1.2", .open(name: "tap#2", client: "a", target: "b")))
        #expect(state.connections.map(\.id) == ["c1", "c1.1", "c2", "c1.2"])
        let decoded = try MonitorState(
            json: try JSONValue(parsing: state.toJSON().jsonText),
            connections: header.connections, joined: header.joined)
        #expect(decoded == state)
    }
}
