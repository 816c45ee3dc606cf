import DnodeProtocol
import Testing

@Suite("JSON parser and printer")
struct JSONTests {
    @Test("keeps integers, doubles, booleans and null apart")
    func keepsKindsApart() throws {
        let value = try JSONValue(parsing: #"[1, 1.0, true, null, "1", -0, 1e2]"#)
        #expect(
            value
                == .array([
                    .int(1), .double(1.0), .bool(true), .null, .string("1"), .double(-0.0),
                    .double(100),
                ]))
    }

    @Test(
        "prints numbers the way JavaScript does",
        arguments: [
            (1e21, "1e+21"), (-1e21, "-1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"),
            (Double.leastNonzeroMagnitude, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"), (-0.0, "0"), (0.000001, "0.000001"),
            (123.456, "123.456"),
            (1.5e300, "1.5e+300"), (2.5, "2.5"), (100.0, "100"), (Double.nan, "null"),
            (Double.infinity, "null"),
            (9007199254740992.0, "9007199254740992"), (1.2345e-5, "0.000012345"),
        ])
    func javascriptNumbers(number: Double, expected: String) {
        #expect(JSONValue.double(number).jsonText == expected)
    }

    @Test("decodes every number form Node emits")
    func decodesNodeNumbers() throws {
        let value = try JSONValue(
            parsing:
                "[1e+21,100000000000000000000,5e-324,9007199254740992,-9223372036854775808,9223372036854775808]"
        )
        #expect(
            value
                == .array([
                    .double(1e21), .double(1e20), .double(Double.leastNonzeroMagnitude),
                    .int(9_007_199_254_740_992), .int(Int64.min),
                    .double(9_223_372_036_854_775_808),
                ]))
    }

    @Test("escapes non-ASCII as \\u so a split line cannot be corrupted by Node")
    func asciiOnlyOutput() throws {
        let text = "é€😀 \u{7F} \u{2028} \u{1} \n\t\"\\/"
        let printed = JSONValue.string(text).jsonText
        #expect(printed == #""\u00e9\u20ac\ud83d\ude00 \#u{7F} \u2028 \u0001 \n\t\"\\/""#)
        #expect(printed.utf8.allSatisfy { $0 < 0x80 })
        #expect(try JSONValue(parsing: printed) == .string(text))
    }

    @Test("reads raw UTF-8 and a lone surrogate from Node")
    func readsNodeStrings() throws {
        #expect(
            try JSONValue(parsing: #""\ud800 lone surrogate""#)
                == .string("\u{FFFD} lone surrogate"))
        #expect(try JSONValue(parsing: "\"ü 中文 😀\"") == .string("ü 中文 😀"))
    }

    @Test("keeps object key order")
    func keyOrder() throws {
        let text = #"{"b":1,"a":2,"c":{"z":null,"y":[]}}"#
        #expect(try JSONValue(parsing: text).jsonText == text)
    }

    @Test(
        "rejects bad input with a typed error and byte offset",
        arguments: [
            ("", JSONError(offset: 0, problem: .emptyInput)),
            (
                "{\"method\":1,oops}",
                JSONError(offset: 12, problem: .unexpectedByte(UInt8(ascii: "o")))
            ),
            ("[1,2", JSONError(offset: 4, problem: .unexpectedEnd)),
            ("01", JSONError(offset: 1, problem: .trailingData)),
            ("\"a\u{1}\"", JSONError(offset: 2, problem: .controlCharacterInString(1))),
            ("\"\\x\"", JSONError(offset: 1, problem: .invalidEscape)),
            ("-", JSONError(offset: 0, problem: .invalidNumber)),
            ("1.", JSONError(offset: 0, problem: .invalidNumber)),
            ("[1] x", JSONError(offset: 4, problem: .trailingData)),
        ])
    func rejectsBadInput(text: String, expected: JSONError) {
        #expect(throws: expected) { try JSONValue(parsing: text) }
    }

    @Test("rejects invalid UTF-8")
    func invalidUTF8() {
        #expect(throws: JSONError(offset: 1, problem: .invalidUTF8)) {
            try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22])
        }
    }

    @Test("limits nesting depth")
    func nestingLimit() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError(offset: 256, problem: .tooDeep(limit: 256))) {
            try JSONValue(parsing: deep)
        }
        let ok = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(try JSONValue(parsing: ok) != .null)
        #expect(
            JSONError(offset: 256, problem: .tooDeep(limit: 256)).description
                == "nesting deeper than 256 levels at byte 256")
    }

    @Test("round-trips random values", arguments: 0..<20)
    func randomRoundTrip(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            let value = randomJSON(depth: 0, using: &generator)
            let reparsed = try JSONValue(parsing: value.jsonText)
            #expect(reparsed.isEquivalent(to: value), "seed \(seed): \(value.jsonText)")
        }
    }

    @Test("random bytes never trap", arguments: 0..<10)
    func randomGarbage(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("{}[]\",:0123456789-+.eEtrufalsn \\u\u{1}é".utf8)
        for _ in 0..<500 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator)
                    ? alphabet.randomElement(using: &generator) ?? 0
                    : UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? JSONValue(parsing: bytes)
            var session = DnodeSession(sessionID: 1, instance: .object([:]))
            _ = session.receive(line: bytes)
        }
    }
}

func randomJSON(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
    let pick = Int.random(in: 0..<(depth > 4 ? 6 : 8), using: &generator)
    switch pick {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &generator))
    case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &generator))
    case 3:
        let bits = UInt64.random(in: 0...UInt64.max, using: &generator)
        let number = Double(bitPattern: bits)
        return .double(number.isFinite ? number : 0.5)
    case 4, 5:
        let scalars = (0..<Int.random(in: 0..<12, using: &generator)).compactMap { _ in
            Unicode.Scalar(
                UInt32.random(
                    in:
                        0...([0x7F, 0xFF, 0xFFFF, 0x10FFFF].randomElement(using: &generator) ?? 0x7F),
                    using: &generator))
        }
        return .string(String(String.UnicodeScalarView(scalars)))
    case 6:
        return .array(
            (0..<Int.random(in: 0..<5, using: &generator)).map { _ in
                randomJSON(depth: depth + 1, using: &generator)
            })
    default:
        var object: [(String, JSONValue)] = []
        for index in 0..<Int.random(in: 0..<5, using: &generator) {
            object.append(("k\(index)\(depth)", randomJSON(depth: depth + 1, using: &generator)))
        }
        return .object(.init(uniqueKeysWithValues: object))
    }
}
