import Testing

@testable import UpnodeMonitor

@Suite("Replayer and SeekIndex")
struct ReplayerTests {
    /// The state after applying every event with `t ≤ target`.
    func reference(_ header: RecordingHeader, _ events: [MonitorEvent], upTo target: Double)
        -> MonitorState
    {
        var state = header.initialState
        for event in events where event.t <= target { state.apply(event) }
        return state
    }

    @Test(
        "seek(X) equals applying every event up to X, at every event boundary",
        arguments: [1, 2, 3] as [UInt64])
    func keyframeProperty(seed: UInt64) throws {
        let header = Fixtures.header(connections: 3)
        var script = EventScript(seed: seed, connections: 3)
        let events = script.events(count: 300)
        var replayer = try Replayer(
            bytes: recordingBytes(header: header, events: events, end: false), file: "seed-\(seed)")
        #expect(replayer.index.snapCount > 3, "seed \(seed)")
        #expect(replayer.index.damagedCount == 0)
        var generator = SeededGenerator(seed: seed)
        for target in Set(events.map(\.t)).sorted() {
            let expected = reference(header, events, upTo: target)
            let fresh = replayer.state(at: target) == expected
            #expect(fresh, "seed \(seed), t \(target)")
            // Seek from a random earlier or later cursor too, exercising both paths.
            replayer.seek(to: Double.random(in: 0...replayer.lastT, using: &generator))
            replayer.seek(to: target)
            let fromCursor = replayer.state == expected
            #expect(fromCursor, "seed \(seed), t \(target) after a random seek")
        }
    }

    @Test("without snaps, synthetic keyframes give the same answers")
    func noSnapFile() throws {
        let header = Fixtures.header(connections: 2)
        var script = EventScript(seed: 9, connections: 2)
        let events = script.events(count: 200)
        var replayer = try Replayer(
            bytes: recordingBytes(header: header, events: events, snaps: false, end: false),
            file: "nosnap")
        #expect(replayer.index.snapCount == 0)
        #expect(replayer.index.keyframes.count > 3)
        replayer.advance(to: replayer.lastT)  // state(at:) must not start from the cursor's state
        for target in stride(from: 0, through: replayer.lastT, by: 7.3) {
            let equal = replayer.state(at: target) == reference(header, events, upTo: target)
            #expect(equal, "t \(target)")
        }
    }

    @Test("playback: advance applies events up to T and returns them; step goes one at a time")
    func playback() throws {
        let header = Fixtures.header(connections: 1)
        let events: [MonitorEvent] = [
            .state(1, "c1", .idle, .connecting, "start", phase: .dial),
            .state(1.2, "c1", .connecting, .up, "ready"),
            .ping(2, "c1", 10),
            MonitorEvent(t: 2.5, conn: nil, kind: .mark(label: "here")),
            .ping(3, "c1", 12),
            .ping(40, "c1", 14),
        ]
        var replayer = try Replayer(
            bytes: recordingBytes(header: header, events: events), file: "p")
        #expect(replayer.isComplete)
        #expect(replayer.lastT == 40)
        #expect(replayer.marks == [SeekIndex.Mark(t: 2.5, label: "here")])
        #expect(replayer.advance(to: 2) == Array(events[0...2]))
        #expect(replayer.time == 2)
        #expect(replayer.state["c1"]?.state == .up)
        #expect(replayer.stepForward() == events[3])
        #expect(replayer.time == 2.5)
        #expect(replayer.previousEventTime() == 2)
        #expect(replayer.advance(to: 100).count == 3)  // two pings and the end line
        #expect(replayer.time == 40)
        #expect(replayer.isAtEnd)
        #expect(replayer.stepForward() == nil)
        replayer.seek(to: -5)
        #expect(replayer.time == 0)
        #expect(replayer.state == header.initialState)
        #expect(replayer.nextMark(after: 1.9) == SeekIndex.Mark(t: 2.5, label: "here"))
        #expect(replayer.nextMark(after: 2.2) == nil)
        #expect(replayer.previousMark(before: 3.1) == SeekIndex.Mark(t: 2.5, label: "here"))
        #expect(replayer.previousMark(before: 2.9) == nil)
    }

    @Test("the example recording of docs/RECORDING.md opens complete with one mark")
    func documentedExample() throws {
        let replayer = try Replayer(path: Fixtures.recordingPath("example.upmon"))
        #expect(replayer.isComplete)
        #expect(replayer.index.damagedCount == 0)
        #expect(replayer.lastT == 6.95)
        #expect(replayer.marks.map(\.label) == ["before deploy"])
        let end = replayer.state(at: 6.95)
        #expect(end["c2"]?.state == .reconnecting)
        #expect(end["c2"]?.attempt == 1)
        #expect(end["c2"]?.nextRetryT == 6.731)
        #expect(end["c1"]?.calls.ok == 8)
        #expect(end["c1"]?.rtt.last?.rttMs == 12.118)
    }

    @Test("truncating at every byte past the header: opening works and skips at most one line")
    func truncation() throws {
        let bytes = try Fixtures.bytes("example.upmon")
        let headerEnd = try #require(bytes.firstIndex(of: 0x0A))
        for length in headerEnd...bytes.count {
            let replayer = try Replayer(bytes: Array(bytes[..<length]), file: "cut")
            #expect(replayer.index.damagedCount <= 1, "length \(length)")
            let endsCleanly =
                length == bytes.count || bytes[length - 1] == 0x0A || length == headerEnd
            #expect(replayer.index.damagedCount == (endsCleanly ? 0 : 1), "length \(length)")
            #expect(replayer.isComplete == (length == bytes.count))
        }
    }

    @Test("damage, unknown kinds and backwards time are counted, not fatal")
    func damageCounting() throws {
        let header = Fixtures.header(connections: 1)
        var bytes =
            RecordingEncoder.line(header) + RecordingEncoder.snapLine(header.initialState, t: 0)
        let lines = [
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5}"#,
            #"{"t":1.5,"kind":"ping","conn":"c1","rtt_ms":"#,
            #"{"t":2,"kind":"ping","conn":"c1","rtt_ms":6}"#,
            #"{"t":1.8,"kind":"ping","conn":"c1","rtt_ms":7}"#,
            #"{"t":3,"kind":"ping","conn":"c9","rtt_ms":7}"#,
            "",
            #"{"kind":"ping","conn":"c1","rtt_ms":7}"#,
            #"{"t":4,"conn":"c1","rtt_ms":7}"#,
            #"{"t":4.5,"kind":"teleport","conn":"c1"}"#,
            #"{"t":5,"kind":"ping","conn":"c1","rtt_ms":8}"#,
        ]
        bytes +=
            Array(lines.joined(separator: "\n").utf8) + Array("\n{\"t\":6,\"kind\":\"ping\"".utf8)
        let replayer = try Replayer(bytes: bytes, file: "d.upmon")
        #expect(replayer.index.damagedCount == 6)
        #expect(replayer.index.damagedLines.map(\.line) == [4, 7, 8, 9, 10])
        #expect(replayer.index.ignoredCount == 1)
        #expect(replayer.index.decreasingTimeCount == 1)
        #expect(!replayer.isComplete)
        #expect(replayer.lastT == 5)
        let state = replayer.state(at: 5)
        #expect(state["c1"]?.rtt.elements.map(\.t) == [1, 2, 2, 5])  // 1.8 was clamped to 2
        #expect(
            replayer.openingNotes.first
                == "skipped 6 damaged lines (4: invalid JSON, 7: unknown connection 'c9', 8: invalid JSON, 9: missing or non-numeric t, 10: missing kind, …)"
        )
        #expect(replayer.openingNotes.count == 3)
    }

    @Test("a truncated last line is reported as truncated")
    func truncatedNote() throws {
        let header = Fixtures.header(connections: 1)
        let bytes =
            RecordingEncoder.line(header)
            + Array(#"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5}"#.utf8)
        let replayer = try Replayer(bytes: bytes, file: "t")
        #expect(replayer.index.damageSummary == "skipped 1 damaged line (2: truncated)")
    }

    @Test("opening a missing file is a typed error naming the file")
    func missingFile() {
        #expect {
            try Replayer(path: "/nonexistent/dir/x.upmon")
        } throws: { error in
            (error as? RecordingError)?.description
                == "/nonexistent/dir/x.upmon: cannot read recording: No such file or directory"
        }
    }
}
