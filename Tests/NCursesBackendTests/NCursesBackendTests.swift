import CNCurses
import TerminalUI
import Testing

@testable import NCursesBackend

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

private let codes = KeyCodes(
    resize: cn_key_resize(), up: cn_key_up(), down: cn_key_down(), left: cn_key_left(),
    right: cn_key_right(), shiftUp: cn_key_sr(), shiftDown: cn_key_sf(), shiftLeft: cn_key_sleft(),
    shiftRight: cn_key_sright(), extendedShiftUp: 600, extendedShiftDown: 601, home: cn_key_home(),
    end: cn_key_end(), pageUp: cn_key_ppage(), pageDown: cn_key_npage(),
    backspace: cn_key_backspace(), delete: cn_key_dc(), enter: cn_key_enter(),
    backTab: cn_key_btab(), function0: cn_key_f(0))

@Suite("NCursesBackend pure parts")
struct NCursesBackendTests {
    @Test("characters")
    func characters() {
        #expect(KeyDecoder.decode(character: 10) == .enter)
        #expect(KeyDecoder.decode(character: 13) == .enter)
        #expect(KeyDecoder.decode(character: 9) == .tab)
        #expect(KeyDecoder.decode(character: 27) == .escape)
        #expect(KeyDecoder.decode(character: 127) == .backspace)
        #expect(KeyDecoder.decode(character: 8) == .backspace)
        #expect(KeyDecoder.decode(character: 3) == .ctrl("c"))
        #expect(KeyDecoder.decode(character: 12) == .ctrl("l"))
        #expect(KeyDecoder.decode(character: 0x71) == .char("q"))
        #expect(KeyDecoder.decode(character: 0x4E2D) == .char("中"))
        #expect(KeyDecoder.decode(character: 0x9B) == .unknown(0x9B))
        #expect(KeyDecoder.decode(character: 0xD800) == .unknown(0xD800))
    }

    @Test("function keys")
    func keys() {
        #expect(KeyDecoder.decode(key: cn_key_resize(), codes: codes) == .resize)
        #expect(KeyDecoder.decode(key: cn_key_up(), codes: codes) == .up(shift: false))
        #expect(KeyDecoder.decode(key: cn_key_sr(), codes: codes) == .up(shift: true))
        #expect(KeyDecoder.decode(key: 600, codes: codes) == .up(shift: true))
        #expect(KeyDecoder.decode(key: 601, codes: codes) == .down(shift: true))
        #expect(KeyDecoder.decode(key: cn_key_sleft(), codes: codes) == .left(shift: true))
        #expect(KeyDecoder.decode(key: cn_key_sright(), codes: codes) == .right(shift: true))
        #expect(KeyDecoder.decode(key: cn_key_btab(), codes: codes) == .backTab)
        #expect(KeyDecoder.decode(key: cn_key_enter(), codes: codes) == .enter)
        #expect(KeyDecoder.decode(key: cn_key_backspace(), codes: codes) == .backspace)
        #expect(KeyDecoder.decode(key: cn_key_dc(), codes: codes) == .delete)
        #expect(KeyDecoder.decode(key: cn_key_f(1), codes: codes) == .function(1))
        #expect(KeyDecoder.decode(key: cn_key_f(10), codes: codes) == .function(10))
        #expect(KeyDecoder.decode(key: cn_key_ppage(), codes: codes) == .pageUp)
        #expect(KeyDecoder.decode(key: cn_key_npage(), codes: codes) == .pageDown)
        #expect(KeyDecoder.decode(key: 9999, codes: codes) == .unknown(9999))
    }

    @Test("colour pair cache allocates once per (fg, bg) and stops at capacity")
    func pairs() {
        var cache = ColorPairCache(capacity: 3)
        #expect(cache.pair(fg: -1, bg: -1) == (0, false))
        #expect(cache.pair(fg: 1, bg: -1) == (1, true))
        #expect(cache.pair(fg: 1, bg: -1) == (1, false))
        #expect(cache.pair(fg: 2, bg: 4) == (2, true))
        #expect(cache.pair(fg: 3, bg: 4) == (0, false))
        #expect(cache.count == 2)
        cache.removeAll()
        #expect(cache.pair(fg: 3, bg: 4) == (1, true))
    }

    @Test("palette slots start at 16 and fall back to the nearest index")
    func palette() {
        var cache = PaletteSlotCache(limit: 18)
        #expect(cache.slot(1, 2, 3) == (16, true))
        #expect(cache.slot(1, 2, 3) == (16, false))
        #expect(cache.slot(4, 5, 6) == (17, true))
        #expect(cache.slot(0x5f, 0xd7, 0x5f) == (77, false))
    }

    @Test("curses colour numbers")
    func colorNumbers() {
        #expect(CursesColor.number(for: .default, colors: 256, rgbMode: .none) == -1)
        #expect(CursesColor.number(for: .ansi(9), colors: 256, rgbMode: .none) == 9)
        #expect(CursesColor.number(for: .ansi(9), colors: 8, rgbMode: .none) == 1)
        #expect(CursesColor.number(for: .indexed(77), colors: 256, rgbMode: .none) == 77)
        #expect(
            CursesColor.number(for: .rgb(0x12, 0x34, 0x56), colors: 1 << 24, rgbMode: .direct)
                == 0x123456)
        #expect(CursesColor.number(for: .rgb(0x5f, 0xd7, 0x5f), colors: 256, rgbMode: .none) == 77)
        #expect(CursesColor.number(for: .rgb(1, 2, 3), colors: 256, rgbMode: .palette) == nil)
    }

    @Test("terminal errors say what to do")
    func errors() {
        #expect(
            TerminalError.unknownTerminal("foo").description
                == "unknown terminal type 'foo' (try TERM=xterm-256color)")
        #expect(
            TerminalError.unknownTerminal("").description
                == "TERM is not set (try TERM=xterm-256color)")
        #expect(
            TerminalError.unsupportedTerminal("dumb").description
                == "TERM=dumb cannot draw the dashboard (no cursor movement): "
                + "use --json or --once, or try TERM=xterm-256color")
    }

    @Test("without a TTY, init throws instead of exiting")
    func noTTY() {
        // Under `swift test` stdin is normally not a terminal; if it is, skip the check.
        if isatty(0) == 1 && isatty(1) == 1 { return }
        #expect(throws: TerminalError.notATerminal) { try NCursesBackend() }
    }
}
