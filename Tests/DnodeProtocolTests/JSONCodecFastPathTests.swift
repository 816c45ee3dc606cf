import Testing

@testable import DnodeProtocol

/// The codec's fast paths agree with the general ones: the shortcut for short doubles with
/// the printing of Swift's shortest digits, the word-at-a-time string writer with a
/// scalar-by-scalar reference, the parser's container building with `JSONObject`'s own
/// rules, and the direct `DnodeMessage` decoder with decoding through `JSONValue`.
@Suite("JSON codec fast paths")
struct JSONCodecFastPathTests {
    // MARK: Numbers

    /// What `writeDouble` prints, and what its general path (Swift's shortest digits) prints.
    func printed(_ number: Double) -> (fast: String, general: String) {
        var general: [UInt8] = []
        JSONPrinter.writeDoubleFromDescription(number, into: &general)
        return (JSONValue.double(number).jsonText, String(decoding: general, as: UTF8.self))
    }

    @Test("short doubles print as Swift's shortest digits do, around every threshold")
    func shortDoubles() {
        let edges: [Double] = [
            1e-6, 1e-6.nextDown, 1e-6.nextUp, 0.000001234, 1e-5, 0.1, 0.2, 0.1 + 0.2, 0.5,
            1 / 3, 2 / 3, 12.5, 123.456, 999_999_999_999_999, 1e15, 1e15.nextUp, 1e15.nextDown,
            123_456_789_012_345.6, 4_503_599_627_370_495.5, 9_007_199_254_740_991,
            9_007_199_254_740_992, 9_007_199_254_740_992.0.nextDown, 1e21, 1e-7, 5e-324,
            .greatestFiniteMagnitude, 0.30000000000000004, 1.7976931348623157e308, 2.5e-6,
            100, 1234.5, 0.001, 0.000999, 9.999999999999999e14, 1.0000000000000002,
        ]
        for number in edges.flatMap({ [$0, -$0] }) {
            let (fast, general) = printed(number)
            #expect(fast == general, "\(number)")
        }
    }

    @Test(
        "random decimals and random bit patterns print as the general path does", arguments: 0..<8)
    func randomDoubles(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<4_000 {
            // A decimal with few digits, the kind the fast path takes…
            let digits = Int.random(in: 1...17, using: &generator)
            var mantissa: Int64 = 0
            for _ in 0..<digits {
                mantissa = mantissa * 10 + Int64.random(in: 0...9, using: &generator)
            }
            let decimals = Int.random(in: 0...22, using: &generator)
            let decimal = Double("\(mantissa)e-\(decimals)") ?? 0
            // …and any double at all.
            let any = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            for number in [decimal, -decimal, any] where number.isFinite && number != 0 {
                let (fast, general) = printed(number)
                #expect(fast == general, "\(number.bitPattern)")
            }
        }
    }

    @Test(
        "integers print exactly, Int64's ends included",
        arguments: [Int64.min, Int64.min + 1, -10, -9, -1, 0, 1, 9, 10, 99, 100, Int64.max])
    func integers(number: Int64) {
        #expect(JSONValue.int(number).jsonText == String(number))
    }

    @Test("numbers at the edges of Int64 and Double parse as JavaScript reads them")
    func numberEdges() throws {
        let cases: [(String, JSONValue)] = [
            ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
            ("9223372036854775808", .double(9_223_372_036_854_775_808)),
            ("-9223372036854775809", .double(-9_223_372_036_854_775_809)),
            ("12345678901234567890123", .double(1.2345678901234568e22)), ("-0", .double(-0.0)),
            ("-0.0", .double(-0.0)), ("0.1", .double(0.1)), ("1e400", .double(.infinity)),
            ("-1e400", .double(-.infinity)), ("1e-400", .double(0)),
            ("0.30000000000000004", .double(0.30000000000000004)),
            ("123456789012345678", .int(123_456_789_012_345_678)),
        ]
        for (text, expected) in cases {
            let value = try JSONValue(parsing: text)
            #expect(value == expected, "\(text)")
            if case .double(let number) = value, number == 0 {
                #expect(number.sign == (text.hasPrefix("-") ? .minus : .plus), "\(text)")
            }
        }
    }

    // MARK: Strings

    /// Node's `JSON.stringify` of a string, made ASCII with `\uXXXX` as the printer promises,
    /// scalar by scalar.
    func referenceString(_ text: String) -> String {
        func hex(_ unit: UInt32) -> String {
            let digits = Array("0123456789abcdef")
            return "\\u"
                + (0..<4).map { String(digits[Int((unit >> (12 - 4 * $0)) & 0xF)]) }.joined()
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x20: out += hex(scalar.value)
            case 0x20..<0x80: out.unicodeScalars.append(scalar)
            case 0x80..<0x10000: out += hex(scalar.value)
            default:
                let offset = scalar.value - 0x10000
                out += hex(0xD800 + (offset >> 10)) + hex(0xDC00 + (offset & 0x3FF))
            }
        }
        return out + "\""
    }

    @Test("every escape, at every offset of the eight-byte words, prints and parses back")
    func escapesAtEveryOffset() throws {
        let specials = ["\"", "\\", "\n", "\u{1}", "\u{1F}", "\u{7F}", "é", "€", "\u{2028}", "😀"]
        for special in specials {
            for before in 0..<18 {
                for after in [0, 1, 7, 8, 9] {
                    let text =
                        String(repeating: "a", count: before) + special
                        + String(repeating: "b", count: after)
                    let printed = JSONValue.string(text).jsonText
                    #expect(printed == referenceString(text), "\(before) \(special) \(after)")
                    #expect(try JSONValue(parsing: printed) == .string(text))
                    // Raw (unescaped) UTF-8 reads back too, at every offset.
                    if special.utf8.first! >= 0x80 {
                        #expect(try JSONValue(parsing: "\"" + text + "\"") == .string(text))
                    }
                }
            }
        }
    }

    @Test("surrogate escapes: pairs combine, lone halves become U+FFFD, at the string's end too")
    func surrogates() throws {
        let cases: [(String, String)] = [
            (#""\ud83d\ude00""#, "😀"), (#""x\ud83d\ude00""#, "x😀"),
            (#""\ud83d""#, "\u{FFFD}"), (#""\ude00""#, "\u{FFFD}"),
            (#""\ud83dx""#, "\u{FFFD}x"), (#""\ud83d\u0041""#, "\u{FFFD}A"),
            (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"), (#""\uD83D\uDE00""#, "😀"),
            (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue(parsing: text) == .string(expected), "\(text)")
        }
    }

    @Test("invalid UTF-8 is refused at the string's first byte, with and without escapes")
    func invalidUTF8() {
        let bad: [[UInt8]] = [
            [0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3],
        ]
        for sequence in bad {
            for prefix in [0, 3, 9] {
                let body = Array(repeating: UInt8(ascii: "a"), count: prefix) + sequence
                for escape in [[UInt8](), Array(#"\n"#.utf8)] {
                    let line = Array(#"{"k":""#.utf8) + escape + body + [0x22, 0x7D]
                    #expect(throws: JSONError(offset: 6, problem: .invalidUTF8)) {
                        try JSONValue(parsing: line)
                    }
                    // As a key too.
                    let key = [0x7B, 0x22] + escape + body + Array(#"":1}"#.utf8)
                    #expect(throws: JSONError(offset: 2, problem: .invalidUTF8)) {
                        try JSONValue(parsing: key)
                    }
                }
            }
        }
    }

    // MARK: Containers

    @Test("nesting: exactly the limit parses, one more is refused where it opens, any mix")
    func nestingLimits() throws {
        for limit in [1, 2, 5, 64] {
            for opener in ["[", "{\"k\":"] {
                let closer = opener == "[" ? "]" : "}"
                let ok =
                    String(repeating: opener, count: limit) + "1"
                    + String(repeating: closer, count: limit)
                #expect(throws: Never.self) {
                    try JSONParser.parse(Array(ok.utf8), maxDepth: limit)
                }
                let deep =
                    String(repeating: opener, count: limit + 1) + "1"
                    + String(repeating: closer, count: limit + 1)
                let offset = limit * opener.utf8.count
                #expect(throws: JSONError(offset: offset, problem: .tooDeep(limit: limit))) {
                    try JSONParser.parse(Array(deep.utf8), maxDepth: limit)
                }
            }
        }
    }

    @Test("repeated keys keep their first place and last value, in small and large objects")
    func repeatedKeys() throws {
        for count in [1, 2, 5, 12, 13, 40] {
            var members = (0..<count).map { "\"k\($0)\":\($0)" }
            members.append("\"k0\":\"last\"")
            if count > 1 { members.append(#""\u006b1":"escaped""#) }
            let value = try JSONValue(parsing: "{" + members.joined(separator: ",") + "}")
            let object = try #require(value.objectValue)
            #expect(object.count == count)
            #expect(object.keys.elementsEqual((0..<count).map { "k\($0)" }))
            #expect(object["k0"] == .string("last"))
            if count > 1 { #expect(object["k1"] == .string("escaped")) }
            if count > 2 { #expect(object["k2"] == .int(2)) }
        }
        // Keys that differ only in their last byte, or only in escapes, are different keys.
        let value = try JSONValue(parsing: #"{"ab":1,"ac":2,"a\"":3,"a\\":4,"":5,"a":6}"#)
        #expect(value.objectValue?.keys.elementsEqual(["ab", "ac", "a\"", "a\\", "", "a"]) == true)
    }

    @Test("arrays and objects of every small size, nested, print back byte for byte")
    func containerSizes() throws {
        for count in 0..<40 {
            let array =
                "[" + (0..<count).map { "[\($0),{\"x\":\"\($0)\"}]" }.joined(separator: ",") + "]"
            #expect(try JSONValue(parsing: array).jsonText == array)
            let object =
                "{" + (0..<count).map { "\"key\($0)\":[\($0)]" }.joined(separator: ",") + "}"
            #expect(try JSONValue(parsing: object).jsonText == object)
        }
    }

    @Test("print(parse(print(v))) is print(v) for random values", arguments: 0..<10)
    func printIsAFixedPoint(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            let printed = randomJSON(depth: 0, using: &generator).jsonText
            #expect(try JSONValue(parsing: printed).jsonText == printed)
        }
    }

    // MARK: Node byte for byte

    /// Lines Node printed that our printer must reproduce exactly: ASCII (Node writes raw
    /// UTF-8 where we escape) and without lone surrogates (which we cannot hold in a String).
    static func nodeLines() throws -> [String] {
        try Transcripts.allNames.flatMap { try Transcripts.load($0) }.map(\.line).filter { line in
            line.utf8.allSatisfy { $0 < 0x80 } && !line.contains("\\ud8") && !line.contains("\\udc")
                && (try? JSONValue(parsing: line)) != nil
        }
    }

    @Test("every ASCII line Node printed in the transcripts prints back byte for byte")
    func nodeLinesByteForByte() throws {
        let lines = try Self.nodeLines()
        #expect(lines.count > 100)
        for line in lines
        where !line.hasPrefix(" ") && !line.hasSuffix("\r") && !line.contains(", ") {
            #expect(try JSONValue(parsing: line).jsonText == line)
        }
    }

    // MARK: DnodeMessage

    /// Both decoders on one line: the same message, or the same error.
    func expectSameDecoding(_ line: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) {
        let direct = Result { () throws(DnodeProtocolError) in
            try DnodeMessage(decoding: line, maxDepth: maxDepth)
        }
        let general = Result { () throws(DnodeProtocolError) in
            try DnodeMessage(decodingViaJSON: line, maxDepth: maxDepth)
        }
        #expect(direct == general, "\(String(decoding: line.prefix(300), as: UTF8.self))")
    }

    @Test("the direct decoder agrees with decoding through JSONValue on every transcript line")
    func directDecoderOnTranscripts() throws {
        var decodable = 0
        var direct = 0
        for name in Transcripts.allNames {
            for entry in try Transcripts.load(name) {
                let bytes = Array(entry.line.utf8)
                expectSameDecoding(bytes)
                guard let message = try? DnodeMessage(decodingViaJSON: bytes) else { continue }
                decodable += 1
                let fast = bytes.withUnsafeBufferPointer { buffer in
                    JSONParser.Reader.with(buffer, maxDepth: JSONParser.defaultMaxDepth) {
                        $0.parseMessage()
                    }
                }
                if let fast {
                    direct += 1
                    #expect(fast == message, "\(name): \(entry.line.prefix(200))")
                }
            }
        }
        // Node's lines take the direct path (integer path keys and the like do not).
        #expect(decodable > 100)
        #expect(direct * 10 >= decodable * 9, "\(direct) of \(decodable) lines decoded directly")
    }

    @Test("the direct decoder agrees with decoding through JSONValue on odd lines")
    func directDecoderOnOddLines() {
        let lines = [
            #"{"method":"echo","arguments":[1],"callbacks":{"0":["1"]},"links":[]}"#,
            #"{"method":"echo","method":"add","arguments":[]}"#,
            #"{"method":7,"arguments":null,"callbacks":null,"links":null}"#,
            #"{"method":-0,"arguments":[]}"#, #"{"method":7.0,"arguments":[]}"#,
            #"{"method":-1,"arguments":[]}"#, #"{"method":1e400}"#, #"{"method":true}"#,
            #"{"method":9223372036854775808}"#, #"{"arguments":[]}"#, #"{}"#, #"[]"#, "",
            #"{"m\u0065thod":"echo"}"#, #"{"method":"echo","extra":{"a":[1,{"b":null}]}}"#,
            #"{"method":"echo","callbacks":{"1":["0"],"01":["1"]}}"#,
            #"{"method":"echo","callbacks":{"1":["0"],"1":["1"]}}"#,
            #"{"method":"echo","callbacks":{"+1":["0"]}}"#,
            #"{"method":"echo","callbacks":{"-1":["0"]}}"#,
            #"{"method":"echo","callbacks":{"":["0"]}}"#,
            #"{"method":"echo","callbacks":{"99999999999999999999":["0"]}}"#,
            #"{"method":"echo","callbacks":{"1":[]}}"#,
            #"{"method":"echo","callbacks":{"1":[0,"a"]}}"#,
            #"{"method":"echo","callbacks":{"1":["a\u0062"]}}"#,
            #"{"method":"echo","callbacks":{"1":"0"}}"#, #"{"method":"echo","callbacks":[]}"#,
            #"{"method":"echo","links":[{"from":["0"],"to":["1"]}]}"#,
            #"{"method":"echo","links":[{"to":["1"],"from":["0"]}]}"#,
            #"{"method":"echo","links":[{"from":["0"]}]}"#,
            #"{"method":"echo","links":[{"from":["0"],"to":["1"],"x":1}]}"#,
            #"{"method":"echo","links":[{"from":["0"],"from":["1"],"to":["2"]}]}"#,
            #"{"method":"echo","links":[{}]}"#, #"{"method":"echo","links":[1]}"#,
            #"{"method":"echo","links":{}}"#, #"{"method":"echo","arguments":{}}"#,
            " \t{ \"method\" : \"echo\" , \"arguments\" : [ 1 , 2 ] , \"links\" : [ ] } \r",
            #"{"method":"echo","arguments":[1]} x"#, #"{"method":"echo","arguments":[1,]}"#,
            #"{"method":"echo","arguments":[1],"#, #"{"method":"echo""#,
            #"{"method":"echo","arguments":["\ud83d\ude00",1.5e300,-0,{"a":1,"a":2}]}"#,
        ]
        for line in lines {
            expectSameDecoding(Array(line.utf8))
            for depth in [0, 1, 2, 3, 4, 5] {
                expectSameDecoding(Array(line.utf8), maxDepth: depth)
            }
        }
        // Invalid UTF-8 in an ignored member's name, and in a path key.
        expectSameDecoding(Array(#"{"method":"echo",""#.utf8) + [0xFF] + Array(#"":1}"#.utf8))
        expectSameDecoding(
            Array(#"{"method":"echo","callbacks":{"1":[""#.utf8) + [0xC3] + Array(#""]}}"#.utf8))
    }

    @Test(
        "the direct decoder agrees with decoding through JSONValue on mutated lines",
        arguments: 0..<4)
    func directDecoderOnMutations(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let lines = try Self.nodeLines().map { Array($0.utf8) }
        let alphabet = Array(#"{}[]",:0123456789-.e \nul"#.utf8)
        for _ in 0..<1_500 {
            var line = try #require(lines.randomElement(using: &generator))
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !line.isEmpty {
                let index = Int.random(in: 0..<line.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: line.remove(at: index)
                case 1: line.insert(alphabet.randomElement(using: &generator)!, at: index)
                default: line[index] = alphabet.randomElement(using: &generator)!
                }
            }
            expectSameDecoding(line)
        }
    }
}
