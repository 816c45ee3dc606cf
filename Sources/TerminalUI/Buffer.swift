/// One terminal cell: a grapheme, its style and its width.
///
/// A wide grapheme (width 2) is followed by a continuation cell (width 0) that draws
/// nothing; the terminal fills it from the wide grapheme on its left.
public struct Cell: Sendable, Hashable {
    /// The grapheme drawn in the cell (a space when blank).
    public var grapheme: Character
    /// Colours and attributes.
    public var style: Style
    /// Columns the grapheme takes: 1 or 2, or 0 for the continuation half of a wide grapheme.
    public var width: UInt8

    /// Creates a cell.
    public init(grapheme: Character, style: Style = .plain, width: UInt8 = 1) {
        self.grapheme = grapheme
        self.style = style
        self.width = width
    }

    /// A blank cell in `style`.
    public static func blank(_ style: Style = .plain) -> Cell {
        Cell(grapheme: " ", style: style, width: 1)
    }

    /// True for the right half of a wide grapheme.
    public var isContinuation: Bool { width == 0 }
}

/// A width × height grid of cells that widgets draw into.
///
/// Every write is clipped to the grid, so drawing outside it is harmless. Text written
/// with `set` is passed through `sanitize(_:)`, so control characters can never reach
/// the terminal.
public struct Buffer: Sendable, Hashable {
    /// Columns.
    public private(set) var width: Int
    /// Rows.
    public private(set) var height: Int
    /// Cells, row by row.
    public private(set) var cells: [Cell]

    /// A buffer of blank cells in `style`.
    public init(width: Int, height: Int, style: Style = .plain) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: .blank(style), count: self.width * self.height)
    }

    /// A buffer of blank cells of the given size.
    public init(size: Size, style: Style = .plain) {
        self.init(width: size.width, height: size.height, style: style)
    }

    /// The buffer's size.
    public var size: Size { Size(width: width, height: height) }
    /// The whole buffer as a rectangle at the origin.
    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The cell at (`x`, `y`), or a blank cell outside the grid.
    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return .blank() }
        return cells[y * width + x]
    }

    /// Writes `string` starting at (`x`, `y`) on one row and returns the columns written.
    ///
    /// Writing stops at the right edge of the buffer or after `maxWidth` columns, whichever
    /// comes first. A wide grapheme that does not fit whole is not written. Zero-width
    /// graphemes are skipped. Control characters are drawn as escapes (`\x1b`).
    @discardableResult
    public mutating func set(
        x: Int, y: Int, _ string: String, style: Style = .plain, maxWidth: Int = Int.max
    ) -> Int {
        guard y >= 0, y < height, maxWidth > 0 else { return 0 }
        let limit = x > Int.max - maxWidth ? width : min(width, x + maxWidth)
        var column = x
        for character in sanitize(string) {
            let w = TextWidth.width(of: character)
            if w == 0 { continue }
            if column + w > limit { break }
            if column >= 0 {
                put(Cell(grapheme: character, style: style, width: UInt8(w)), x: column, y: y)
            } else if column + w > 0 {
                // A wide grapheme cut by the left edge: show the visible half as blank.
                put(.blank(style), x: 0, y: y)
            }
            column += w
        }
        return max(0, column - max(x, 0))
    }

    /// Writes styled spans one after another; returns the columns written.
    @discardableResult
    public mutating func set(x: Int, y: Int, _ line: Line, maxWidth: Int = Int.max) -> Int {
        var used = 0
        for span in line.spans {
            guard used < maxWidth else { break }
            used += set(x: x + used, y: y, span.text, style: span.style, maxWidth: maxWidth - used)
        }
        return used
    }

    /// Puts one cell at (`x`, `y`), keeping wide graphemes whole.
    ///
    /// Overwriting either half of a wide grapheme blanks the other half. A width-2 cell also
    /// writes its continuation cell; one that would hang off the right edge becomes blank.
    public mutating func put(_ cell: Cell, x: Int, y: Int) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        var cell = cell
        if cell.width == 2 && x + 1 >= width { cell = .blank(cell.style) }
        if cell.width == 0 { cell.width = 1 }
        let index = y * width + x
        let old = cells[index]
        if old.isContinuation, x > 0 {
            cells[index - 1] = .blank(cells[index - 1].style)
        }
        if old.width == 2, x + 1 < width, cell.width != 2 {
            cells[index + 1] = .blank(cells[index + 1].style)
        }
        cells[index] = cell
        if cell.width == 2 {
            let next = cells[index + 1]
            if next.width == 2, x + 2 < width {
                cells[index + 2] = .blank(cells[index + 2].style)
            }
            cells[index + 1] = Cell(grapheme: " ", style: cell.style, width: 0)
        }
    }

    /// Fills `rect` (clipped to the buffer) with `character` in `style`.
    public mutating func fill(_ rect: Rect, with character: Character = " ", style: Style = .plain)
    {
        let clipped = rect.intersection(area)
        guard !clipped.isEmpty else { return }
        let w = TextWidth.width(of: character)
        for row in clipped.y..<clipped.maxY {
            if w == 1 {
                for column in clipped.x..<clipped.maxX {
                    put(Cell(grapheme: character, style: style), x: column, y: row)
                }
            } else {
                for column in clipped.x..<clipped.maxX {
                    put(.blank(style), x: column, y: row)
                }
            }
        }
    }

    /// Blanks `rect` with `style` (a fill with spaces).
    public mutating func clear(_ rect: Rect, style: Style = .plain) {
        fill(rect, with: " ", style: style)
    }

    /// Replaces the style of every cell in `rect`, keeping the text.
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        let clipped = rect.intersection(area)
        guard !clipped.isEmpty else { return }
        for row in clipped.y..<clipped.maxY {
            for column in clipped.x..<clipped.maxX { cells[row * width + column].style = style }
        }
    }

    /// Merges `style` into every cell in `rect` (see `Style.patched(with:)`).
    public mutating func patchStyle(_ style: Style, in rect: Rect) {
        let clipped = rect.intersection(area)
        guard !clipped.isEmpty else { return }
        for row in clipped.y..<clipped.maxY {
            for column in clipped.x..<clipped.maxX {
                cells[row * width + column].style = cells[row * width + column].style.patched(
                    with: style)
            }
        }
    }

    /// Copies `other` into this buffer with its top-left corner at `origin`, clipped.
    public mutating func blit(_ other: Buffer, at origin: Position) {
        for row in 0..<other.height {
            for column in 0..<other.width {
                let cell = other[column, row]
                if cell.isContinuation { continue }
                put(cell, x: origin.x + column, y: origin.y + row)
            }
        }
    }

    /// Row `y` as text, with continuation cells skipped and trailing spaces kept.
    public func line(_ y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var text = ""
        for column in 0..<width {
            let cell = cells[y * width + column]
            if !cell.isContinuation { text.append(cell.grapheme) }
        }
        return text
    }

    /// Every row as text, trailing spaces kept.
    public var lines: [String] { (0..<height).map(line) }

    /// The whole grid as text: rows joined by "\n", trailing spaces of each row removed.
    public var text: String {
        lines.map { trimTrailingSpaces($0) }.joined(separator: "\n")
    }
}

/// `string` without trailing spaces.
func trimTrailingSpaces(_ string: String) -> String {
    var end = string.endIndex
    while end > string.startIndex {
        let before = string.index(before: end)
        if string[before] != " " { break }
        end = before
    }
    return String(string[..<end])
}

/// A run of text in one style.
public struct Span: Sendable, Hashable {
    /// The text (sanitized when drawn).
    public var text: String
    /// Its style.
    public var style: Style
    /// Creates a span.
    public init(_ text: String, style: Style = .plain) {
        self.text = text
        self.style = style
    }
    /// Columns the text takes.
    public var width: Int { TextWidth.width(of: sanitize(text)) }
}

/// One line of styled spans.
public struct Line: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The spans, left to right.
    public var spans: [Span]
    /// Creates a line from spans.
    public init(_ spans: [Span]) { self.spans = spans }
    /// Creates a line of one span.
    public init(_ text: String, style: Style = .plain) { self.spans = [Span(text, style: style)] }
    /// Creates an unstyled line from a literal.
    public init(stringLiteral value: String) { self.spans = [Span(value)] }
    /// Creates an unstyled line from an interpolated literal.
    public init(stringInterpolation: DefaultStringInterpolation) {
        self.spans = [Span(String(stringInterpolation: stringInterpolation))]
    }
    /// Columns the line takes.
    public var width: Int { spans.reduce(0) { $0 + $1.width } }
    /// The text of every span, concatenated.
    public var plainText: String { spans.map(\.text).joined() }

    /// The line cut to `maxWidth` columns, ending in `ellipsis` when anything was cut.
    public func truncated(to maxWidth: Int, ellipsis: String = "…") -> Line {
        guard width > maxWidth else { return self }
        guard maxWidth > 0 else { return Line([]) }
        let ellipsisWidth = TextWidth.width(of: ellipsis)
        let budget = max(0, maxWidth - ellipsisWidth)
        var result: [Span] = []
        var used = 0
        var lastStyle = spans.first?.style ?? .plain
        for span in spans {
            let text = sanitize(span.text)
            let w = TextWidth.width(of: text)
            lastStyle = span.style
            if used + w <= budget {
                result.append(Span(text, style: span.style))
                used += w
            } else {
                let part = TextWidth.prefix(text, fitting: budget - used)
                if !part.isEmpty { result.append(Span(part, style: span.style)) }
                break
            }
        }
        if ellipsisWidth <= maxWidth {
            result.append(Span(ellipsis, style: lastStyle))
        }
        return Line(result)
    }
}
