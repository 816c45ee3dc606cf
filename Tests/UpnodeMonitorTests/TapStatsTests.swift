import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("Tap events in the monitor")
struct TapStatsTests {
    static let conn = ConnectionID("c1.1")

    /// Eight calls of `add` (two errors), a `subscribe` answered three times, a `slow` that is
    /// never answered, and a fire-and-forget `log`.
    static func events() -> [MonitorEvent] {
        var events: [MonitorEvent] = [
            MonitorEvent(
                t: 1, conn: conn,
                kind: .tap(.open(name: "tap#1", client: "127.0.0.1:5000", target: "tcp://b:7000"))),
            .state(1, conn, .idle, .connecting, "start", phase: .dial),
            .state(1.001, conn, .connecting, .up, "ready"),
        ]
        var t = 2.0
        for index in 1...8 {
            events.append(
                MonitorEvent(
                    t: t, conn: conn,
                    kind: .tap(
                        .call(
                            id: "\(index)", method: "add", caller: .client, args: ["<int>"],
                            awaits: true))))
            events.append(
                MonitorEvent(
                    t: t + 0.002, conn: conn,
                    kind: .tap(
                        .result(
                            id: "\(index)", method: "add", caller: .client, n: 1,
                            ok: index % 4 != 0, durMs: Double(index), late: false,
                            payload: .null))))
            t += 0.1
        }
        events.append(
            MonitorEvent(
                t: t, conn: conn,
                kind: .tap(
                    .call(id: "9", method: "subscribe", caller: .client, args: [], awaits: true))))
        for n in 1...3 {
            events.append(
                MonitorEvent(
                    t: t + Double(n), conn: conn,
                    kind: .tap(
                        .result(
                            id: "9", method: "subscribe", caller: .client, n: n, ok: true,
                            durMs: Double(n) * 1000, late: false, payload: .null))))
        }
        events.append(
            MonitorEvent(
                t: t, conn: conn,
                kind: .tap(.call(id: "10", method: "slow", caller: .client, args: [], awaits: true))
            ))
        events.append(
            MonitorEvent(
                t: t, conn: conn,
                kind: .tap(.call(id: "11", method: "log", caller: .client, args: [], awaits: false))
            ))
        events.append(
            MonitorEvent(
                t: t + 30, conn: conn,
                kind: .tap(
                    .unanswered(
                        id: "10", method: "slow", caller: .client, afterMs: 30_000,
                        reason: "timeout"))))
        events.append(
            MonitorEvent(
                t: t + 31, conn: conn,
                kind: .tap(.traffic(bytesC2S: 1200, bytesS2C: 900, linesC2S: 11, linesS2C: 13))))
        return events
    }

    static func state() -> MonitorState {
        var state = MonitorState(connections: [Fixtures.connection(0, name: "tap")])
        for event in events() { state.apply(event) }
        return state
    }

    @Test("tap_open adds a row; calls, errors, streaming and unanswered are counted per method")
    func perMethod() throws {
        let state = Self.state()
        #expect(state.connections.map(\.id) == ["c1", "c1.1"])
        let row = try #require(state[Self.conn])
        #expect(row.state == .up)
        #expect(row.info.name == "tap#1")
        let tap = try #require(row.tap)
        let add = try #require(tap.methods[.init(caller: .client, method: "add")])
        #expect(add.calls == 8)
        #expect(add.errors == 2)
        #expect(add.answered == 8)
        #expect(add.inFlight == 0)
        #expect(add.percentile(50) == 4)
        #expect(add.percentile(95) == 8)
        let subscribe = try #require(tap.methods[.init(caller: .client, method: "subscribe")])
        #expect(subscribe.streamed == 2)
        #expect(subscribe.answered == 1)
        let slow = try #require(tap.methods[.init(caller: .client, method: "slow")])
        #expect(slow.unanswered == 1)
        #expect(slow.inFlight == 0)
        let log = try #require(tap.methods[.init(caller: .client, method: "log")])
        #expect(log.calls == 1)
        #expect(log.inFlight == 0)
        #expect(tap.calls == 11)
        #expect(tap.bytesC2S == 1200)
        #expect(tap.bytesS2C == 900)
        // The row's call counts (the Connections table) are first answers.
        #expect(row.calls.ok == 7)
        #expect(row.calls.err == 2)
        #expect(state.totals.callsErr == 2)
    }

    @Test("tap events survive a recording line and back")
    func recordingRoundTrip() throws {
        let header = Fixtures.header(connections: 1)
        let decoder = RecordingDecoder(header: header)
        for event in Self.events() {
            let line = RecordingEncoder.line(event)
            let decoded = try decoder.decode(line.dropLast())
            #expect(decoded == .event(event.roundedToRecordingPrecision()))
        }
    }

    @Test("a tapped id of an unknown tap is refused like any unknown connection")
    func unknownTap() {
        let decoder = RecordingDecoder(header: Fixtures.header(connections: 1))
        let line = #"{"t":1.000,"kind":"tap_traffic","conn":"c9.1","bytes_c2s":1}"#
        #expect(throws: LineDamage.self) { try decoder.decode(Array(line.utf8)) }
    }

    @Test("the scrape gains per-method histograms only when something is tapped")
    func metrics() {
        let plain = PrometheusExporter.render(
            MonitorState(connections: [Fixtures.connection(0)]), now: 0)
        #expect(!plain.contains("upmon_tap_"))
        let text = PrometheusExporter.render(Self.state(), now: 0)
        let labels = #"conn="tap#1",method="add",caller="client""#
        #expect(text.contains("# TYPE upmon_tap_call_duration_seconds histogram\n"))
        #expect(text.contains("upmon_tap_call_duration_seconds_bucket{\(labels),le=\"0.005\"} 5\n"))
        #expect(text.contains("upmon_tap_call_duration_seconds_bucket{\(labels),le=\"+Inf\"} 8\n"))
        #expect(text.contains("upmon_tap_call_duration_seconds_count{\(labels)} 8\n"))
        #expect(text.contains("upmon_tap_errors_total{\(labels)} 2\n"))
        #expect(
            text.contains(
                #"upmon_tap_unanswered_total{conn="tap#1",method="slow",caller="client"} 1"#))
        #expect(text.contains(#"upmon_tap_bytes_total{conn="tap#1",direction="s2c"} 900"#))
    }

    @Test("tapped rows are capped: the oldest closed row goes first")
    func rowCap() {
        var state = MonitorState(connections: [Fixtures.connection(0, name: "tap")])
        for index in 1...(MonitorState.maxTapRows + 1) {
            let conn = ConnectionID("c1.\(index)")
            state.apply(
                MonitorEvent(
                    t: Double(index), conn: conn,
                    kind: .tap(.open(name: "tap#\(index)", client: "x", target: "y"))))
            if index == 3 { state.apply(.state(Double(index), conn, .idle, .closed, "closed")) }
        }
        #expect(state.connections.count == MonitorState.maxTapRows + 1)
        #expect(!state.contains("c1.3"))
        #expect(state.contains("c1.1"))
        #expect(state.contains(ConnectionID("c1.\(MonitorState.maxTapRows + 1)")))
    }
}
