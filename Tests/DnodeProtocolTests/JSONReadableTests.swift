import Testing

@testable import DnodeProtocol

@Suite("JSON printer: the readable style for people")
struct JSONReadableTests {
    let mixed: JSONValue = .object([
        "é€😀": .array([.string("é€😀"), .string("tab\tquote\"back\\slash"), .int(1)])
    ])

    @Test("the default stays pure ASCII: the wire form is unchanged")
    func defaultIsASCII() {
        #expect(JSONValue.string("é€😀").jsonText == #""\u00e9\u20ac\ud83d\ude00""#)
        #expect(JSONPrinter.bytes(mixed).allSatisfy { $0 < 0x80 })
        #expect(JSONPrinter.bytes(mixed, style: .ascii) == JSONPrinter.bytes(mixed))
    }

    @Test("readable writes UTF-8 as it is and reads back as the same value")
    func readableIsUTF8() throws {
        #expect(JSONValue.string("é€😀").text(.readable) == #""é€😀""#)
        let text = mixed.text(.readable)
        #expect(text == #"{"é€😀":["é€😀","tab\tquote\"back\\slash",1]}"#)
        #expect(try JSONValue(parsing: text) == mixed)
    }

    @Test("control characters stay escaped: C0, DEL and C1")
    func controlsEscaped() {
        let controls = JSONValue.string("\u{1B}[2J\u{7F}\u{9B}\u{85}\u{8}\u{C}\u{A0}")
        #expect(controls.text(.readable) == #""\u001b[2J\u007f\u009b\u0085\b\f\#u{A0}""#)
    }

    @Test("ASCII-printed lines turn readable without touching anything else")
    func rewritePrinted() throws {
        let printed = JSONPrinter.bytes(mixed)
        #expect(JSONPrinter.readable(printed) == JSONPrinter.bytes(mixed, style: .readable))
        // Numbers keep their exact text; escaped backslashes are not taken for escapes.
        let line = Array(#"{"t":1.000,"s":"\\u00e9 \u00e9 \u001b \ud83d\ude00 \ud83d x"}"#.utf8)
        #expect(
            String(decoding: JSONPrinter.readable(line), as: UTF8.self)
                == #"{"t":1.000,"s":"\\u00e9 é \u001b 😀 \ud83d x"}"#)
        let plain = Array(#"{"a":"b"}"#.utf8)
        #expect(JSONPrinter.readable(plain) == plain)
    }
}
