/// What the terminal can do, as detected by the backend.
public struct TerminalCapabilities: Sendable, Hashable {
    /// The colour depth in use.
    public var colorDepth: ColorDepth
    /// True when the locale is UTF-8 (use `Glyphs.unicode`).
    public var isUTF8: Bool
    /// True when the palette can be redefined (`can_change_color()`).
    public var canChangeColor: Bool
    /// True when the terminal has only 8 colours (bright colours become base + bold).
    public var hasOnlyEightColors: Bool
    /// Attributes the terminal can show; `dim` and `italic` are often missing.
    public var supportedAttributes: Attrs

    /// Creates a capability set.
    public init(
        colorDepth: ColorDepth = .truecolor, isUTF8: Bool = true, canChangeColor: Bool = false,
        hasOnlyEightColors: Bool = false, supportedAttributes: Attrs = .all
    ) {
        self.colorDepth = colorDepth
        self.isUTF8 = isUTF8
        self.canChangeColor = canChangeColor
        self.hasOnlyEightColors = hasOnlyEightColors
        self.supportedAttributes = supportedAttributes
    }
}

/// A horizontal run of changed cells on one row, all in one style.
public struct CellRun: Sendable, Hashable {
    /// Column of the first cell.
    public var x: Int
    /// Row.
    public var y: Int
    /// The cells, left to right. Continuation cells of wide graphemes are included so
    /// `cells.count` is the number of columns; backends skip them when drawing.
    public var cells: [Cell]
    /// The style of every cell in the run.
    public var style: Style

    /// Creates a run.
    public init(x: Int, y: Int, cells: [Cell], style: Style) {
        self.x = x
        self.y = y
        self.cells = cells
        self.style = style
    }

    /// The run's text (continuation cells skipped).
    public var text: String {
        var text = ""
        for cell in cells where !cell.isContinuation { text.append(cell.grapheme) }
        return text
    }
}

/// A terminal the `Renderer` draws on: ncurses in the app, `TestBackend` in tests.
public protocol TerminalBackend: AnyObject {
    /// The current size in cells.
    var size: Size { get }
    /// What the terminal can do.
    var capabilities: TerminalCapabilities { get }
    /// Writes runs of cells (not visible until `flush()`).
    func draw(_ runs: [CellRun])
    /// Shows the cursor at a position (text fields).
    func showCursor(at position: Position)
    /// Hides the cursor.
    func hideCursor()
    /// Makes everything drawn since the last flush visible, once per frame.
    func flush()
    /// Clears the whole screen (before a full redraw).
    func clearAll()
    /// Returns the input that is waiting, decoded; never blocks (empty when none).
    func readInput() -> [InputEvent]
}
