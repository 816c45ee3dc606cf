import CNCurses
import TerminalUI
import Testing

@testable import NCursesBackend

private let prefix: Int32 = 0x7E00

private func decoder() -> InputDecoder {
    InputDecoder(
        codes: KeyCodes(
            resize: cn_key_resize(), up: cn_key_up(), down: cn_key_down(), left: cn_key_left(),
            right: cn_key_right(), shiftUp: cn_key_sr(), shiftDown: cn_key_sf(),
            shiftLeft: cn_key_sleft(), shiftRight: cn_key_sright(), home: cn_key_home(),
            end: cn_key_end(), pageUp: cn_key_ppage(), pageDown: cn_key_npage(),
            backspace: cn_key_backspace(), delete: cn_key_dc(), enter: cn_key_enter(),
            backTab: cn_key_btab(), function0: cn_key_f(0)),
        mousePrefix: prefix)
}

/// What ncurses hands over for `ESC [ <` followed by `text`: the prefix key, then characters.
private func report(_ text: String) -> [RawInput] {
    [.key(prefix)] + characters(text)
}

private func characters(_ text: String) -> [RawInput] {
    text.unicodeScalars.map { .character($0.value) }
}

private func mouse(
    _ button: MouseEvent.Button, _ kind: MouseEvent.Kind, x: Int, y: Int,
    _ modifiers: MouseEvent.Modifiers = []
) -> InputEvent {
    .mouse(
        MouseEvent(button: button, kind: kind, position: Position(x: x, y: y), modifiers: modifiers)
    )
}

@Suite("SGR mouse reports")
struct InputDecoderTests {
    @Test("whole reports: buttons, release, wheel, modifiers, motion; 1-based becomes 0-based")
    func whole() {
        var decoder = decoder()
        #expect(decoder.decode(report("0;10;5M")) == [mouse(.left, .press, x: 9, y: 4)])
        #expect(decoder.decode(report("0;10;5m")) == [mouse(.left, .release, x: 9, y: 4)])
        #expect(decoder.decode(report("1;1;1M")) == [mouse(.middle, .press, x: 0, y: 0)])
        #expect(decoder.decode(report("2;80;24M")) == [mouse(.right, .press, x: 79, y: 23)])
        #expect(decoder.decode(report("64;3;7M")) == [mouse(.wheelUp, .press, x: 2, y: 6)])
        #expect(decoder.decode(report("65;3;7M")) == [mouse(.wheelDown, .press, x: 2, y: 6)])
        #expect(decoder.decode(report("66;3;7M")) == [mouse(.wheelLeft, .press, x: 2, y: 6)])
        #expect(
            decoder.decode(report("20;3;7M")) == [
                mouse(.left, .press, x: 2, y: 6, [.shift, .control])
            ]
        )
        #expect(decoder.decode(report("8;3;7M")) == [mouse(.left, .press, x: 2, y: 6, .alt)])
        #expect(decoder.decode(report("32;3;7M")) == [mouse(.left, .motion, x: 2, y: 6)])
        #expect(decoder.decode(report("128;3;7M")) == [mouse(.other(8), .press, x: 2, y: 6)])
        // Reports and keys interleaved in one read.
        #expect(
            decoder.decode(characters("q") + report("0;2;2M") + characters("j"))
                == [.char("q"), mouse(.left, .press, x: 1, y: 1), .char("j")])
        #expect(!decoder.isReadingMouseReport)
    }

    @Test("a report cut at every byte across two reads gives the same event")
    func split() {
        let whole = report("65;120;35M") + characters("k")
        for cut in 0...whole.count {
            var decoder = decoder()
            let first = decoder.decode(Array(whole[..<cut]))
            let second = decoder.decode(Array(whole[cut...]))
            #expect(first + second == [mouse(.wheelDown, .press, x: 119, y: 34), .char("k")])
        }
    }

    @Test("a half report followed by keys: the report is dropped, the keys come through")
    func halfThenKeys() {
        var decoder = decoder()
        #expect(decoder.decode(report("0;12")) == [])
        #expect(decoder.isReadingMouseReport)
        #expect(decoder.decode(characters("q")) == [.char("q")])
        #expect(!decoder.isReadingMouseReport)
        #expect(decoder.decode(report("0;1") + [.key(cn_key_up())]) == [.up(shift: false)])
        #expect(decoder.decode(report("0;1") + characters("\u{1b}")) == [.escape])
        // A new report after a half one: only the complete one counts.
        #expect(
            decoder.decode(report("0;1") + report("0;4;4M")) == [mouse(.left, .press, x: 3, y: 3)])
    }

    @Test(
        "garbage gives no event and no stray key",
        arguments: [
            "0;;5M", "1;2M", "M", ";;M", "0;1;2;3M", "0;0;5M", "0;5;0M", "256;1;1M", "999999;1;1m",
            "0;1234567;1M",
        ])
    func garbage(text: String) {
        var decoder = decoder()
        #expect(decoder.decode(report(text)) == [])
        #expect(!decoder.isReadingMouseReport)
        #expect(decoder.decode(characters("x")) == [.char("x")])
    }

    @Test("absurdly long numbers: no event, no overflow, no digits leaking out as keys")
    func overflow() {
        var decoder = decoder()
        let digits = String(repeating: "9", count: 5000)
        #expect(decoder.decode(report("\(digits);1;1M")) == [])
        #expect(decoder.decode(report("0;\(digits);\(digits)M") + characters("q")) == [.char("q")])
        #expect(decoder.decode(report(String(repeating: ";", count: 100) + "m")) == [])
        // The largest real coordinates still decode (far outside any screen).
        #expect(
            decoder.decode(report("0;65535;65535M")) == [mouse(.left, .press, x: 65534, y: 65534)])
    }

    @Test("without mouse reporting the prefix code is an unknown key, as before")
    func mouseOff() {
        var plain = InputDecoder(codes: decoder().codes, mousePrefix: nil)
        #expect(plain.decode(.key(prefix)) == .unknown(Int(prefix)))
        #expect(plain.decode(characters("0;1;1M")) == "0;1;1M".map { .char($0) })
    }
}

@Suite("X10 mouse reports (terminals without SGR)")
struct LegacyMouseTests {
    @Test("ESC [ M then three characters: an event, never stray keys; cut short, the key wins")
    func legacy() {
        var legacy = InputDecoder(
            codes: decoder().codes, mousePrefix: prefix, legacyMousePrefix: 0x7E01)
        let press: [RawInput] = [.key(0x7E01)] + characters(" !!")
        #expect(legacy.decode(press) == [mouse(.left, .press, x: 0, y: 0)])
        #expect(
            legacy.decode([.key(0x7E01)] + characters("#*%")) == [
                mouse(.other(0), .release, x: 9, y: 4)
            ])
        #expect(
            legacy.decode([.key(0x7E01)] + characters("a!!")) == [
                mouse(.wheelDown, .press, x: 0, y: 0)
            ])
        #expect(
            legacy.decode([.key(0x7E01)] + characters(" !") + [.key(cn_key_up())]) == [
                .up(shift: false)
            ])
        // Bytes below 32 make no event, and decoding goes on.
        #expect(legacy.decode([.key(0x7E01)] + characters("\u{1}\u{1}\u{1}q")) == [.char("q")])
        #expect(!legacy.isReadingMouseReport)
    }
}
