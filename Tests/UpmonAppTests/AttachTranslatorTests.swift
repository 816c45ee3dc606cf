import DnodeProtocol
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// An app's header as its endpoint sends it: links `billing` (c1) and `search` (c2).
private func appHeader(_ names: [String] = ["billing", "search"]) -> RecordingHeader {
    RecordingHeader(
        started: "2026-12-04T23:00:00.000Z", host: "app-host", upmonVersion: "endpoint",
        connections: names.enumerated().map { index, name in
            ConnectionInfo(
                id: ConnectionID(index: index), name: name,
                endpoint: "tcp://127.0.0.1:\(7001 + index)",
                options: ConnectionOptions(
                    pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))
        })
}

@Suite("Attach translator")
struct AttachTranslatorTests {
    @Test("rows take upmon's ids from firstIndex, named app/link when there is a prefix")
    func rows() {
        let rows = AttachTranslator.connections(of: appHeader(), firstIndex: 2, prefix: "shop")
        #expect(rows.map(\.id) == ["c3", "c4"])
        #expect(rows.map(\.name) == ["shop/billing", "shop/search"])
        #expect(rows.map(\.endpoint) == ["tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002"])
        #expect(
            AttachTranslator.connections(of: appHeader(), firstIndex: 0, prefix: nil)
                .map(\.name) == ["billing", "search"])
    }

    @Test("socket arguments: unix: prefix or a path; prefixes only with several apps")
    func sockets() {
        #expect(AttachSession.socketPath("unix:/run/app/upmon.sock") == "/run/app/upmon.sock")
        #expect(AttachSession.socketPath("/tmp/a.sock") == "/tmp/a.sock")
        #expect(AttachSession.appPrefixes(["/tmp/a.sock"]) == [nil])
        #expect(
            AttachSession.appPrefixes(["/run/billing.sock", "/run/shop"]) == ["billing", "shop"])
        #expect(AttachSession.appPrefixes(["/a/app.sock", "/b/app.sock"]) == ["app1", "app2"])
    }

    @Test("events are renumbered to upmon's ids; the app's end line is not passed on")
    func events() throws {
        var translator = AttachTranslator(localIDs: ["billing": "c3", "search": "c4"])
        #expect(translator.attach(appHeader()).isEmpty)
        let decoder = RecordingDecoder(header: appHeader())
        let ping = try decoder.decode(
            Array(#"{"t":1.5,"kind":"ping","conn":"c2","rtt_ms":2.5}"#.utf8))
        let translated = translator.translate(ping)
        #expect(translated.count == 1)
        #expect(translated.first?.0 == "c4")
        #expect(translated.first?.1 == .ping(rttMs: 2.5))
        let end = try decoder.decode(
            Array(#"{"t":2,"kind":"end","reason":"stopped","lines":0}"#.utf8))
        #expect(translator.translate(end).isEmpty)
    }

    @Test("a snapshot brings each row to the app's state; losing the app takes them down")
    func snapshotAndDetach() throws {
        var app = MonitorState(connections: appHeader().connections)
        app.apply(
            MonitorEvent(
                t: 1, conn: "c1",
                kind: .state(from: .idle, to: .up, reason: "ready", detail: nil, phase: nil)))
        app.apply(MonitorEvent(t: 2, conn: "c1", kind: .ping(rttMs: 3.25)))
        app.apply(MonitorEvent(t: 2, conn: "c1", kind: .remoteMethods(["add", "ping"])))
        app.apply(
            MonitorEvent(
                t: 3, conn: "c2",
                kind: .state(
                    from: .idle, to: .down, reason: "refused", detail: "connection refused",
                    phase: nil)))
        app.apply(
            MonitorEvent(
                t: 3, conn: "c2",
                kind: .queue(depth: 4, oldestMs: 0, enqueued: 9, flushed: 5, expired: 0, failed: 0)
            ))

        var translator = AttachTranslator(localIDs: ["billing": "c1", "search": "c2"])
        _ = translator.attach(appHeader())
        let events = translator.translate(.snap(t: 10, state: app.toJSON()))
        var mine = MonitorState(connections: appHeader().connections)
        for (t, (conn, kind)) in events.enumerated() {
            mine.apply(MonitorEvent(t: 100 + Double(t) / 1000, conn: conn, kind: kind))
        }
        #expect(mine["c1"]?.state == .up)
        #expect(mine["c1"]?.methods == ["add", "ping"])
        #expect(mine["c1"]?.rttStats.last == 3.25)
        #expect(mine["c2"]?.state == .down)
        #expect(mine["c2"]?.queue.depth == 4)
        #expect(mine["c2"]?.queue.enqueued == 9)
        let reasons = events.compactMap { event -> String? in
            if case .state(_, _, let reason, _, _) = event.1 { return reason }
            return nil
        }
        #expect(reasons == ["attached", "attached"])

        // The app goes away: the row that was up goes down, saying why; the down one stays.
        let lost = translator.detach(because: "the app closed its monitor endpoint")
        #expect(lost.count == 1)
        #expect(lost.first?.0 == "c1")
        #expect(
            lost.first?.1
                == .state(
                    from: .up, to: .down, reason: "detached",
                    detail: "the app closed its monitor endpoint", phase: nil))
        #expect(translator.detach(because: "still gone").isEmpty, "nothing twice")
        for (conn, kind) in lost { mine.apply(MonitorEvent(t: 200, conn: conn, kind: kind)) }
        #expect(mine["c1"]?.whyNotUp == "detached")

        // It comes back: the next snapshot brings the row up from down.
        _ = translator.attach(appHeader())
        let back = translator.translate(.snap(t: 20, state: app.toJSON()))
        #expect(
            back.first?.1
                == .state(
                    from: .down, to: .up, reason: "attached",
                    detail: "the app's link has been up for 19s", phase: nil))
    }

    @Test("links the app did not have at start are named in a warning and not shown")
    func unknownLinks() throws {
        var translator = AttachTranslator(localIDs: ["billing": "c1"])
        let notes = translator.attach(appHeader(["billing", "ledger"]))
        #expect(notes.count == 1)
        if case .note(let level, let text)? = notes.first {
            #expect(level == .warning)
            #expect(text.contains("ledger"))
        }
        let decoder = RecordingDecoder(header: appHeader(["billing", "ledger"]))
        let ping = try decoder.decode(Array(#"{"t":1,"kind":"ping","conn":"c2","rtt_ms":1}"#.utf8))
        #expect(translator.translate(ping).isEmpty)
    }
}
