import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("LineScanner and JSONLinesExporter")
struct LineScannerTests {
    func isValid(_ bytes: ArraySlice<UInt8>) -> Bool {
        if case .invalid = LineScanner.scan(bytes) { return false }
        return true
    }

    @Test("agrees with the full parser on every prefix of every example line")
    func agreesWithParser() throws {
        let bytes = try Fixtures.bytes("example.upmon") + Fixtures.bytes("doc-examples.jsonl")
        for line in bytes.split(separator: 0x0A) {
            for length in 0...line.count {
                let prefix = line.prefix(length)
                let parses = (try? JSONParser.parse(prefix)) != nil
                #expect(isValid(prefix) == parses, "\(String(decoding: prefix, as: UTF8.self))")
            }
        }
    }

    @Test(
        "handwritten valid and invalid JSON",
        arguments: [
            (#"{"t":1,"kind":"x"}"#, true), ("  {}  ", true),
            (#"{"a":[1,-0.5e+3,true,false,null,{"b":"\u00e9\n"}]}"#, true),
            ("[1]", true), ("01", false), ("1.", false), ("-", false), ("1e", false),
            (#"{"a":1,}"#, false),
            (#"{"a" 1}"#, false), (#"{"a":tru}"#, false), ("\"\\x\"", false), ("\"a\tb\"", false),
            ("{} {}", false),
            (#"{"a":"\u12"}"#, false),
        ])
    func handwritten(text: String, valid: Bool) {
        let bytes = ArraySlice(Array(text.utf8))
        #expect(isValid(bytes) == valid)
        #expect(((try? JSONParser.parse(bytes)) != nil) == valid)
    }

    @Test("picks out t, kind and conn")
    func fields() {
        guard
            case .object(let fields) = LineScanner.scan(
                ArraySlice(
                    Array(
                        #"{"x":{"t":9},"t":12.5,"kind":"p\u0069ng","conn":"c2"}"#.utf8)))
        else {
            Issue.record("not an object")
            return
        }
        #expect(fields.t == 12.5)
        #expect(fields.kind == "ping")
        #expect(fields.conn == .some("c2"))
    }

    @Test("JSONLinesExporter counts lines and schedules snaps")
    func exporter() throws {
        let header = Fixtures.header(connections: 1)
        var exporter = JSONLinesExporter(header: header, snapEvery: nil)
        var bytes = exporter.begin(initialState: nil)
        bytes += exporter.line(for: .ping(1, "c1", 3))
        #expect(exporter.snapIfDue(header.initialState, t: 1000) == nil)
        bytes += exporter.end(reason: .signal, t: 2)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            text.hasSuffix("{\"t\":2.000,\"kind\":\"end\",\"reason\":\"signal\",\"lines\":2}\n"))
        let replayer = try Replayer(bytes: bytes, file: "stdout")
        #expect(replayer.isComplete && replayer.index.snapCount == 0)

        var withSnaps = JSONLinesExporter(header: header, snapEvery: 10)
        _ = withSnaps.begin(initialState: header.initialState)
        #expect(withSnaps.snapIfDue(header.initialState, t: 9.99) == nil)
        #expect(withSnaps.snapIfDue(header.initialState, t: 10) != nil)
        #expect(withSnaps.lineCount == 3)
        // A snap encoded by the caller (under its own lock) counts the same way.
        #expect(!withSnaps.isSnapDue(at: 19.99))
        #expect(withSnaps.isSnapDue(at: 20))
        let line = RecordingEncoder.snapLine(header.initialState, t: 20)
        #expect(withSnaps.wroteSnap(line, at: 20) == line)
        #expect(!withSnaps.isSnapDue(at: 29.99))
        #expect(withSnaps.lineCount == 4)
        #expect(JSONLinesExporter(header: header, snapEvery: nil).isSnapDue(at: 1e9) == false)
    }
}
