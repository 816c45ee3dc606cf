import DnodeProtocol
import Testing

@testable import UpnodeMonitor

/// Regressions from the bad-input review: huge times, outlier `t` lines, empty and cut headers.
@Suite("Recording bad-input regressions")
struct BadInputRegressionTests {
    // MARK: fixedMilliseconds

    @Test(
        "t of any finite size prints as itself, never as a wrong small number",
        arguments: [
            (9e12, "9000000000000.000"),
            (9_000_000_000_000.25, "9000000000000.250"),
            (-9_000_000_000_000.25, "-9000000000000.250"),
            (9_007_199_254_740.992, "9007199254740.992"),
            (123_456_789_012_345.5, "123456789012345.500"),
            (5e15, "5000000000000000.000"),
            (-5e15, "-5000000000000000.000"),
            (0x1p62, "4611686018427387904.000"),
            (1.2e29, "120000000000000000000000000000.000"),
            (-1.2e29, "-120000000000000000000000000000.000"),
            (1e300, "1" + String(repeating: "0", count: 300) + ".000"),
        ] as [(Double, String)])
    func hugeTimes(seconds: Double, expected: String) {
        let text = RecordingEncoder.fixedMilliseconds(seconds)
        #expect(text == expected)
        #expect(Double(text) == seconds, "reads back as the same double")
    }

    @Test("the largest finite doubles and every power of two print exactly enough to read back")
    func readsBack() {
        for value in [Double.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0x1p63, 0x1p53]
            + (0...1023).map({ Double(sign: .plus, exponent: $0, significand: 1.5) })
        {
            let text = RecordingEncoder.fixedMilliseconds(value)
            #expect(text.hasSuffix(".000") || value < 0x1p53, "\(value): \(text)")
            #expect(Double(text) == value, "\(value): \(text)")
        }
        // Below 2^53 ms the milliseconds are the rounded ones, as always.
        for value in [0.0005, 1.0004, 86_400.0015, 8_999_999_999_999.999] {
            #expect(
                Double(RecordingEncoder.fixedMilliseconds(value))
                    == MonitorEvent.roundedTime(value),
                "\(value)")
        }
    }

    @Test("a non-finite t is written as null, which a replay reports as a damaged line")
    func nonFiniteTimes() throws {
        for value in [Double.infinity, -.infinity, .nan] {
            #expect(RecordingEncoder.fixedMilliseconds(value) == "null")
        }
        let line = RecordingEncoder.line(MonitorEvent(t: .nan, conn: nil, kind: .mark(label: "x")))
        #expect(
            String(decoding: line, as: UTF8.self) == #"{"t":null,"kind":"mark","label":"x"}"# + "\n"
        )
        #expect(throws: LineDamage.missingTime) {
            try RecordingDecoder(header: Fixtures.header(connections: 1)).decode(line.dropLast())
        }
    }

    @Test("an event line with a huge t round-trips through the encoder")
    func hugeLineRoundTrip() throws {
        let event = MonitorEvent.ping(5e15, "c1", 12)
        let line = RecordingEncoder.line(event)
        #expect(String(decoding: line, as: UTF8.self).hasPrefix(#"{"t":5000000000000000.000,"#))
        let decoded = try RecordingDecoder(header: Fixtures.header(connections: 1)).decode(
            line.dropLast())
        #expect(decoded == .event(event))
    }

    // MARK: Outlier t on replay

    /// A recording of pings at 1…5 s on `c1` with `outlier` as line 5 (between t 2 and 3).
    func recording(outlier: String) -> [UInt8] {
        let header = Fixtures.header(connections: 1)
        let lines = [
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":1}"#,
            #"{"t":2,"kind":"ping","conn":"c1","rtt_ms":2}"#,
            outlier,
            #"{"t":3,"kind":"ping","conn":"c1","rtt_ms":3}"#,
            #"{"t":4,"kind":"mark","label":"m"}"#,
            #"{"t":5,"kind":"end","reason":"quit","lines":7}"#,
        ]
        return RecordingEncoder.line(header) + RecordingEncoder.snapLine(header.initialState, t: 0)
            + Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    @Test(
        "one line with an outlier t is damaged; the rest keeps its own times",
        arguments: [
            (
                #"{"t":1.2e29,"kind":"ping","conn":"c1","rtt_ms":9}"#,
                LineDamage.implausibleTime(1.2e29)
            ),
            (#"{"t":5e15,"kind":"mark","label":"far"}"#, .implausibleTime(5e15)),
            (
                #"{"t":5000000000000000.000,"kind":"ping","conn":"c1","rtt_ms":9}"#,
                .implausibleTime(5e15)
            ),
            (#"{"t":315576001,"kind":"snap","state":{}}"#, .implausibleTime(315_576_001)),
            (#"{"t":-1e20,"kind":"ping","conn":"c1","rtt_ms":9}"#, .implausibleTime(-1e20)),
            (#"{"t":1e999,"kind":"ping","conn":"c1","rtt_ms":9}"#, .missingTime),
            (#"{"t":-1e999,"kind":"ping","conn":"c1","rtt_ms":9}"#, .missingTime),
            (#"{"t":null,"kind":"ping","conn":"c1","rtt_ms":9}"#, .missingTime),
        ] as [(String, LineDamage)])
    func outlierTime(line: String, damage: LineDamage) throws {
        let replayer = try Replayer(bytes: recording(outlier: line), file: "o.upmon")
        #expect(replayer.index.damagedLines == [.init(line: 5, damage: damage)])
        #expect(replayer.index.damagedCount == 1)
        #expect(replayer.index.decreasingTimeCount == 0, "no later line is pulled up")
        #expect(replayer.lastT == 5)
        #expect(replayer.isComplete)
        #expect(replayer.marks == [SeekIndex.Mark(t: 4, label: "m")])
        #expect(replayer.index.entries.map(\.t) == [0, 1, 2, 3, 4, 5])
        #expect(replayer.state(at: 5)["c1"]?.rtt.elements.map(\.t) == [1, 2, 3])
    }

    @Test("the damage note explains an implausible t")
    func implausibleNote() throws {
        let replayer = try Replayer(
            bytes: recording(outlier: #"{"t":1.2e29,"kind":"ping","conn":"c1","rtt_ms":9}"#),
            file: "o.upmon")
        #expect(
            replayer.openingNotes
                == [
                    "skipped 1 damaged line (5: implausible t 1.2e+29 (more than 10 years from the start of the recording))"
                ])
    }

    @Test("times up to 10 years, and long gaps below it, are kept as written")
    func plausibleTimes() throws {
        let month = 30 * 86_400.0
        let replayer = try Replayer(
            bytes: recording(outlier: #"{"t":2.5,"kind":"note","level":"info","text":"x"}"#)
                + Array(
                    """
                    {"t":\(month),"kind":"ping","conn":"c1","rtt_ms":4}
                    {"t":\(SeekIndex.maxPlausibleTime),"kind":"ping","conn":"c1","rtt_ms":5}

                    """.utf8),
            file: "p.upmon")
        #expect(replayer.index.damagedCount == 0)
        #expect(replayer.lastT == SeekIndex.maxPlausibleTime)
        #expect(SeekIndex.maxPlausibleTime == 315_576_000)
    }

    // MARK: Empty and cut headers

    func openingError(_ bytes: [UInt8], file: String = "rec.upmon") -> RecordingError? {
        do {
            _ = try Replayer(bytes: bytes, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("an empty file says so, naming the file")
    func emptyFile() {
        let error = openingError([])
        #expect(error == RecordingError(file: "rec.upmon", problem: .emptyFile))
        #expect(error?.description == "rec.upmon: empty file (0 bytes), not an upmon recording")
        #expect(error?.exitCode == 2)
    }

    @Test("a header cut before its newline says it is truncated, at every length")
    func truncatedHeader() throws {
        let header = RecordingEncoder.line(Fixtures.header(connections: 2))
        for length in 1..<(header.count - 1) {
            let error = openingError(Array(header.prefix(length)))
            #expect(
                error
                    == RecordingError(
                        file: "rec.upmon", line: 1, problem: .truncatedHeader(bytes: length)),
                "length \(length): \(String(describing: error))")
        }
        #expect(
            openingError(Array(header.prefix(60)))?.description
                == "rec.upmon:1: the header line is truncated (60 bytes, no newline); the file ends inside line 1"
        )
        #expect(
            openingError(Array(#"{"#.utf8))?.description
                == "rec.upmon:1: the header line is truncated (1 byte, no newline); the file ends inside line 1"
        )
        // The whole header without its newline is still a header (an empty recording).
        let whole = try Replayer(bytes: Array(header.dropLast()), file: "rec.upmon")
        #expect(whole.index.eventLineCount == 0)
        // A hand-written header cut short is recognised by its "upmon" key.
        #expect(
            openingError(Array(#"{"version":1, "upmon":"recor"#.utf8))?.problem
                == .truncatedHeader(bytes: 28))
        #expect(
            openingError(Array(#"{"upmon":"recording","version":1."#.utf8))?.problem
                == .truncatedHeader(bytes: 33))
    }

    @Test(
        "files that are not recordings keep their message, with or without a newline",
        arguments: [
            "\n", "not json", "not json\n", "[1,2]", "{\"upmon\":\"something\"}",
            "{\"version\":1}\n",
            "{\"a\":", "{\"a\":\n", "{\"upmon\":\"recording\"", "{\"upmon\":\"recording\"\n",
            "x{\"upmon\"",
            "{\"upmon\":\"recording\",}", "{\"upmon\":\"recording\",\"version\":tru",
        ])
    func notRecordings(text: String) {
        let error = openingError(Array(text.utf8))
        if text == "{\"upmon\":\"recording\"" || text == "{\"upmon\":\"recording\",\"version\":tru"
        {
            // Cut short with no newline: the start of a header.
            #expect(error?.problem == .truncatedHeader(bytes: text.utf8.count), "\(text)")
            return
        }
        #expect(
            error == RecordingError(file: "rec.upmon", line: 1, problem: .notARecording), "\(text)")
        #expect(error?.description == "rec.upmon:1: not an upmon recording")
    }
}
