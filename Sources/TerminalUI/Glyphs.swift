/// Box-drawing characters for borders.
public struct BoxSymbols: Sendable, Hashable {
    /// Top-left corner.
    public var topLeft: Character
    /// Top-right corner.
    public var topRight: Character
    /// Bottom-left corner.
    public var bottomLeft: Character
    /// Bottom-right corner.
    public var bottomRight: Character
    /// Horizontal line.
    public var horizontal: Character
    /// Vertical line.
    public var vertical: Character
    /// `├`: a vertical line with a branch to the right.
    public var teeRight: Character
    /// `┤`: a vertical line with a branch to the left (also the y-axis tick).
    public var teeLeft: Character

    /// Creates a box symbol set.
    public init(
        topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character,
        horizontal: Character, vertical: Character, teeRight: Character, teeLeft: Character
    ) {
        self.topLeft = topLeft
        self.topRight = topRight
        self.bottomLeft = bottomLeft
        self.bottomRight = bottomRight
        self.horizontal = horizontal
        self.vertical = vertical
        self.teeRight = teeRight
        self.teeLeft = teeLeft
    }

    /// `┌─┐│└┘├┤`.
    public static let unicode = BoxSymbols(
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", horizontal: "─",
        vertical: "│", teeRight: "├", teeLeft: "┤")
    /// `+-|`.
    public static let ascii = BoxSymbols(
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", horizontal: "-",
        vertical: "|", teeRight: "+", teeLeft: "+")
}

/// The symbol set used to draw graphs and sparklines (docs/THEMES.md, "Symbols: colour never stands alone").
public enum GraphSymbols: String, Sendable, Hashable, CaseIterable {
    /// Braille area plot (2 samples × 4 levels per cell), block sparklines.
    case braille
    /// Half-block area plot, block sparklines.
    case block
    /// ASCII only.
    case ascii

    /// The eight sparkline levels, lowest first.
    public var sparkLevels: [Character] {
        switch self {
        case .braille, .block: return ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        case .ascii: return ["_", ".", "-", "=", "+", "*", "#", "@"]
        }
    }
}

/// Every symbol upmon draws, in a UTF-8 or an ASCII variant (docs/THEMES.md, "Symbols: colour never stands alone").
///
/// States are always shown by a symbol and a word, never by colour alone.
public struct Glyphs: Sendable, Hashable {
    /// True for the UTF-8 set.
    public var isUnicode: Bool
    /// Link state `up`: `●` / `+`.
    public var up: String
    /// Link state `down`: `○` / `x`.
    public var down: String
    /// Link state `reconnecting`: `◐` / `~`.
    public var reconnecting: String
    /// Link state `connecting`: `◌` / `>`.
    public var connecting: String
    /// Idle or unknown: `·` / `?`.
    public var idle: String
    /// Link state `closed`: `■` / `-`.
    public var closed: String
    /// Ping timeout in graphs: `×` / `x`.
    public var timeout: String
    /// Stuck queue marker after the depth: `!`.
    public var stuck: String
    /// Recording badge: `● REC` / `* REC`.
    public var recording: String
    /// No data: `—` / `-`.
    public var noData: String
    /// Truncation marker: `…` / `~`.
    public var ellipsis: String
    /// Selected-row marker: `▶` / `>`.
    public var selected: String
    /// Sort ascending / descending: `▲` `▼` / `^` `v`.
    public var sortAscending: String
    /// Sort descending marker.
    public var sortDescending: String
    /// Separator in the header bar: `▏` / `|`.
    public var separator: String
    /// Breadcrumb separator: `›` / `>`.
    public var breadcrumb: String
    /// Arrow in state changes: `→` / `->`.
    public var arrow: String
    /// State timeline: up `█`/`#`, connecting or retry `▒`/`~`, down `░`/`.`.
    public var timelineUp: String
    /// Timeline: connecting or retrying.
    public var timelineConnecting: String
    /// Timeline: down.
    public var timelineDown: String
    /// Gauge filled and empty cells: `█` `░` / `#` `.`.
    public var gaugeFilled: Character
    /// Gauge empty cell.
    public var gaugeEmpty: Character
    /// Border characters.
    public var box: BoxSymbols

    /// The UTF-8 symbol set.
    public static let unicode = Glyphs(
        isUnicode: true, up: "●", down: "○", reconnecting: "◐", connecting: "◌", idle: "·",
        closed: "■", timeout: "×", stuck: "!", recording: "● REC", noData: "—", ellipsis: "…",
        selected: "▶", sortAscending: "▲", sortDescending: "▼", separator: "▏",
        breadcrumb: "›", arrow: "→", timelineUp: "█", timelineConnecting: "▒",
        timelineDown: "░", gaugeFilled: "█", gaugeEmpty: "░", box: .unicode)

    /// The ASCII symbol set, for non-UTF-8 locales and `--ascii`.
    public static let ascii = Glyphs(
        isUnicode: false, up: "+", down: "x", reconnecting: "~", connecting: ">", idle: "?",
        closed: "-", timeout: "x", stuck: "!", recording: "* REC", noData: "-", ellipsis: "~",
        selected: ">", sortAscending: "^", sortDescending: "v", separator: "|",
        breadcrumb: ">", arrow: "->", timelineUp: "#", timelineConnecting: "~",
        timelineDown: ".", gaugeFilled: "#", gaugeEmpty: ".", box: .ascii)

    /// The UTF-8 set when `unicode` is true, the ASCII set otherwise.
    public static func forTerminal(unicode: Bool) -> Glyphs { unicode ? .unicode : .ascii }

    /// The graph set to use: ASCII is forced when the glyphs are ASCII.
    public func graphSymbols(preferred: GraphSymbols) -> GraphSymbols {
        isUnicode ? preferred : .ascii
    }
}
