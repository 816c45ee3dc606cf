/// Lines of text, one per row, cut with `…` instead of wrapping.
public struct Paragraph: Sendable {
    /// The lines, top first.
    public var lines: [Line]
    /// Horizontal alignment of each line.
    public var alignment: Alignment
    /// Style of the empty space (cleared first when set).
    public var style: Style?
    /// Lines skipped at the top.
    public var scroll: Int
    /// Truncation marker.
    public var ellipsis: String

    /// Creates a paragraph.
    public init(
        _ lines: [Line], alignment: Alignment = .left, style: Style? = nil, scroll: Int = 0,
        ellipsis: String = "…"
    ) {
        self.lines = lines
        self.alignment = alignment
        self.style = style
        self.scroll = scroll
        self.ellipsis = ellipsis
    }

    /// Draws as many lines as fit.
    public func render(into buffer: inout Buffer, area: Rect) {
        if let style { buffer.clear(area, style: style) }
        guard area.width > 0 else { return }
        let start = max(0, scroll)
        for row in 0..<area.height {
            let index = start + row
            guard index < lines.count else { break }
            let line = lines[index].truncated(to: area.width, ellipsis: ellipsis)
            let gap = area.width - line.width
            let offset: Int
            switch alignment {
            case .left: offset = 0
            case .center: offset = gap / 2
            case .right: offset = gap
            }
            buffer.set(x: area.x + offset, y: area.y + row, line, maxWidth: area.width - offset)
        }
    }
}

/// A scrolling event log: lines newest first, one per row, never wrapped.
public struct LogPane: Sendable {
    /// The lines, newest first.
    public var lines: [Line]
    /// How many lines are scrolled past at the top (0 shows the newest).
    public var offset: Int
    /// Style of the empty space.
    public var style: Style
    /// Truncation marker.
    public var ellipsis: String

    /// Creates a log pane.
    public init(_ lines: [Line], offset: Int = 0, style: Style = .plain, ellipsis: String = "…") {
        self.lines = lines
        self.offset = offset
        self.style = style
        self.ellipsis = ellipsis
    }

    /// The largest useful offset for `lineCount` lines in `height` rows.
    public static func maxOffset(lineCount: Int, height: Int) -> Int {
        max(0, lineCount - max(0, height))
    }

    /// Draws the visible lines; the offset is clamped so the pane is never half empty.
    public func render(into buffer: inout Buffer, area: Rect) {
        let clamped = min(
            max(0, offset), LogPane.maxOffset(lineCount: lines.count, height: area.height))
        Paragraph(lines, style: style, scroll: clamped, ellipsis: ellipsis)
            .render(into: &buffer, area: area)
    }
}
