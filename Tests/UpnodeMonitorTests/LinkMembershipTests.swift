import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("links joining and leaving")
struct LinkMembershipTests {
    static let options = ConnectionOptions(
        pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms")

    static func added(_ t: Double, _ conn: ConnectionID, _ name: String) -> MonitorEvent {
        MonitorEvent(
            t: t, conn: conn,
            kind: .linkAdded(name: name, endpoint: "tcp://127.0.0.1:9000", options: options))
    }

    static func removed(_ t: Double, _ conn: ConnectionID, _ reason: String) -> MonitorEvent {
        MonitorEvent(t: t, conn: conn, kind: .linkRemoved(reason: reason))
    }

    /// c1 and c2 from the header; c3 joins at 10 s, c2 leaves at 20 s, c4 joins at 40 s
    /// and leaves at 70 s; pings and state changes all along.
    static func script() -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        var t = 0.0
        func links(at t: Double) -> [ConnectionID] {
            var ids: [ConnectionID] = ["c1"]
            if t < 20 { ids.append("c2") }
            if t > 10 { ids.append("c3") }
            if t > 40 && t < 70 { ids.append("c4") }
            return ids
        }
        for conn in ["c1", "c2"] as [ConnectionID] {
            events.append(.state(0, conn, .idle, .connecting, "start", phase: .dial))
        }
        for conn in ["c1", "c2"] as [ConnectionID] {
            events.append(.state(0.01, conn, .connecting, .up, "ready"))
        }
        while t < 100 {
            t = ((t + 0.5) * 1000).rounded() / 1000
            if t == 10 { events.append(added(10, "c3", "db")) }
            if t == 10.5 {
                events.append(.state(10.5, "c3", .idle, .connecting, "start", phase: .dial))
                events.append(.state(10.5, "c3", .connecting, .up, "ready"))
            }
            if t == 20 { events.append(removed(20, "c2", LinkRemovalReason.disconnected)) }
            if t == 40 { events.append(added(40, "c4", "cache")) }
            if t == 70 { events.append(removed(70, "c4", LinkRemovalReason.removedFromConfig)) }
            for conn in links(at: t) {
                events.append(.ping(t, conn, Double(Int(t * 7) % 90 + 3)))
            }
        }
        return events
    }

    static func reference(_ header: RecordingHeader, _ events: [MonitorEvent], upTo t: Double)
        -> MonitorState
    {
        var state = header.initialState
        for event in events where event.t <= t { state.apply(event) }
        return state
    }

    @Test("a link joins idle, gets its events, and leaves with its share of the totals")
    func joinAndLeave() {
        var state = MonitorState(connections: [Fixtures.connection(0), Fixtures.connection(1)])
        state.apply(.state(1, "c1", .idle, .connecting, "start"))
        state.apply(Self.added(5, "c3", "db"))
        #expect(state.connections.map(\.id) == ["c1", "c2", "c3"])
        #expect(state["c3"]?.state == .idle)
        #expect(state["c3"]?.since == 5)
        #expect(state.totals.count(in: .idle) == 2)
        state.apply(.state(6, "c3", .idle, .connecting, "start"))
        state.apply(.state(6.1, "c3", .connecting, .up, "ready"))
        state.apply(.ping(7, "c3", 12))
        #expect(state["c3"]?.pingCount == 1)
        #expect(state.totals.count(in: .up) == 1)

        state.apply(Self.removed(8, "c3", LinkRemovalReason.disconnected))
        state.apply(Self.removed(8, "c2", LinkRemovalReason.removedFromConfig))
        #expect(state.connections.map(\.id) == ["c1"])
        #expect(state["c3"] == nil && !state.contains("c3"))
        #expect(state.departed == ["c3", "c2"])
        #expect(state.totals.count(in: .up) == 0)
        #expect(state.totals.count(in: .idle) == 0)
        #expect(state.totals.count(in: .connecting) == 1)
        // Late events of a link that left change nothing.
        let before = state
        state.apply(.ping(9, "c3", 5))
        state.apply(Self.removed(9, "c3", LinkRemovalReason.disconnected))
        #expect(state == before)
        let logged = state.log.elements.suffix(2).map(\.event)
        #expect(
            logged == [
                .linkRemoved(name: "db", reason: "disconnected"),
                .linkRemoved(name: "link2", reason: "removed_from_config"),
            ])
    }

    @Test("a link that is already there does not join twice")
    func duplicateJoin() {
        var state = MonitorState(connections: [Fixtures.connection(0)])
        state.apply(.ping(1, "c1", 4))
        let before = state.connections
        state.apply(Self.added(2, "c1", "again"))
        #expect(state.connections == before)
    }

    @Test("events and snapshots of joins and leaves round-trip through the file format")
    func roundTrip() throws {
        var header = Fixtures.header(connections: 2)
        var state = header.initialState
        let events = Self.script().filter { $0.t <= 50 }
        for event in events { state.apply(event) }
        header.joined = [
            ConnectionInfo(
                id: "c3", name: "db", endpoint: "tcp://127.0.0.1:9000", options: Self.options),
            ConnectionInfo(
                id: "c4", name: "cache", endpoint: "tcp://127.0.0.1:9000", options: Self.options),
        ]
        let decoder = RecordingDecoder(header: header)
        for event in events where event.kind.name.hasPrefix("link_") {
            let line = RecordingEncoder.line(event)
            #expect(try decoder.decode(line.dropLast()) == .event(event))
        }
        let json = state.toJSON()
        #expect(json["left"] == ["c2"])
        let decoded = try MonitorState(
            json: json, connections: header.connections, joined: header.joined)
        #expect(decoded == state)
        #expect(decoded.connections.map(\.id) == ["c1", "c3", "c4"])
    }

    @Test("a snapshot without 'left' that omits a header link still shows it idle (older files)")
    func olderSnapshot() throws {
        let infos = [Fixtures.connection(0), Fixtures.connection(1)]
        let json: JSONValue = ["connections": [:], "log": []]
        let state = try MonitorState(json: json, connections: infos)
        #expect(state.connections.map(\.id) == ["c1", "c2"])
    }

    @Test("replay: links appear and disappear as the cursor passes; seeking back brings them back")
    func replaySeek() throws {
        let header = Fixtures.header(connections: 2)
        let events = Self.script()
        for snaps in [true, false] {
            var replayer = try Replayer(
                bytes: recordingBytes(header: header, events: events, snaps: snaps, snapEvery: 15),
                file: "membership")
            #expect(replayer.index.damagedCount == 0)
            #expect(replayer.index.ignoredCount == 0)
            #expect(replayer.header.joined.map(\.name) == ["db", "cache"])
            replayer.seek(to: 5)
            #expect(replayer.state.connections.map(\.id) == ["c1", "c2"])
            replayer.seek(to: 15)
            #expect(replayer.state.connections.map(\.id) == ["c1", "c2", "c3"])
            replayer.seek(to: 50)
            #expect(replayer.state.connections.map(\.id) == ["c1", "c3", "c4"])
            replayer.seek(to: 99)
            #expect(replayer.state.connections.map(\.id) == ["c1", "c3"])
            replayer.seek(to: 5)
            #expect(replayer.state.connections.map(\.id) == ["c1", "c2"])
            #expect(replayer.state["c2"]?.pingCount == 10)
            for target in stride(from: 0.0, to: 100, by: 2.5) {  // the file adds an end at 100
                let expected = Self.reference(header, events, upTo: target)
                let equal = replayer.state(at: target) == expected
                #expect(equal, "snaps \(snaps), t \(target)")
                replayer.seek(to: 100 - target)
                replayer.seek(to: target)
                let fromCursor = replayer.state == expected
                #expect(fromCursor, "snaps \(snaps), t \(target) from another cursor")
            }
        }
    }
}
