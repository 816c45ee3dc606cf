import DnodeProtocol
import Foundation
import Testing

@testable import UpnodeMonitor

@Suite("RecordingWriter")
struct RecordingWriterTests {
    let header = Fixtures.header(connections: 2)

    func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("creates a 0600 file with header, snap, events and an end line that counts lines")
    func writesRecording() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/session.upmon"
        var state = header.initialState
        let writer = try RecordingWriter(path: path, header: header, initialState: state)
        let events: [MonitorEvent] = [
            .state(0.5, "c1", .idle, .connecting, "start", phase: .dial),
            .state(0.9, "c1", .connecting, .up, "ready"),
            .ping(1.0, "c1", 12.5),
            .ping(31.0, "c1", 13.5),
        ]
        var cursor = RecordingCursor(startedT: 0, snapEvery: 30)
        for event in events {
            state.apply(event)
            try writer.record(
                MonitorEvent(
                    t: cursor.fileTime(ofEventAt: event.t), conn: event.conn, kind: event.kind))
            if let t = cursor.snapTime(at: event.t) { try writer.snap(state, t: t) }
        }
        #expect(cursor.snapTime(at: 31.05) == nil)
        try writer.finish(reason: .quit, t: 31.1)
        #expect(writer.isRecording == false)
        try writer.finish(reason: .quit, t: 32)  // a second finish does nothing
        #expect(try permissions(path) == 0o600)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(text.hasSuffix("\n"))
        #expect(lines.count == 8)  // header, snap 0, 4 events, snap at 31, end
        #expect(lines[1].hasPrefix(#"{"t":0.000,"kind":"snap""#))
        #expect(lines[6].hasPrefix(#"{"t":31.000,"kind":"snap""#))
        #expect(lines[7] == #"{"t":31.100,"kind":"end","reason":"quit","lines":7}"#)

        let replayer = try Replayer(path: path)
        #expect(replayer.isComplete)
        #expect(replayer.index.snapCount == 2)
        let replayed = replayer.state(at: 31) == state
        #expect(replayed)
    }

    @Test("refuses to overwrite an existing file unless asked")
    func refusesOverwrite() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/exists.upmon"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecordingError(file: path, problem: .alreadyExists)) {
            try RecordingWriter(path: path, header: header, initialState: header.initialState)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me\n")
        let writer = try RecordingWriter(
            path: path, header: header, initialState: header.initialState, overwrite: true)
        try writer.finish(reason: .stopped, t: 1)
        #expect(
            try String(contentsOfFile: path, encoding: .utf8).hasPrefix(#"{"upmon":"recording""#))
        #expect(try permissions(path) == 0o600)
    }

    @Test("an unwritable location is a typed error naming the file")
    func cannotCreate() {
        #expect {
            try RecordingWriter(
                path: "/nonexistent/dir/x.upmon", header: header, initialState: header.initialState)
        } throws: { error in
            (error as? RecordingError)?.description
                == "/nonexistent/dir/x.upmon: cannot create recording: No such file or directory"
        }
    }

    @Test("a failing write stops the recording and reports it, without crashing")
    func writeFailure() async throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let writer: RecordingWriter
        do {
            writer = try RecordingWriter(
                path: "/dev/full", header: header, initialState: header.initialState,
                overwrite: true)
        } catch {
            #expect(
                error.description.contains(
                    "write failed: No space left on device; recording stopped"))
            return
        }
        Issue.record("writing to /dev/full succeeded: \(writer.lineCount) lines")
    }

    @Test("by default the file holds argument shapes, never argument text")
    func noArgumentText() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/private.upmon"
        var state = header.initialState
        let writer = try RecordingWriter(path: path, header: header, initialState: state)
        let secret: JSONValueSecret = .init()
        let recorded = Redaction.recordedArguments(
            secret.args, recordArgs: false, isAuthCall: false)
        let auth = Redaction.recordedArguments(secret.args, recordArgs: true, isAuthCall: true)
        let events: [MonitorEvent] = [
            MonitorEvent(
                t: 1, conn: "c1",
                kind: .call(
                    id: "m1", method: "login", origin: .manual, args: auth.args,
                    redacted: auth.redacted)),
            MonitorEvent(
                t: 2, conn: "c1",
                kind: .call(
                    id: "m2", method: "store", origin: .manual, args: recorded.args,
                    redacted: recorded.redacted)),
            MonitorEvent(
                t: 3, conn: "c1",
                kind: .result(
                    id: "m2", n: 1, ok: true, durMs: 4,
                    payload: Redaction.shape(of: secret.args), redacted: true)),
        ]
        for event in events {
            state.apply(event)
            try writer.record(event)
        }
        try writer.snap(state, t: 60)
        try writer.finish(reason: .signal, t: 61)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains(JSONValueSecret.marker))
        #expect(text.contains(#""args":"<redacted>""#))
        #expect(text.contains(#""args":["<string>",{"password":"<string>"},"<fn>"]"#))
        #expect(text.contains("store"))
    }
}

/// Arguments carrying a recognisable secret.
struct JSONValueSecret {
    static let marker = "TOPSECRET-7f3a"
    var args: JSONValue {
        [.string("user-\(Self.marker)"), ["password": .string(Self.marker)], "[Function]"]
    }
}
