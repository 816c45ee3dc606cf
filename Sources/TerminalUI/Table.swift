/// One column of a `Table`.
public struct TableColumn: Sendable, Hashable {
    /// Header text.
    public var title: String
    /// Width in columns.
    public var width: Int
    /// Alignment of the header and the cells.
    public var alignment: Alignment

    /// Creates a column.
    public init(_ title: String, width: Int, alignment: Alignment = .left) {
        self.title = title
        self.width = width
        self.alignment = alignment
    }
}

/// One row of a `Table`: a line per column.
public struct TableRow: Sendable, Hashable {
    /// Cell contents, one per column (missing cells are blank).
    public var cells: [Line]
    /// Base style of the row, if it differs from the table's.
    public var style: Style?

    /// Creates a row.
    public init(_ cells: [Line], style: Style? = nil) {
        self.cells = cells
        self.style = style
    }
}

/// A table with a header row, a highlighted selected row, and virtualised rows.
///
/// The table asks `row` only for the rows it draws (`offset` up to the visible count),
/// so it costs the same for ten rows as for ten thousand. Scroll offset and selection
/// belong to the caller; `scrollOffset(selected:current:visibleRows:rowCount:context:)`
/// computes an offset that keeps the selection in view.
public struct Table {
    /// The columns, left to right.
    public var columns: [TableColumn]
    /// Total number of rows.
    public var rowCount: Int
    /// Returns the row at an index; called only for visible rows.
    public var row: (Int) -> TableRow
    /// Index of the first visible row.
    public var offset: Int
    /// Index of the selected row, if any.
    public var selected: Int?
    /// Whether to draw the header row.
    public var showsHeader: Bool
    /// Style of the header row.
    public var headerStyle: Style
    /// Base style of the rows.
    public var rowStyle: Style
    /// Style of the whole selected row (replaces the cells' own styles).
    public var highlightStyle: Style
    /// Blank columns between columns.
    public var columnSpacing: Int
    /// Truncation marker.
    public var ellipsis: String

    /// Creates a table.
    public init(
        columns: [TableColumn], rowCount: Int, offset: Int = 0, selected: Int? = nil,
        showsHeader: Bool = true, headerStyle: Style = .plain, rowStyle: Style = .plain,
        highlightStyle: Style = Style(attrs: .reverse), columnSpacing: Int = 1,
        ellipsis: String = "…", row: @escaping (Int) -> TableRow
    ) {
        self.columns = columns
        self.rowCount = rowCount
        self.row = row
        self.offset = offset
        self.selected = selected
        self.showsHeader = showsHeader
        self.headerStyle = headerStyle
        self.rowStyle = rowStyle
        self.highlightStyle = highlightStyle
        self.columnSpacing = columnSpacing
        self.ellipsis = ellipsis
    }

    /// Rows of data that fit in `height` rows.
    public static func visibleRowCount(height: Int, showsHeader: Bool = true) -> Int {
        max(0, height - (showsHeader ? 1 : 0))
    }

    /// The offset that keeps `selected` visible with `context` rows around it, moving
    /// `current` as little as possible.
    public static func scrollOffset(
        selected: Int, current: Int, visibleRows: Int, rowCount: Int, context: Int = 2
    ) -> Int {
        guard visibleRows > 0, rowCount > 0 else { return 0 }
        let margin = min(context, (visibleRows - 1) / 2)
        var offset = current
        if selected - margin < offset { offset = selected - margin }
        if selected + margin >= offset + visibleRows {
            offset = selected + margin - visibleRows + 1
        }
        return min(max(0, offset), max(0, rowCount - visibleRows))
    }

    /// Draws the header and the visible rows.
    public func render(into buffer: inout Buffer, area: Rect) {
        guard !area.isEmpty else { return }
        var y = area.y
        if showsHeader {
            buffer.clear(area.row(0), style: headerStyle)
            drawCells(
                columns.map { Line($0.title, style: headerStyle) }, y: y, area: area,
                into: &buffer)
            y += 1
        }
        let visible = Table.visibleRowCount(height: area.height, showsHeader: showsHeader)
        let first = max(0, offset)
        for index in first..<max(first, min(rowCount, first + visible)) {
            let tableRow = row(index)
            let rowRect = Rect(x: area.x, y: y, width: area.width, height: 1)
            buffer.clear(rowRect, style: tableRow.style ?? rowStyle)
            drawCells(tableRow.cells, y: y, area: area, into: &buffer)
            if index == selected { buffer.setStyle(highlightStyle, in: rowRect) }
            y += 1
        }
        if y < area.maxY {
            buffer.clear(
                Rect(x: area.x, y: y, width: area.width, height: area.maxY - y), style: rowStyle)
        }
    }

    private func drawCells(_ cells: [Line], y: Int, area: Rect, into buffer: inout Buffer) {
        var x = area.x
        for (i, column) in columns.enumerated() {
            guard x < area.maxX else { break }
            let width = min(column.width, area.maxX - x)
            if i < cells.count, width > 0 {
                let line = cells[i].truncated(to: width, ellipsis: ellipsis)
                let gap = width - line.width
                let shift: Int
                switch column.alignment {
                case .left: shift = 0
                case .center: shift = gap / 2
                case .right: shift = gap
                }
                buffer.set(x: x + shift, y: y, line, maxWidth: width - shift)
            }
            x += column.width + columnSpacing
        }
    }
}
