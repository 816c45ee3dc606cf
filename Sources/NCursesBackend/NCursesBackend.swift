import CNCurses
import CTerminalGuard
import TerminalUI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The ncurses terminal: the only code in upmon that calls curses (docs/ARCHITECTURE.md, "Terminal layer").
///
/// Not thread-safe: create it, draw on it and shut it down from one thread (the main
/// actor in the app). `init` never calls `initscr`, which would exit the process on an
/// unknown terminal; it uses `setupterm` + `newterm` and throws `TerminalError` instead.
public final class NCursesBackend: TerminalBackend {
    /// Options chosen on the command line.
    public struct Options: Sendable, Hashable {
        /// `--color`: a forced depth (`.monochrome` for `never`), or nil to detect.
        public var forcedColorDepth: ColorDepth?
        /// `--ascii`: use ASCII glyphs even in a UTF-8 locale.
        public var forceASCII: Bool
        /// Ask the terminal for SGR mouse reports (off with `--no-mouse`).
        public var mouse: Bool
        /// Creates options.
        public init(
            forcedColorDepth: ColorDepth? = nil, forceASCII: Bool = false, mouse: Bool = false
        ) {
            self.forcedColorDepth = forcedColorDepth
            self.forceASCII = forceASCII
            self.mouse = mouse
        }
    }

    /// Turns on button press/release reports (1000) in SGR form (1006): no motion reports,
    /// and no 223-column limit as in the X10 form.
    static let mouseOn = Array("\u{1b}[?1000h\u{1b}[?1006h".utf8)
    /// Turns mouse reports off again.
    static let mouseOff = Array("\u{1b}[?1006l\u{1b}[?1000l".utf8)
    /// The key code ncurses returns for `ESC [ <`, the start of an SGR mouse report. Above
    /// every curses key code (`KEY_MAX` and the extended keys terminfo adds after it) and
    /// below 65,536, which ncurses' key table can hold.
    static let mousePrefixCode: Int32 = 0x7E00
    /// The key code for `ESC [ M`, the X10 report of a terminal that ignores `?1006h`.
    static let legacyMousePrefixCode: Int32 = 0x7E01

    /// What the terminal can do.
    public private(set) var capabilities: TerminalCapabilities
    /// The terminal's name (`TERM`).
    public let terminalName: String

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var decoder: InputDecoder
    private let mouse: Bool
    private var pairCache: ColorPairCache
    private var paletteCache: PaletteSlotCache
    private var rgbMode: CursesColor.RGBMode
    private let colorCount: Int
    private var isShutDown = false
    private var isCursorVisible = false
    /// The title set with `setTitle`, while the terminal's own is saved on its title stack.
    private var title: String?
    /// After a stop: `title` is set again once the next `flush()` has re-entered the
    /// alternate screen (whose `smcup` may push the title stack itself).
    private var titleAfterResume = false

    /// Starts curses on the controlling terminal.
    ///
    /// Call after installing signal handling (docs/ARCHITECTURE.md, "Runtime, signals and shutdown"). Throws when stdin/stdout
    /// are not terminals or `TERM` is unset, unknown, or cannot address the cursor (`dumb`).
    public init(options: Options = Options()) throws(TerminalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw .notATerminal
        }
        setlocale(LC_ALL, "")
        let codeset = nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? ""
        let isUTF8 = ["UTF-8", "UTF8"].contains(codeset.uppercased())

        let term = NCursesBackend.environment("TERM") ?? ""
        guard !term.isEmpty else { throw .unknownTerminal("") }
        var setupError: Int32 = 0
        if setupterm(nil, STDOUT_FILENO, &setupError) != cn_ok() {
            if setupError == -1 { throw .noTerminfoDatabase }
            throw .unknownTerminal(term)
        }
        // `dumb` and other terminals without cursor addressing have a terminfo entry, so
        // newterm would succeed and then draw nothing: refuse before curses takes the screen.
        guard cn_tigetstr("cup") != nil, cn_tigetstr("clear") != nil else {
            throw .unsupportedTerminal(term)
        }
        // Arm the crash guard with the original termios before curses changes it.
        let restore =
            ["rmcup", "cnorm", "sgr0"].compactMap { name -> [CChar]? in
                guard let value = cn_tigetstr(name) else { return nil }
                return Array(UnsafeBufferPointer(start: value, count: strlen(value)))
            }.flatMap { $0 } + (options.mouse ? Self.mouseOff.map { CChar(bitPattern: $0) } : [])
        restore.withUnsafeBufferPointer { bytes in
            _ = ctg_arm(STDOUT_FILENO, bytes.baseAddress, bytes.count)
        }

        guard let screen = newterm(nil, cn_stdout(), cn_stdin()) else {
            ctg_disarm()
            throw .initializationFailed(term)
        }
        self.screen = screen
        guard let window = cn_stdscr() else {
            endwin()
            delscreen(screen)
            ctg_disarm()
            throw .initializationFailed(term)
        }
        self.window = window
        self.terminalName = term

        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        // Home/End variants that some terminals (tmux and screen under an xterm TERM,
        // rxvt) send but their terminfo entry does not list.
        for (sequence, key) in [
            ("\u{1b}[1~", cn_key_home()), ("\u{1b}[7~", cn_key_home()), ("\u{1b}[H", cn_key_home()),
            ("\u{1b}OH", cn_key_home()), ("\u{1b}[4~", cn_key_end()), ("\u{1b}[8~", cn_key_end()),
            ("\u{1b}[F", cn_key_end()), ("\u{1b}OF", cn_key_end()),
        ] where key_defined(sequence) == 0 {
            define_key(sequence, key)
        }
        if options.mouse {
            // Our own codes for the reports' starts, replacing terminfo's `kmous` (`ESC [ <`
            // in xterm, `ESC [ M` in tmux and screen): ncurses' mouse driver never starts,
            // and the decoder reads what follows.
            for (sequence, code) in [
                ("\u{1b}[<", Self.mousePrefixCode), ("\u{1b}[M", Self.legacyMousePrefixCode),
            ] {
                define_key(sequence, 0)
                define_key(sequence, code)
            }
            Self.writeToTerminal(Self.mouseOn)
        }
        self.mouse = options.mouse
        nodelay(window, true)
        set_escdelay(25)
        curs_set(0)

        let hasColors = has_colors()
        if hasColors {
            start_color()
            use_default_colors()
        }
        self.colorCount = hasColors ? Int(cn_colors()) : 0
        let canChange = hasColors && can_change_color()
        self.rgbMode =
            colorCount >= 1 << 24 ? .direct : (canChange && colorCount >= 256 ? .palette : .none)
        self.pairCache = ColorPairCache(capacity: hasColors ? cn_color_pairs() : 0)
        self.paletteCache = PaletteSlotCache(limit: Int32(min(colorCount, 256)))

        var supported: Attrs = [.bold, .underline, .reverse]
        let termAttrs = term_attrs()
        if termAttrs & cn_a_dim() != 0 { supported.insert(.dim) }
        if termAttrs & cn_a_italic() != 0 { supported.insert(.italic) }

        let depth = ColorDepth.detect(
            forced: options.forcedColorDepth, noColor: NCursesBackend.environment("NO_COLOR"),
            term: term, colorTerm: NCursesBackend.environment("COLORTERM"), colors: colorCount,
            hasColors: hasColors, canChangeColor: canChange)
        self.capabilities = TerminalCapabilities(
            colorDepth: depth, isUTF8: isUTF8 && !options.forceASCII, canChangeColor: canChange,
            hasOnlyEightColors: colorCount < 16, supportedAttributes: supported)

        let keyCodes = KeyCodes(
            resize: cn_key_resize(), up: cn_key_up(), down: cn_key_down(), left: cn_key_left(),
            right: cn_key_right(), shiftUp: cn_key_sr(), shiftDown: cn_key_sf(),
            shiftLeft: cn_key_sleft(), shiftRight: cn_key_sright(),
            extendedShiftUp: cn_extended_key("kUP"), extendedShiftDown: cn_extended_key("kDN"),
            home: cn_key_home(), end: cn_key_end(), pageUp: cn_key_ppage(),
            pageDown: cn_key_npage(), backspace: cn_key_backspace(), delete: cn_key_dc(),
            enter: cn_key_enter(), backTab: cn_key_btab(), function0: cn_key_f(0))
        self.decoder = InputDecoder(
            codes: keyCodes, mousePrefix: options.mouse ? Self.mousePrefixCode : nil,
            legacyMousePrefix: options.mouse ? Self.legacyMousePrefixCode : nil)
    }

    deinit { shutdown() }

    /// Re-runs colour-depth detection with a new `--color` choice (the `:color` command).
    public func setColorDepth(forced: ColorDepth?) {
        capabilities.colorDepth = ColorDepth.detect(
            forced: forced, noColor: NCursesBackend.environment("NO_COLOR"), term: terminalName,
            colorTerm: NCursesBackend.environment("COLORTERM"), colors: colorCount,
            hasColors: colorCount > 0, canChangeColor: capabilities.canChangeColor)
    }

    /// The current size, as curses knows it.
    public var size: Size {
        guard !isShutDown else { return Size(width: 0, height: 0) }
        return Size(width: Int(cn_cols()), height: Int(cn_lines()))
    }

    /// Tells curses the new size after SIGWINCH (read with `TIOCGWINSZ` by the caller).
    public func resize(rows: Int, cols: Int) {
        guard !isShutDown, rows > 0, cols > 0 else { return }
        resizeterm(Int32(rows), Int32(cols))
    }

    /// Writes runs with `setcchar` + `mvwadd_wch`; visible after `flush()`.
    public func draw(_ runs: [CellRun]) {
        guard !isShutDown else { return }
        var text: [wchar_t] = []
        for run in runs {
            let attrs = cursesAttributes(run.style.attrs)
            let pair = colorPair(for: run.style)
            for (offset, cell) in run.cells.enumerated() where !cell.isContinuation {
                text.removeAll(keepingCapacity: true)
                for scalar in cell.grapheme.unicodeScalars.prefix(Int(cn_ccharw_max()) - 1) {
                    text.append(wchar_t(bitPattern: scalar.value))
                }
                if text.isEmpty { text.append(wchar_t(32)) }
                text.append(0)
                _ = cn_put_cell(window, Int32(run.y), Int32(run.x + offset), text, attrs, pair)
            }
        }
    }

    /// Moves the terminal cursor and makes it visible.
    public func showCursor(at position: Position) {
        guard !isShutDown else { return }
        wmove(window, Int32(position.y), Int32(position.x))
        if !isCursorVisible {
            curs_set(1)
            isCursorVisible = true
        }
    }

    /// Hides the terminal cursor.
    public func hideCursor() {
        guard !isShutDown, isCursorVisible else { return }
        curs_set(0)
        isCursorVisible = false
    }

    /// `wnoutrefresh` + `doupdate`: one terminal update per frame.
    public func flush() {
        guard !isShutDown else { return }
        wnoutrefresh(window)
        doupdate()
        if titleAfterResume, let title {
            titleAfterResume = false
            Self.writeToTerminal(Array((Self.pushTitle + Self.setTitleSequence(title)).utf8))
        }
    }

    /// Clears the screen so the next flush repaints everything.
    public func clearAll() {
        guard !isShutDown else { return }
        wclear(window)
    }

    /// Reads every key waiting (at most 4,096 per call) without blocking.
    public func readInput() -> [InputEvent] {
        guard !isShutDown else { return [] }
        var events: [InputEvent] = []
        var code: wint_t = 0
        while events.count < 4096 {
            let result = wget_wch(window, &code)
            if result == cn_err() { break }
            let input: RawInput =
                result == cn_key_code_yes()
                ? .key(Int32(bitPattern: UInt32(code))) : .character(UInt32(code))
            if let event = decoder.decode(input) { events.append(event) }
        }
        return events
    }

    /// Leaves curses mode for a job-control stop (`def_prog_mode` + `endwin`): the shell's
    /// terminal modes, the normal screen and the cursor come back. After the stop call
    /// `resume()`; the next `flush()` (`doupdate`) then re-enters the alternate screen.
    public func suspend() {
        guard !isShutDown else { return }
        def_prog_mode()
        endwin()
        if mouse { Self.writeToTerminal(Self.mouseOff) }
        // The shell gets its own title back while upmon is stopped.
        if title != nil { Self.writeToTerminal(Array(Self.popTitle.utf8)) }
    }

    /// Takes the terminal back after a job-control stop. `endwin` switched keypad transmit
    /// mode off and ncurses does not switch it on again before keys arrive (the first arrow
    /// keys would come as sequences it does not decode), so it is set here; the next `flush()` re-enters
    /// the alternate screen, and a `clearAll()` before it repaints every cell.
    public func resume() {
        guard !isShutDown else { return }
        reset_prog_mode()
        keypad(window, true)
        if mouse { Self.writeToTerminal(Self.mouseOn) }
        titleAfterResume = title != nil
    }

    /// Restores the terminal (`endwin`) and disarms the crash guard. Safe to call more
    /// than once; after it, every other method does nothing.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        curs_set(1)
        endwin()
        if mouse { Self.writeToTerminal(Self.mouseOff) }
        delscreen(screen)
        ctg_disarm()
        if title != nil { Self.writeToTerminal(Array(Self.popTitle.utf8)) }
        title = nil
    }

    // MARK: - Bell and title

    /// `CSI 22;2 t`: save the window title on the terminal's title stack (xterm, tmux, VTE).
    static let pushTitle = "\u{1B}[22;2t"
    /// `CSI 23;2 t`: restore the saved title.
    static let popTitle = "\u{1B}[23;2t"

    /// OSC 2: set the window title to `text` (already free of control characters).
    static func setTitleSequence(_ text: String) -> String { "\u{1B}]2;" + text + "\u{07}" }

    /// Rings the bell (`beep()`: the terminal's `bel`, or a flash where it has none).
    public func ringBell() {
        guard !isShutDown else { return }
        beep()
    }

    /// Sets the window title with OSC 2, saving the terminal's own title first; `nil` gives
    /// it back. The text is cut to 200 characters and loses control characters (it goes
    /// inside an escape sequence). Written between frames, when curses has flushed.
    public func setTitle(_ text: String?) {
        guard !isShutDown else { return }
        guard let text else {
            // Pushed only if the title was set since the last stop.
            if title != nil, !titleAfterResume { Self.writeToTerminal(Array(Self.popTitle.utf8)) }
            title = nil
            titleAfterResume = false
            return
        }
        let clean = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
                    .prefix(200)))
        guard clean != title else { return }
        guard !titleAfterResume else {
            title = clean  // the next flush pushes and sets it
            return
        }
        let push = title == nil ? Self.pushTitle : ""
        title = clean
        Self.writeToTerminal(Array((push + Self.setTitleSequence(clean)).utf8))
    }

    /// Writes mode switches straight to the terminal (curses has flushed its own output
    /// first, or has not written any yet).
    private static func writeToTerminal(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                write(STDOUT_FILENO, $0.baseAddress, $0.count)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    // MARK: - Styles

    private func cursesAttributes(_ attrs: Attrs) -> attr_t {
        var result = cn_a_normal()
        if attrs.contains(.bold) { result |= cn_a_bold() }
        if attrs.contains(.dim) { result |= cn_a_dim() }
        if attrs.contains(.underline) { result |= cn_a_underline() }
        if attrs.contains(.reverse) { result |= cn_a_reverse() }
        if attrs.contains(.italic) { result |= cn_a_italic() }
        return result
    }

    private func colorNumber(_ color: Color) -> Int32 {
        let converted = ColorDepth.convert(color, to: capabilities.colorDepth)
        if let number = CursesColor.number(for: converted, colors: colorCount, rgbMode: rgbMode) {
            return number
        }
        guard case .rgb(let r, let g, let b) = converted else { return -1 }
        let (slot, isNew) = paletteCache.slot(r, g, b)
        if isNew {
            init_extended_color(
                slot, Int32(r) * 1000 / 255, Int32(g) * 1000 / 255, Int32(b) * 1000 / 255)
        }
        return slot
    }

    private func colorPair(for style: Style) -> Int32 {
        guard colorCount > 0, capabilities.colorDepth != .monochrome else { return 0 }
        let fg = colorNumber(style.fg)
        let bg = colorNumber(style.bg)
        let (pair, isNew) = pairCache.pair(fg: fg, bg: bg)
        if isNew { init_extended_pair(pair, fg, bg) }
        return pair
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
