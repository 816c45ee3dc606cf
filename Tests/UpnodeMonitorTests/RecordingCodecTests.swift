import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("Recording encoder and decoder")
struct RecordingCodecTests {
    static let everyKind: [MonitorEvent] = [
        MonitorEvent(
            t: 0.903, conn: "c1",
            kind: .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial)),
        MonitorEvent(
            t: 5.731, conn: "c2",
            kind: .state(
                from: .up, to: .down, reason: "ping_timeout",
                detail: "no ping reply within 800 ms", phase: nil)),
        MonitorEvent(t: 0.412, conn: "c1", kind: .ping(rttMs: 12.118)),
        MonitorEvent(t: 5.731, conn: "c2", kind: .pingTimeout(afterMs: 800, consecutive: 1)),
        MonitorEvent(t: 5.731, conn: "c2", kind: .reconnect(attempt: 1, delayMs: 1000)),
        MonitorEvent(
            t: 6.102, conn: "c2",
            kind: .queue(depth: 1, oldestMs: 0, enqueued: 9, flushed: 8, expired: 0, failed: nil)),
        MonitorEvent(
            t: 6.2, conn: "c2",
            kind: .queue(depth: 0, oldestMs: 12.5, enqueued: 9, flushed: 9, expired: 0, failed: 2)),
        MonitorEvent(
            t: 1.02, conn: "c1",
            kind: .call(
                id: "m1", method: "status", origin: .manual,
                args: [["verbose": "<bool>"], "<fn>"], redacted: true)),
        MonitorEvent(
            t: 1.034, conn: "c1",
            kind: .result(
                id: "m1", n: 1, ok: true, durMs: 13.902,
                payload: [nil, ["uptime": "<int>", "version": "<string>"]], redacted: true)),
        MonitorEvent(
            t: 7.5, conn: "c1",
            kind: .result(
                id: "m2", n: 1, ok: false, durMs: 5000,
                payload: ["code": "timeout"], redacted: false)),
        MonitorEvent(
            t: 0.903, conn: "c1", kind: .remoteMethods(["echo", "status", "time", "upnode.ping"])),
        MonitorEvent(t: 2.5, conn: nil, kind: .mark(label: "before deploy")),
        MonitorEvent(
            t: 3.2, conn: "c2",
            kind: .note(level: .warning, text: "remote has no upnode.ping; heartbeat off")),
        MonitorEvent(t: 3.3, conn: nil, kind: .note(level: .info, text: "ünïcode → ok")),
        MonitorEvent(t: 6.95, conn: nil, kind: .end(reason: .stdinClosed, lines: 11)),
        MonitorEvent(
            t: 7.25, conn: "c2",
            kind: .alert(
                AlertChange(
                    rule: "p95", state: .firing, value: 612.125, threshold: 500, forSeconds: 30))),
        MonitorEvent(
            t: 9.5, conn: "c2",
            kind: .alert(
                AlertChange(
                    rule: "p95", state: .resolved, value: 80.5, threshold: 500,
                    forSeconds: 32.25))),
    ]

    var decoder: RecordingDecoder { RecordingDecoder(header: Fixtures.header(connections: 2)) }

    func decodeLine(_ text: String) throws -> RecordingLine {
        try decoder.decode(Array(text.utf8))
    }

    @Test("every kind round-trips through a line", arguments: everyKind)
    func roundTrip(event: MonitorEvent) throws {
        let line = RecordingEncoder.line(event)
        #expect(line.last == 0x0A)
        #expect(line.filter { $0 == 0x0A }.count == 1)
        #expect(try decoder.decode(line.dropLast()) == .event(event))
    }

    @Test("t has exactly three decimals; durations keep microseconds")
    func timeFormat() {
        #expect(RecordingEncoder.fixedMilliseconds(0) == "0.000")
        #expect(RecordingEncoder.fixedMilliseconds(12.3456) == "12.346")
        #expect(RecordingEncoder.fixedMilliseconds(5.7309999) == "5.731")
        #expect(RecordingEncoder.fixedMilliseconds(3600) == "3600.000")
        let text = String(
            decoding: RecordingEncoder.line(.ping(1.0004, "c1", 12.1184)), as: UTF8.self)
        #expect(text == "{\"t\":1.000,\"kind\":\"ping\",\"conn\":\"c1\",\"rtt_ms\":12.118}\n")
    }

    @Test("events rounded to recording precision survive encoding exactly")
    func recordingPrecision() throws {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            let t = Double.random(in: 0...100_000, using: &generator)
            let rtt = Double.random(in: 0...5000, using: &generator)
            let events = [
                MonitorEvent.ping(t, "c1", rtt),
                MonitorEvent(
                    t: t, conn: "c2",
                    kind: .queue(
                        depth: 1, oldestMs: rtt, enqueued: 2, flushed: 1, expired: 0, failed: nil)),
                MonitorEvent(
                    t: t, conn: "c1",
                    kind: .result(id: "m", n: 1, ok: true, durMs: rtt, payload: nil, redacted: true)
                ),
            ]
            for event in events {
                let rounded = event.roundedToRecordingPrecision()
                let decoded = try decoder.decode(RecordingEncoder.line(rounded).dropLast())
                #expect(decoded == .event(rounded), "seed 11, t \(t), rtt \(rtt)")
            }
        }
    }

    @Test("header round-trips and matches the documented field names")
    func headerRoundTrip() throws {
        let header = Fixtures.header(connections: 2, argsRecorded: true)
        let line = RecordingEncoder.line(header)
        #expect(try RecordingHeader(line: line.dropLast(), file: "x.upmon") == header)
        let text = String(decoding: line, as: UTF8.self)
        for field in [
            "\"upmon\":\"recording\"", "\"version\":2", "\"upmon_version\"", "\"snap_every_s\":30",
            "\"args_recorded\":true", "\"queue_stuck_after_ms\":10000", "\"ping_ms\":1000",
        ] {
            #expect(text.contains(field))
        }
    }

    @Test(
        "the example of docs/RECORDING.md (format version 1) parses, and re-encoding gives the same bytes"
    )
    func documentedExample() throws {
        let bytes = try Fixtures.bytes("example.upmon")
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 12)
        let header = try RecordingHeader(line: lines[0], file: "example.upmon")
        #expect(header.started == "2026-03-14T09:26:53.120Z")
        #expect(
            header.connections.map(\.endpoint) == [
                "tls://api.internal:7000", "unix:/run/jobs.sock",
            ])
        #expect(header.connections[1].options.reconnect == "exponential")
        let decoder = RecordingDecoder(header: header)
        for line in lines.dropFirst() {
            let decoded = try decoder.decode(line)
            if case .event(let event) = decoded {
                #expect(RecordingEncoder.line(event) == Array(line) + [0x0A])
            }
        }
        guard case .snap(let t, let json) = try decoder.decode(lines[1]) else {
            Issue.record("line 2 is not a snap")
            return
        }
        #expect(t == 0)
        let state = try MonitorState(json: json, connections: header.connections)
        #expect(state["c1"]?.state == .up)
        #expect(state["c1"]?.since == -42.31)
        #expect(state["c2"]?.queue.enqueued == 8)
        #expect(state["c1"]?.methods == ["status", "time", "upnode.ping"])
        #expect(state.log.count == 2)
    }

    @Test("the other documented examples decode")
    func otherDocumentedExamples() throws {
        let decoder = RecordingDecoder(header: Fixtures.header(connections: 3))
        let lines = try Fixtures.bytes("doc-examples.jsonl").split(separator: 0x0A)
        #expect(lines.count == 3)
        for line in lines {
            guard case .event(let event) = try decoder.decode(line) else {
                Issue.record("not an event: \(String(decoding: line, as: UTF8.self))")
                continue
            }
            #expect(RecordingEncoder.line(event) == Array(line) + [0x0A])
        }
    }

    @Test("version 3 is refused with the documented message")
    func newerVersion() {
        let line = Array(#"{"upmon":"recording","version":3,"connections":[]}"#.utf8)
        #expect(throws: RecordingError(file: "FILE", line: 1, problem: .unsupportedVersion(3))) {
            try RecordingHeader(line: line, file: "FILE")
        }
        let error = RecordingError(file: "FILE", line: 1, problem: .unsupportedVersion(3))
        #expect(
            error.description
                == "FILE:1: recording format version 3 is newer than this upmon understands (2); upgrade upmon"
        )
        #expect(error.exitCode == 2)
    }

    @Test(
        "a file that is not a recording is refused",
        arguments: [
            "", "not json", "[1,2]", #"{"upmon":"something"}"#, #"{"version":1}"#,
        ])
    func notARecording(text: String) {
        #expect(throws: RecordingError(file: "FILE", line: 1, problem: .notARecording)) {
            try RecordingHeader(line: Array(text.utf8), file: "FILE")
        }
        #expect(
            RecordingError(file: "FILE", line: 1, problem: .notARecording).description
                == "FILE:1: not an upmon recording")
    }

    @Test("gzip files get a hint to decompress")
    func gzip() {
        #expect(throws: RecordingError(file: "f.upmon.gz", line: 1, problem: .compressed)) {
            try RecordingHeader(line: [0x1F, 0x8B, 0x08, 0x00], file: "f.upmon.gz")
        }
    }

    @Test("unknown kinds are ignored and unknown fields are skipped")
    func forwardCompatible() throws {
        #expect(
            try decodeLine(#"{"t":1.5,"kind":"hologram","conn":"c1","x":1}"#)
                == .ignored(t: 1.5, kind: "hologram"))
        let line = #"{"t":1.5,"kind":"ping","conn":"c1","rtt_ms":9,"future":{"a":[1]},"seq":77}"#
        #expect(try decodeLine(line) == .event(.ping(1.5, "c1", 9)))
    }

    @Test(
        "damaged lines report why",
        arguments: [
            ("{\"t\":1,", LineDamage.invalidJSON),
            ("[1]", .notAnObject),
            (#"{"kind":"ping","conn":"c1","rtt_ms":1}"#, .missingTime),
            (#"{"t":"soon","kind":"ping","conn":"c1","rtt_ms":1}"#, .missingTime),
            (#"{"t":1,"conn":"c1"}"#, .missingKind),
            (#"{"t":1,"kind":"ping","conn":"c7","rtt_ms":1}"#, .unknownConnection("c7")),
            (#"{"t":1,"kind":"ping","conn":"c1"}"#, .badField(kind: "ping", field: "rtt_ms")),
            (#"{"t":1,"kind":"ping","rtt_ms":1}"#, .badField(kind: "ping", field: "conn")),
            (
                #"{"t":1,"kind":"state","conn":"c1","from":"up","to":"sideways","reason":"x"}"#,
                .badField(kind: "state", field: "to")
            ),
        ])
    func damage(text: String, expected: LineDamage) {
        #expect(throws: expected) { try decodeLine(text) }
    }

    @Test("ISO-8601 timestamps for the header")
    func timestamps() {
        #expect(RecordingHeader.timestamp(epochMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(
            RecordingHeader.timestamp(epochMilliseconds: 1_773_480_413_120)
                == "2026-03-14T09:26:53.120Z")
        #expect(
            RecordingHeader.timestamp(epochMilliseconds: 951_782_400_000)
                == "2000-02-29T00:00:00.000Z")
    }
}
