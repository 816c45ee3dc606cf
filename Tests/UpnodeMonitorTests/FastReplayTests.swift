import DnodeProtocol
import Foundation
import Testing

@testable import UpnodeMonitor

/// The fast paths of opening and seeking: fixed-point `t`, byte-level line decoding and the
/// remembered keyframes all have to give exactly what the slow paths give.
@Suite("Fast replay paths")
struct FastReplayTests {
    // MARK: - Numbers

    func fast(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { JSONNumber.finite($0, 0..<$0.count) }
    }

    func reference(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    @Test(
        "t as fixed point: the same double as Double(String), edge cases",
        arguments: [
            "0", "-0", "0.000", "-0.000", "0.001", "-0.001", "1", "12.5", "12.345", "-12.345",
            "3600.000", "86399.999", "123456789.123", "999999999999.999", "999999999999999",
            "-999999999999999", "9999999999999999", "0.1", "0.2", "0.3", "2.675", "1.0000000001",
            "0.1234567890123456789", "123456789012345678901234567890", "9007199254740993",
            "0.0000000000000000000001", "0.00000000000000000000001", "1e3", "1E3", "-1.5e+2",
            "2.5e-3", "0e0", "-0e-5", "1.7976931348623157e308", "4.9e-324", "5e-325",
        ])
    func fixedPointEdges(text: String) {
        let value = fast(text)
        let expected = reference(text)
        #expect(value?.bitPattern == expected?.bitPattern, "\(text)")
    }

    @Test(
        "values that are not finite numbers give nil",
        arguments: [
            "1e400", "-1e400", String(repeating: "9", count: 400), "\"1\"", "true", "null", "[1]",
        ])
    func notFinite(text: String) {
        #expect(fast(text) == nil)
    }

    @Test("random decimals agree bit for bit with Double(String)")
    func randomDecimals() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<20_000 {
            let integerDigits = Int.random(in: 1...16, using: &generator)
            let decimals = Int.random(in: 0...8, using: &generator)
            var text = Bool.random(using: &generator) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<integerDigits { text += String(Int.random(in: 0...9, using: &generator)) }
            if Int.random(in: 0..<4, using: &generator) == 0 {
                text = text.hasPrefix("-") ? "-0" : "0"
            }
            if decimals > 0 {
                text += "."
                for _ in 0..<decimals { text += String(Int.random(in: 0...9, using: &generator)) }
            }
            let value = fast(text)
            let expected = reference(text)
            #expect(value?.bitPattern == expected?.bitPattern, "\(text)")
        }
    }

    @Test("the scan reads t through the fast path, negative and exponent t included")
    func scannedTimes() {
        for (text, expected) in [
            (#"{"t":12.345,"kind":"ping"}"#, 12.345), (#"{"t":-2.5,"kind":"ping"}"#, -2.5),
            (#"{"t":1.5e1,"kind":"ping"}"#, 15), (#"{"t":0,"kind":"ping"}"#, 0),
        ] {
            guard case .object(let fields) = LineScanner.scan(ArraySlice(Array(text.utf8))) else {
                Issue.record("not an object: \(text)")
                continue
            }
            #expect(fields.t == expected, "\(text)")
        }
    }

    // MARK: - Scanning without knowing the line end

    @Test("scanning up to the newline agrees with scanning the line, on every prefix")
    func newlineScanAgrees() throws {
        var lines = try (Fixtures.bytes("example.upmon") + Fixtures.bytes("doc-examples.jsonl"))
            .split(separator: 0x0A).map(Array.init)
        lines += [
            #"{"t":1,"kind":"x"}"#, "  {}  ", "{} {}", "[1]", "01", "1.", #"{"a":1,}"#, "\t{\r}\r",
            #"{"t":1 ,"kind" : "ping","conn":"c1"}"#, #"{"t":"1","kind":"ping"}"#, #"{"t":1e5}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":nul}"#, "", " ",
            #"{"a":[[1,2],[3,null],[4,5,6],[ 7,8]]}"#, #"{"t":1,"kind":"p\u0069ng"}"#,
        ].map { Array($0.utf8) }
        for line in lines {
            for length in 0...line.count {
                let prefix = Array(line.prefix(length))
                var boundedFields = LineScanner.RawFields()
                let bounded = prefix.withUnsafeBufferPointer {
                    LineScanner.scan($0, 0..<$0.count, into: &boundedFields)
                }
                let buffer = prefix + [0x0A] + Array(#"{"t":2,"kind":"ping"}"#.utf8) + [0x0A]
                var fields = LineScanner.RawFields()
                let found = buffer.withUnsafeBufferPointer {
                    LineScanner.scan($0, lineFrom: 0, into: &fields)
                }
                let text = String(decoding: prefix, as: UTF8.self)
                switch (bounded, found) {
                case (.invalid, nil): break
                case (.object, let result?):
                    #expect(result.end == prefix.count && result.shape == .object, "\(text)")
                    #expect(
                        fields.t == boundedFields.t && fields.kind == boundedFields.kind, "\(text)")
                    #expect(fields.conn == boundedFields.conn, "\(text)")
                case (.notAnObject, let result?):
                    #expect(result.end == prefix.count && result.shape == .notAnObject, "\(text)")
                default:
                    Issue.record(
                        "bounded \(bounded), newline \(String(describing: found)): \(text)")
                }
            }
        }
    }

    // MARK: - Scanner depth limit

    @Test("nesting limit matches JSONParser", arguments: [254, 255, 256, 257])
    func depthLimit(depth: Int) {
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        for text in [#"{"t":1,"kind":"x","a":"# + nested + "}", nested] {
            let bytes = ArraySlice(Array(text.utf8))
            let parses = (try? JSONParser.parse(bytes)) != nil
            let valid: Bool
            if case .invalid = LineScanner.scan(bytes) { valid = false } else { valid = true }
            #expect(valid == parses, "depth \(depth), \(text.prefix(12))")
        }
    }

    // MARK: - Line decoder

    func decodeBoth(_ text: String, header: RecordingHeader = Fixtures.header(connections: 3))
        -> (fast: MonitorEvent?, full: MonitorEvent?)
    {
        let bytes = Array(text.utf8)
        let full: MonitorEvent?
        if case .event(var event)? = try? RecordingDecoder(header: header).decode(bytes) {
            event.t = 7
            full = event
        } else {
            full = nil
        }
        let fast = bytes.withUnsafeBufferPointer {
            EventLineDecoder(header: header).decode($0, 0..<$0.count, t: 7)
        }
        return (fast, full)
    }

    @Test("the line decoder decodes every written line exactly as RecordingDecoder does")
    func lineDecoderMatchesWrittenLines() {
        var events = RecordingCodecTests.everyKind
        for seed in [1, 2, 3, 4] as [UInt64] {
            var script = EventScript(seed: seed, connections: 3)
            events += script.events(count: 400)
        }
        for event in events {
            let line = String(decoding: RecordingEncoder.line(event).dropLast(), as: UTF8.self)
            let (fast, full) = decodeBoth(line)
            let isASCII = line.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\\") }
            if isASCII { #expect(fast != nil, "\(line)") }
            if let fast { #expect(fast == full, "\(line)") }
        }
    }

    @Test(
        "hand-written lines: the line decoder agrees or leaves the line to RecordingDecoder",
        arguments: [
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5,"rtt_ms":6}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":"5"}"#,
            #"{"t":1,"kind":"ping","conn":"c1"}"#,
            #"{"t":1,"kind":"ping","rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":null,"rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":"c9","rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":"c01","rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":1,"rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":1e400}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":-2.5e1}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":12345678901234567890}"#,
            #"{"t":1,"kind":"ping","conn":"c\u0031","rtt_ms":5}"#,
            #"{"t":1,"kind":"p\u0069ng","conn":"c1","rtt_ms":5}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5,"note":"ü"}"#,
            #"{"t":1,"kind":"ping","kind":"mark","label":"x","conn":"c1","rtt_ms":5}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":3.0}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":1e1}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":2.5}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":"2"}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":-0}"#,
            #"{"t":1,"kind":"ping_timeout","conn":"c2","after_ms":800,"consecutive":99999999999999999999}"#,
            #"{"t":1,"kind":"reconnect","conn":"c2","attempt":2,"delay_ms":1000}"#,
            #"{"t":1,"kind":"reconnect","conn":"c2","attempt":2.0,"delay_ms":1000}"#,
            #"{"t":1,"kind":"reconnect","conn":"c2","attempt":true,"delay_ms":1000}"#,
            #"{"t":1,"kind":"queue","conn":"c1","depth":1,"enqueued":2,"flushed":1,"expired":0}"#,
            #"{"t":1,"kind":"queue","conn":"c1","depth":1,"oldest_ms":"x","enqueued":2,"flushed":1,"expired":0,"failed":"y"}"#,
            #"{"t":1,"kind":"queue","conn":"c1","depth":1,"enqueued":2,"flushed":1}"#,
            #"{"t":1,"kind":"state","conn":"c1","from":"idle","to":"connecting","reason":"start","phase":"dial"}"#,
            #"{"t":1,"kind":"state","conn":"c1","from":"idle","to":"sideways","reason":"start"}"#,
            #"{"t":1,"kind":"state","conn":"c1","from":"idle","to":"up","reason":"ready","phase":"warp","detail":null}"#,
            #"{"t":1,"kind":"call","conn":"c1","id":"m1","method":"echo","origin":"manual"}"#,
            #"{"t":1,"kind":"call","conn":"c1","id":"m1","method":"echo","origin":"teleport","args":[]}"#,
            #"{"t":1,"kind":"call","conn":"c1","id":"m1","method":"echo","origin":"queued","args":{"a":[1,{"b":null}],"a":2},"redacted":false}"#,
            #"{"t":1,"kind":"call","conn":"c1","id":"m1","method":"echo","origin":"direct","args":[1],"redacted":"no"}"#,
            #"{"t":1,"kind":"result","conn":"c1","id":"m1","ok":true,"dur_ms":3,"value":[null,1.5]}"#,
            #"{"t":1,"kind":"result","conn":"c1","id":"m1","n":2,"ok":false,"dur_ms":3,"value":1,"error":{"code":"timeout"}}"#,
            #"{"t":1,"kind":"result","conn":"c1","id":"m1","ok":"yes","dur_ms":3}"#,
            #"{"t":1,"kind":"remote_methods","conn":"c1","methods":["a",1,"b"]}"#,
            #"{"t":1,"kind":"remote_methods","conn":"c1","methods":"a"}"#,
            #"{"t":1,"kind":"mark"}"#,
            #"{"t":1,"kind":"mark","label":"here","conn":"c2"}"#,
            #"{"t":1,"kind":"mark","label":"here","conn":"c7"}"#,
            #"{"t":1,"kind":"note","level":"shout","text":"hi"}"#,
            #"{"t":1,"kind":"note","level":"error","conn":"c3"}"#,
            #"{"t":1,"kind":"end"}"#,
            #"{"t":1,"kind":"end","reason":"signal","lines":"x"}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{}}}"#,
            #"{"t":1,"kind":"hologram","conn":"c1"}"#,
            #"{"t":1,"kind":5,"conn":"c1"}"#,
            #"[1,2]"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5"#,
        ])
    func lineDecoderAgrees(text: String) {
        let (fast, full) = decodeBoth(text)
        if let fast { #expect(fast == full) }
    }

    @Test("duplicates, integral doubles and unknown fields stay on the fast path")
    func fastPathCoverage() {
        for text in [
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5,"rtt_ms":6}"#,
            #"{"t":1,"kind":"reconnect","conn":"c2","attempt":2.0,"delay_ms":1000}"#,
            #"{"t":1,"kind":"ping","conn":"c1","rtt_ms":5,"future":{"a":[1]},"seq":77}"#,
            #"{"t":1,"kind":"mark","label":"here","conn":"c2"}"#,
        ] {
            let (fast, full) = decodeBoth(text)
            #expect(fast != nil && fast == full, "\(text)")
        }
    }

    @Test("connection ids that are not cN, or very large N, are found by text")
    func otherConnectionIDs() {
        let ids = ["api", "c70000", "c2", "c0"]
        let header = RecordingHeader(
            started: "2026-03-14T09:26:53.120Z", host: "h", upmonVersion: "0",
            connections: ids.enumerated().map { position, id in
                var info = Fixtures.connection(position)
                info.id = ConnectionID(id)
                return info
            })
        for (conn, known) in [
            ("api", true), ("c70000", true), ("c2", true), ("c0", true), ("c1", false),
            ("c69999", false), ("ap", false), ("c00", false), ("", false),
        ] {
            let line = #"{"t":1,"kind":"ping","conn":"\#(conn)","rtt_ms":5}"#
            let (fast, full) = decodeBoth(line, header: header)
            #expect((full != nil) == known, "\(conn)")
            #expect(fast == full, "\(conn)")
            let bytes = RecordingEncoder.line(header) + Array((line + "\n").utf8)
            let replayer = try? Replayer(bytes: bytes, file: "ids")
            #expect(replayer?.index.damagedCount == (known ? 0 : 1), "\(conn)")
        }
    }

    // MARK: - Snap decoder

    func decodeSnapBoth(_ line: [UInt8], header: RecordingHeader)
        -> (fast: MonitorState?, slow: MonitorState?)
    {
        var slow: MonitorState?
        if case .snap(_, let json)? = try? RecordingDecoder(header: header).decode(line) {
            slow = try? MonitorState(json: json, connections: header.connections)
        }
        let fast = line.withUnsafeBufferPointer {
            SnapLineDecoder(header: header).decode($0, 0..<$0.count)
        }
        return (fast, slow)
    }

    @Test("the snap decoder gives the state MonitorState(json:) gives for written snaps")
    func snapDecoderMatchesWrittenSnaps() {
        let header = Fixtures.header(connections: 3)
        for seed in [3, 4, 5] as [UInt64] {
            var script = EventScript(seed: seed, connections: 3)
            var state = header.initialState
            for (position, event) in script.events(count: 1_500).enumerated() {
                state.apply(event)
                guard position % 100 == 0 else { continue }
                let line = Array(RecordingEncoder.snapLine(state, t: event.t).dropLast())
                let (fast, slow) = decodeSnapBoth(line, header: header)
                #expect(fast != nil, "seed \(seed), event \(position)")
                let equal = fast == slow && slow == state
                #expect(equal, "seed \(seed), event \(position)")
            }
        }
    }

    @Test(
        "hand-written snaps: the snap decoder agrees or leaves the line to the slow path",
        arguments: [
            #"{"t":1,"kind":"snap","state":{"connections":{}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up"}},"log":[]}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":[[1,2],[3,null]],"history":[[0.5,"up"]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":[[1,2,3]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":[ [1,2] ]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":[[1e999,2]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":[[1,"x"]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","rtt":5,"history":"no"}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","history":[[1,"sideways"]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","history":[[1,"up"]]}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","queue":{"depth":2.0,"oldest_t":-1.5},"calls":7}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","state":"down"}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up"},"c1":{"state":"down"},"c9":{"state":"?"}}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":5}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":[]}}"#,
            #"{"t":1,"kind":"snap","state":[]}"#,
            #"{"t":1,"kind":"snap","conn":"c9","state":{"connections":{}}}"#,
            #"{"t":1,"kind":"snap","conn":null,"state":{"connections":{}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c2":{"state":"down","methods":["a",1],"pending":[["k1","echo"],[1]]}},"log":[[1,"c2","state","x → y","warning"],[2,null,"mark","m"]]}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{},"log":[[1,"c2","state"]]}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{},"log":{"a":1}}}"#,
            #"{"t":1,"kind":"snap","state":{"connections":{"c1":{"state":"up","since":"ü"}}}}"#,
        ])
    func snapDecoderAgrees(text: String) {
        let (fast, slow) = decodeSnapBoth(Array(text.utf8), header: Fixtures.header(connections: 2))
        if let fast { #expect(fast == slow) }
    }

    @Test("kind names are recognised byte for byte, and near misses are not")
    func kindNames() {
        func named(_ text: String) -> SeekIndex.LineKind? {
            Array(text.utf8).withUnsafeBufferPointer { SeekIndex.LineKind.named($0, 0..<$0.count) }
        }
        for kind in SeekIndex.LineKind.allCases {
            #expect(named(kind.rawValue) == kind, "\(kind.rawValue)")
        }
        for text in [
            "pinG", "Ping", "pin", "pingg", "statf", "stat", "queux", "snapx", "nul", "", "en",
            "mar", "mark_",
        ] {
            #expect(named(text) == nil, "\(text)")
        }
    }

    // MARK: - Damage through the byte-level scan

    @Test("kinds, conns and times in unusual shapes are judged as before")
    func unusualShapes() throws {
        let header = Fixtures.header(connections: 1)
        let lines = [
            #"{"t":1,"kind":5,"conn":"c1"}"#,  // 2: missing kind
            #"{"t":1,"kind":"ping","conn":5,"rtt_ms":1}"#,  // 3: unknown connection ''
            #"{"t":1,"kind":"ping","conn":"c\u0039","rtt_ms":1}"#,  // 4: unknown connection 'c9'
            #"{"t":"1","kind":"ping","conn":"c1","rtt_ms":1}"#,  // 5: missing t
            #"{"t":1e999,"kind":"ping","conn":"c1","rtt_ms":1}"#,  // 6: missing t (not finite)
            #"{"t":1,"kind":"p\u0069ng","conn":"c\u0031","rtt_ms":2}"#,  // escaped, valid
            #"{"t":-3,"kind":"ping","conn":"c1","rtt_ms":3}"#,  // goes back in time
            #"{"t":2e0,"t":2.5,"kind":"ping","conn":null,"rtt_ms":4}"#,  // valid entry, no conn
            #"{"t":3,"kind":"hologram","conn":"c1"}"#,  // ignored
            #"{"t":3,"kind":"hologram","conn":"c5"}"#,  // damaged: unknown connection first
            #"{"t":4,"kind":"ping","conn":"c1","rtt_ms":5}"#,
        ]
        let bytes =
            RecordingEncoder.line(header) + Array((lines.joined(separator: "\n") + "\n").utf8)
        let replayer = try Replayer(bytes: bytes, file: "shapes")
        #expect(replayer.index.damagedCount == 6)
        #expect(
            replayer.index.damagedLines == [
                .init(line: 2, damage: .missingKind),
                .init(line: 3, damage: .unknownConnection("")),
                .init(line: 4, damage: .unknownConnection("c9")),
                .init(line: 5, damage: .missingTime),
                .init(line: 6, damage: .missingTime),
            ])
        #expect(replayer.index.ignoredCount == 1)
        #expect(replayer.index.decreasingTimeCount == 1)
        #expect(replayer.index.eventLineCount == 4)
        #expect(replayer.lastT == 4)
        #expect(replayer.state(at: 4)["c1"]?.rtt.elements.map(\.rttMs) == [2, 3, 5])
        #expect(replayer.state(at: 4)["c1"]?.rtt.elements.map(\.t) == [1, 1, 4])
    }

    // MARK: - Seeking

    /// States after applying the first `count` events, for every count in `counts`.
    func linearStates(_ header: RecordingHeader, _ events: [MonitorEvent], at counts: [Int])
        -> [Int: MonitorState]
    {
        var result: [Int: MonitorState] = [:]
        var state = header.initialState
        var applied = 0
        for count in Set(counts).sorted() {
            while applied < count {
                state.apply(events[applied])
                applied += 1
            }
            result[count] = state
        }
        return result
    }

    @Test(
        "seek at random times equals a full linear replay (snaps, no snaps, small caches)",
        arguments: [(true, 2_000), (true, 97), (false, 97), (true, 13)] as [(Bool, Int)])
    func randomSeeks(snaps: Bool, spacing: Int) throws {
        let header = Fixtures.header(connections: 4)
        var script = EventScript(seed: 77, connections: 4)
        let events = script.events(count: 3_000)
        let bytes = recordingBytes(header: header, events: events, snaps: snaps, end: false)
        var replayer = try Replayer(bytes: bytes, file: "seek")
        // A budget for a few states only, so that eviction happens too.
        replayer.keyframes = KeyframeCache(
            spacing: spacing, budget: 6 * header.initialState.approximateByteCount * 40)
        var generator = SeededGenerator(seed: 5)
        var targets: [Double] = []
        for _ in 0..<300 {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: targets.append(events.randomElement(using: &generator)?.t ?? 0)
            case 1:
                targets.append((targets.last ?? 0) - Double.random(in: 0...20, using: &generator))
            default:
                targets.append(Double.random(in: -10...(replayer.lastT + 10), using: &generator))
            }
        }
        let counts = targets.map { target in
            let clamped = min(max(0, target), replayer.lastT)
            return events.filter { $0.t <= clamped }.count
        }
        let expected = linearStates(header, events, at: counts)
        for (target, count) in zip(targets, counts) {
            replayer.seek(to: target)
            let equal = replayer.state == expected[count]
            #expect(equal, "seek to \(target)")
            #expect(replayer.time == min(max(0, target), replayer.lastT))
        }
        #expect(replayer.keyframes.totalCost <= replayer.keyframes.budget)
        if spacing < 100 { #expect(!replayer.keyframes.items.isEmpty) }
    }

    @Test("negative times: seeking to 0 includes them, and the cursor stays at 0 or later")
    func negativeTimes() throws {
        let header = Fixtures.header(connections: 1)
        let events: [MonitorEvent] = [
            .ping(-5, "c1", 1), .ping(-2, "c1", 2), .ping(1, "c1", 3), .ping(3, "c1", 4),
        ]
        var replayer = try Replayer(
            bytes: recordingBytes(header: header, events: events, snaps: false), file: "neg")
        replayer.seek(to: 2)
        replayer.seek(to: -10)
        #expect(replayer.time == 0)
        #expect(replayer.state["c1"]?.rtt.elements.map(\.rttMs) == [1, 2])
        #expect(replayer.state(at: 2)["c1"]?.rtt.elements.map(\.rttMs) == [1, 2, 3])
        let early = try Replayer(
            bytes: recordingBytes(
                header: header, events: Array(events.prefix(2)), snaps: false, end: false),
            file: "neg")
        #expect(early.lastT == -2)
        #expect(early.time == 0)
        #expect(early.state["c1"]?.rtt.elements.map(\.rttMs) == [1, 2])
    }

    @Test("seeks, advances and steps in any order keep the state of the entries applied")
    func mixedOperations() throws {
        let header = Fixtures.header(connections: 3)
        var script = EventScript(seed: 31, connections: 3)
        let events = script.events(count: 1_500)
        let bytes = recordingBytes(header: header, events: events, snapEvery: 60, end: false)
        var replayer = try Replayer(bytes: bytes, file: "mixed")
        replayer.keyframes = KeyframeCache(
            spacing: 50, budget: 8 * header.initialState.approximateByteCount * 30)
        // Events applied after the first `n` entries (snap entries hold no event).
        var eventsBefore = [0]
        for entry in replayer.index.entries {
            eventsBefore.append(
                eventsBefore[eventsBefore.count - 1] + (entry.kind == .event ? 1 : 0))
        }
        var generator = SeededGenerator(seed: 8)
        var observed: [(count: Int, state: MonitorState, step: Int)] = []
        for step in 0..<400 {
            switch Int.random(in: 0..<5, using: &generator) {
            case 0, 1: replayer.seek(to: Double.random(in: 0...replayer.lastT, using: &generator))
            case 2:
                replayer.advance(to: replayer.time + Double.random(in: 0...30, using: &generator))
            case 3: _ = replayer.stepForward()
            default:
                if let previous = replayer.previousEventTime() { replayer.seek(to: previous) }
            }
            observed.append((eventsBefore[replayer.nextEntry], replayer.state, step))
        }
        let expected = linearStates(header, events, at: observed.map(\.count))
        for item in observed {
            let equal = item.state == expected[item.count]
            #expect(equal, "step \(item.step)")
        }
    }

    @Test("the keyframe cache stays within its budget and keeps states near the newest")
    func cacheBudget() {
        let state = Fixtures.header(connections: 2).initialState
        let cost = state.approximateByteCount
        var cache = KeyframeCache(spacing: 10, budget: cost * 3)
        for entry in stride(from: 10, through: 100, by: 10) { cache.insert(state, at: entry) }
        #expect(cache.items.map(\.entry) == [80, 90, 100])
        cache.insert(state, at: 20)
        #expect(cache.items.map(\.entry) == [20, 80, 90])
        #expect(cache.latest(atOrBefore: 85)?.entry == 80)
        #expect(cache.latest(atOrBefore: 80)?.entry == 80)
        #expect(cache.latest(atOrBefore: 19) == nil)
        #expect(cache.totalCost <= cache.budget)
        var none = KeyframeCache(spacing: 10, budget: 0)
        none.insert(state, at: 10)
        #expect(none.items.isEmpty)
    }

    // MARK: - Reading files

    @Test("readAll reads empty, small and large files exactly")
    func readAll() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for size in [0, 1, 65_535, 200_003] {
            let path = directory + "/f\(size)"
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard case .success(let read) = FileAccess.readAll(path: path) else {
                Issue.record("cannot read \(size)")
                continue
            }
            #expect(read == bytes, "size \(size)")
        }
        guard case .failure = FileAccess.readAll(path: directory) else {
            Issue.record("reading a directory should fail")
            return
        }
    }
}
