import DnodeProtocol
import Foundation
import Testing

@testable import UpnodeMonitor

/// The event log keeps what happened, and recordings store that (format version 2) rather
/// than wording; version 1 files, whose snapshots hold wording, still replay.
@Suite("Structured log entries")
struct LogEntryTests {
    let header = Fixtures.header(connections: 2)
    let c1: ConnectionID = "c1"
    let c2: ConnectionID = "c2"

    /// A snap line decoded by the JSONValue path and by the byte-level decoder.
    func decodeSnapBoth(_ line: [UInt8]) -> (fast: MonitorState?, slow: MonitorState?) {
        var slow: MonitorState?
        if case .snap(_, let json)? = try? RecordingDecoder(header: header).decode(line) {
            slow = try? MonitorState(json: json, connections: header.connections)
        }
        let fast = line.withUnsafeBufferPointer {
            SnapLineDecoder(header: header).decode($0, 0..<$0.count)
        }
        return (fast, slow)
    }

    /// One event of every kind that logs, plus a version 1 entry carried over.
    func stateWithEveryEntry() throws -> MonitorState {
        let v1 = try JSONValue(
            parsing: #"{"connections":{},"log":[[0.5,"c1","state","idle → up (odd)","warning"]]}"#
        )
        var state = try MonitorState(json: v1, connections: header.connections)
        let events: [MonitorEvent.Kind] = [
            .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial),
            .state(from: .up, to: .down, reason: "ping_timeout", detail: "no reply", phase: nil),
            .pingTimeout(afterMs: 800.5, consecutive: 2),
            .reconnect(attempt: 3, delayMs: 1234.567),
            .queue(depth: 1, oldestMs: 10, enqueued: 4, flushed: 1, expired: 2, failed: 0),
            .call(id: "m1", method: "status", origin: .manual, args: ["secret"], redacted: false),
            .result(id: "m1", n: 1, ok: true, durMs: 13.94, payload: [1], redacted: false),
            .result(
                id: "m1", n: 2, ok: false, durMs: 20, payload: ["code": "timeout"],
                redacted: false),
            .remoteMethods(["a", "b"]),
        ]
        for (position, kind) in events.enumerated() {
            state.apply(MonitorEvent(t: Double(position + 1), conn: c1, kind: kind))
        }
        state.apply(MonitorEvent(t: 20, conn: nil, kind: .mark(label: "before deploy")))
        state.apply(MonitorEvent(t: 21, conn: c2, kind: .note(level: .error, text: "a note")))
        state.apply(MonitorEvent(t: 22, conn: nil, kind: .end(reason: .quit, lines: 9)))
        return state
    }

    @Test("the reducer logs every kind as fields, with its level")
    func reducerEntries() throws {
        let state = try stateWithEveryEntry()
        #expect(
            state.log.elements.map(\.event) == [
                .legacy(kind: "state", text: "idle → up (odd)"),
                .transition(from: .idle, to: .connecting, reason: "start", detail: nil),
                .transition(from: .up, to: .down, reason: "ping_timeout", detail: "no reply"),
                .pingTimeout(afterMs: 800.5, consecutive: 2),
                .reconnect(attempt: 3, delayMs: 1234.567),
                .queueExpired(count: 2),
                .call(method: "status", origin: .manual),
                .result(method: "status", n: 1, ok: true, durMs: 13.94, errorCode: nil),
                .result(method: "status", n: 2, ok: false, durMs: 20, errorCode: "timeout"),
                .remoteMethods(count: 2),
                .mark(label: "before deploy"),
                .note(text: "a note"),
                .end(reason: .quit),
            ])
        #expect(
            state.log.elements.map(\.kind) == [
                "state", "state", "state", "ping_timeout", "reconnect", "queue", "call", "result",
                "result", "remote_methods", "mark", "note", "end",
            ])
        #expect(
            state.log.elements.map(\.level) == [
                .warning, .info, .warning, .warning, .info, .warning, .info, .info, .warning,
                .info, .info, .error, .info,
            ])
    }

    @Test("a version 2 snap round-trips every entry, by both decoders, without wording")
    func snapRoundTrip() throws {
        let state = try stateWithEveryEntry()
        let line = Array(RecordingEncoder.snapLine(state, t: 30).dropLast())
        let (fast, slow) = decodeSnapBoth(line)
        #expect(slow == state)
        #expect(fast == state)
        let text = String(decoding: line, as: UTF8.self)
        let transition =
            #"[2,"c1","state",{"from":"up","to":"down","reason":"ping_timeout","#
            + #""detail":"no reply"},"warning"]"#
        #expect(text.contains(transition))
        let result =
            #"[8,"c1","result",{"method":"status","n":2,"ok":false,"dur_ms":20,"#
            + #""error":"timeout"},"warning"]"#
        #expect(text.contains(result))
        let wordings = ["ping timeout after", "attempt 3 in", "queued transaction", "→ status"]
        for wording in wordings {
            #expect(!text.contains(wording), "\(wording)")
        }
        #expect(!text.contains("secret"))
    }

    @Test(
        "version 2 entries whose fields do not fit their kind are refused by both decoders",
        arguments: [
            #"[1,"c1","state",{"from":"up"}]"#,
            #"[1,"c1","state",{"from":"up","to":"sideways","reason":"x"}]"#,
            #"[1,"c1","call",{"method":"m","origin":"telepathy"}]"#,
            #"[1,"c1","result",{"method":"m","n":1,"ok":"yes","dur_ms":1}]"#,
            #"[1,"c1","ping_timeout",{"after_ms":"800","consecutive":1}]"#,
            #"[1,null,"end",{"reason":"boredom"}]"#,
            #"[1,null,"teleport",{}]"#,
            #"[1,null,"mark",5]"#,
        ])
    func malformedEntries(entry: String) {
        let line = Array(
            (#"{"t":1,"kind":"snap","state":{"connections":{},"log":["# + entry + "]}}").utf8)
        let (fast, slow) = decodeSnapBoth(line)
        #expect(fast == nil && slow == nil)
        let json = try? JSONValue(parsing: #"{"connections":{},"log":["# + entry + "]}")
        #expect(throws: SnapDecodingError.self) {
            try MonitorState(json: json ?? .null, connections: header.connections)
        }
    }

    @Test("a version 1 recording still replays; its log entries keep their text")
    func versionOneRecording() throws {
        let v1 = [
            #"{"upmon":"recording","version":1,"started":"2026-03-14T09:26:53.120Z","host":"h","#
                + #""upmon_version":"0.1.0","connections":[{"id":"c1","name":"api","#
                + #""endpoint":"tcp://127.0.0.1:7000","options":{"ping_ms":1000,"timeout_ms":800,"#
                + #""reconnect":"fixed 1000ms"}},{"id":"c2","name":"jobs","#
                + #""endpoint":"unix:/run/jobs.sock","options":{"ping_ms":1000,"timeout_ms":800,"#
                + #""reconnect":"exponential"}}]}"#,
            #"{"t":0,"kind":"snap","state":{"connections":{"c1":{"state":"up","since":-2},"#
                + #""c2":{"state":"down","since":-1}},"log":[[-2,"c1","state","#
                + #""connecting → up (ready)"],[-1,"c2","state","#
                + #""up → down (ping_timeout): no ping reply within 800 ms","warning"],"#
                + #"[-0.5,"c1","call","→ status (manual)"]]}}"#,
            #"{"t":1,"kind":"mark","label":"before deploy"}"#,
            #"{"t":2,"kind":"end","reason":"quit","lines":3}"#,
        ]
        let replayer = try Replayer(
            bytes: Array((v1.joined(separator: "\n") + "\n").utf8), file: "v1.upmon")
        #expect(replayer.header.version == 1)
        #expect(replayer.index.damagedCount == 0)
        let state = replayer.state(at: 2)
        #expect(state[c1]?.state == .up && state[c2]?.state == .down)
        #expect(
            state.log.elements.map(\.event) == [
                .legacy(kind: "state", text: "connecting → up (ready)"),
                .legacy(
                    kind: "state", text: "up → down (ping_timeout): no ping reply within 800 ms"),
                .legacy(kind: "call", text: "→ status (manual)"),
                .mark(label: "before deploy"),
                .end(reason: .quit),
            ])
        #expect(state.log.elements.map(\.level) == [.info, .warning, .info, .info, .info])
        // Both snap decoders read the version 1 log alike (the byte reader takes ASCII lines).
        let escaped = Array(v1[1].replacingOccurrences(of: "→", with: #"\u2192"#).utf8)
        let (fast, slow) = decodeSnapBoth(escaped)
        #expect(slow != nil)
        #expect(fast == slow)
        #expect(slow?.log == replayer.state(at: 0).log)
        // Written again, a version 1 entry keeps its text.
        let rewritten = String(decoding: RecordingEncoder.snapLine(state, t: 3), as: UTF8.self)
        #expect(rewritten.contains(#"[-2,"c1","state","connecting \u2192 up (ready)"]"#))
    }

    @Test("new recordings are version 2; versions 1 and 2 are read, others refused")
    func versions() throws {
        #expect(RecordingHeader.formatVersion == 2)
        let written = String(decoding: RecordingEncoder.line(header), as: UTF8.self)
        #expect(written.contains(#""version":2"#))
        for version in [1, 2] {
            let line = #"{"upmon":"recording","version":\#(version),"connections":[]}"#
            #expect(try RecordingHeader(line: Array(line.utf8), file: "f").version == version)
        }
        let old = Array(#"{"upmon":"recording","version":0,"connections":[]}"#.utf8)
        #expect(throws: RecordingError(file: "f", line: 1, problem: .unsupportedVersion(0))) {
            try RecordingHeader(line: old, file: "f")
        }
        #expect(
            RecordingError(file: "f", line: 1, problem: .unsupportedVersion(0)).description
                == "f:1: recording format version 0 is not supported"
                + " (this upmon reads versions 1 to 2)"
        )
    }
}
