import Testing

@testable import DnodeProtocol

/// The shared grammar (`JSONScanner`, `JSONNumber`): it reads nothing past its input's end,
/// reads numbers as JavaScript does, and agrees with `JSONParser`.
@Suite("JSON scanner")
struct JSONScannerTests {
    static let lines = [
        #"{"method":"echo","arguments":[1,"[Function]"],"callbacks":{"7":["1"]},"links":[]}"#,
        #"{"t":12.5,"kind":"ping","conn":"c1","rtt_ms":1.25e2,"x":[[1,2],[3,null]],"y":true}"#,
        #"{"a":"\u00e9\n\ud83d\ude00","b":-0,"c":[false,null,{}],"d":"long string, no escapes"}"#,
        #"[1, -0.5e+3, "x\"y", {"k" : [ ]}]"#, "  \"just a string\"  ", "-12345678901234567890",
    ]

    /// What scanning `bytes[range]` finds: whether one value is there, and where it ends.
    func skip(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var scanner = JSONScanner(bytes, range: range)
        scanner.skipWhitespace()
        guard scanner.skipValue(depth: 0) else { return nil }
        scanner.skipWhitespace()
        return scanner.isAtEnd ? scanner.position : nil
    }

    @Test("a prefix inside a longer buffer scans as the prefix alone: nothing past end is read")
    func nothingPastEnd() {
        for line in Self.lines {
            let bytes = Array(line.utf8)
            for length in 0...bytes.count {
                let alone = Array(bytes.prefix(length))
                let expected = alone.withUnsafeBufferPointer { skip($0, 0..<$0.count) }
                // The rest of the line follows in the same buffer: reading it would change
                // the answer for most prefixes.
                let found = bytes.withUnsafeBufferPointer { skip($0, 0..<length) }
                #expect(found == expected, "\(line.prefix(length))")
                let parses = (try? JSONParser.parse(alone)) != nil
                #expect((expected != nil) == parses, "\(line.prefix(length))")
            }
        }
    }

    @Test("object members are found in order, and a prefix is never an object")
    func members() {
        let bytes = Array(#"{"a":1, "b" : [2,{"c":3}] ,"a":"x"}"#.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: JSONScanner.Member.self, capacity: 4) { storage in
                let count = JSONScanner.members(buffer, 0..<buffer.count, into: storage)
                #expect(count == 3)
                let keys = storage.prefix(count ?? 0).map {
                    String(decoding: UnsafeBufferPointer(rebasing: buffer[$0.key]), as: UTF8.self)
                }
                #expect(keys == ["a", "b", "a"])
                for length in 0..<buffer.count {
                    #expect(JSONScanner.members(buffer, 0..<length, into: storage) == nil)
                }
                // More members than the storage holds.
                let small = UnsafeMutableBufferPointer(rebasing: storage[..<2])
                #expect(JSONScanner.members(buffer, 0..<buffer.count, into: small) == nil)
            }
        }
    }

    @Test(
        "numbers read as JSON.parse reads them: Int64 when integral and in range, else Double",
        arguments: [
            ("0", JSONValue.int(0)), ("-0", .double(-0.0)), ("-0.0", .double(-0.0)),
            ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
            ("9223372036854775808", .double(9.223372036854775808e18)),
            ("-9223372036854775809", .double(-9.223372036854775809e18)),
            ("18446744073709551616", .double(1.8446744073709551616e19)),
            ("99999999999999999999", .double(1e20)), ("1e2", .double(100)), ("1.5", .double(1.5)),
            ("0.1", .double(0.1)), ("123456789012345.6", .double(123_456_789_012_345.6)),
            ("1E400", .double(.infinity)), ("-1e400", .double(-.infinity)),
            ("5e-324", .double(5e-324)), ("0.30000000000000004", .double(0.30000000000000004)),
        ])
    func numbers(text: String, expected: JSONValue) throws {
        let value = try JSONValue(parsing: text)
        #expect(value == expected)
        if case .double(let double) = value, case .double(let wanted) = expected {
            #expect(double.bitPattern == wanted.bitPattern)
        }
    }

    @Test("the fast double path gives Double(String)'s value bit for bit")
    func fastDoubles() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<20_000 {
            var text = next(2) == 0 ? "-" : ""
            text += String(next(9) + 1)
            for _ in 0..<next(15) { text += String(next(10)) }
            if next(3) > 0 {
                text += "."
                for _ in 0...next(10) { text += String(next(10)) }
            }
            let read = Array(text.utf8).withUnsafeBufferPointer {
                JSONNumber.exactly($0, 0..<$0.count)?.double(in: $0)
            }
            #expect(read?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test(
        "JSONNumber.exactly takes a whole number literal and nothing else",
        arguments: [
            ("12", true), ("-1.5e3", true), ("12 ", false), ("1.", false), ("01", false),
            ("", false),
            ("-", false), ("\"1\"", false), ("1e", false), ("+1", false), (".5", false),
        ])
    func exactly(text: String, valid: Bool) {
        let found = Array(text.utf8).withUnsafeBufferPointer {
            JSONNumber.exactly($0, 0..<$0.count) != nil
        }
        #expect(found == valid)
    }

    @Test("string and literal failures say what and where, as JSONParser reports them")
    func failures() {
        for (text, expected) in [
            ("\"ab", JSONError(offset: 3, problem: .unexpectedEnd)),
            ("\"a\\", JSONError(offset: 3, problem: .unexpectedEnd)),
            ("\"a\\u12\"", JSONError(offset: 2, problem: .invalidEscape)),
            ("\"a\\q\"", JSONError(offset: 2, problem: .invalidEscape)),
            ("\"abcdefghij\u{1}\"", JSONError(offset: 11, problem: .controlCharacterInString(1))),
            ("nul", JSONError(offset: 3, problem: .unexpectedEnd)),
            ("nulx", JSONError(offset: 0, problem: .unexpectedByte(UInt8(ascii: "n")))),
        ] {
            #expect(throws: expected, "\(text)") { try JSONValue(parsing: text) }
        }
    }

    @Test("reading a byte outside the input traps instead of reading it")
    func outsideTraps() async {
        await #expect(processExitsWith: .failure) {
            let bytes: [UInt8] = Array("[1,2]".utf8)
            bytes.withUnsafeBufferPointer { buffer in
                let scanner = JSONScanner(buffer, range: 0..<3)
                _ = scanner.byte(at: 3)
            }
        }
    }
}
