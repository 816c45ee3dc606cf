/// An extra series drawn over a `LatencyGraph` (pinned connections).
public struct GraphSeries: Sendable, Hashable {
    /// Samples, oldest first, aligned with the main series' newest sample on the right.
    public var samples: [GraphSample]
    /// Style of the series' line.
    public var style: Style
    /// Creates a series.
    public init(samples: [GraphSample], style: Style) {
        self.samples = samples
        self.style = style
    }
}

/// A multi-row latency area plot with a y axis, newest sample on the right.
///
/// Braille packs 2 samples × 4 levels into each cell; block and ASCII draw one sample per
/// cell with 2 levels per row. Timeouts are the timeout glyph in the top row in
/// `timeoutStyle`; missing samples are blank. Overlay series are drawn as a line (their
/// top level only) over the area.
public struct LatencyGraph: Sendable {
    /// The main series, oldest first.
    public var samples: [GraphSample]
    /// Top of the y axis; nil picks a round number above the largest value shown.
    public var yMax: Double?
    /// The symbol set.
    public var symbols: GraphSymbols
    /// Glyph for timeouts.
    public var timeoutGlyph: String
    /// Style of the area.
    public var style: Style
    /// Style of timeout markers.
    public var timeoutStyle: Style
    /// Style of the axis and its labels.
    public var axisStyle: Style
    /// Unit appended to the top label.
    public var unit: String
    /// Whether to draw the y axis on the left.
    public var showsAxis: Bool
    /// The axis tick character (`┤` or `+`).
    public var axisTick: Character
    /// Series drawn on top of the area.
    public var overlays: [GraphSeries]

    /// Creates a graph.
    public init(
        samples: [GraphSample], yMax: Double? = nil, symbols: GraphSymbols = .braille,
        timeoutGlyph: String = "×", style: Style = .plain, timeoutStyle: Style = .plain,
        axisStyle: Style = .plain, unit: String = "ms", showsAxis: Bool = true,
        axisTick: Character = "┤", overlays: [GraphSeries] = []
    ) {
        self.samples = samples
        self.yMax = yMax
        self.symbols = symbols
        self.timeoutGlyph = timeoutGlyph
        self.style = style
        self.timeoutStyle = timeoutStyle
        self.axisStyle = axisStyle
        self.unit = unit
        self.showsAxis = showsAxis
        self.axisTick = axisTick
        self.overlays = overlays
    }

    /// Samples per cell column: 2 for braille, 1 otherwise.
    public var samplesPerColumn: Int { symbols == .braille ? 2 : 1 }
    /// Vertical levels per row: 4 for braille, 2 otherwise.
    public var levelsPerRow: Int { symbols == .braille ? 4 : 2 }

    /// The smallest "nice" number (1, 2, 2.5 or 5 × 10ⁿ) at or above `value`; 1 for 0.
    public static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        while magnitude > value { magnitude /= 10 }
        for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * magnitude >= value {
            return step * magnitude
        }
        return 10 * magnitude
    }

    /// A short label for an axis value: no decimals for whole numbers, one otherwise.
    public static func label(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        if value == value.rounded() { return String(Int(value)) }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Draws the axis and the plot.
    public func render(into buffer: inout Buffer, area: Rect) {
        guard !area.isEmpty else { return }
        buffer.clear(area, style: style)
        let shownValues = samples.compactMap { sample -> Double? in
            if case .value(let v) = sample { return v }
            return nil
        }
        let top = yMax ?? LatencyGraph.niceCeiling(shownValues.max() ?? 0)
        var plot = area
        if showsAxis {
            let topLabel = LatencyGraph.label(top) + unit
            var labels = Array(repeating: "", count: area.height)
            labels[0] = topLabel
            if area.height >= 2 { labels[area.height - 1] = "0" }
            if area.height >= 5 {
                labels[area.height / 2] = LatencyGraph.label(
                    top * Double(area.height - 1 - area.height / 2) / Double(area.height - 1))
            }
            let labelWidth = labels.map { TextWidth.width(of: $0) }.max() ?? 0
            guard area.width > labelWidth + 1 else { return }
            for (row, label) in labels.enumerated() {
                buffer.set(
                    x: area.x, y: area.y + row,
                    TextWidth.fit(label, width: labelWidth, alignment: .right), style: axisStyle)
                buffer.set(
                    x: area.x + labelWidth, y: area.y + row, String(axisTick), style: axisStyle)
            }
            plot = area.inset(left: labelWidth + 1)
        }
        drawArea(into: &buffer, plot: plot, top: top)
        for overlay in overlays { drawLine(overlay, into: &buffer, plot: plot, top: top) }
    }

    private func height(of value: Double, top: Double, levels: Int) -> Int {
        guard top > 0, value > 0 else { return 0 }
        let h = Int(saturating: (value / top * Double(levels)).rounded())
        return min(levels, max(1, h))
    }

    /// The samples for each plot column, right-aligned; nil where there is no sample.
    private func columns(of series: [GraphSample], width: Int) -> [[GraphSample?]] {
        let per = samplesPerColumn
        let slots = width * per
        let shown = Array(series.suffix(slots))
        let padded =
            Array(repeating: GraphSample?.none, count: slots - shown.count)
            + shown.map { Optional($0) }
        return (0..<width).map { Array(padded[($0 * per)..<($0 * per + per)]) }
    }

    private func drawArea(into buffer: inout Buffer, plot: Rect, top: Double) {
        let levels = plot.height * levelsPerRow
        for (column, group) in columns(of: samples, width: plot.width).enumerated() {
            let x = plot.x + column
            let heights = group.map { sample -> Int in
                if case .value(let v)? = sample { return height(of: v, top: top, levels: levels) }
                return 0
            }
            for row in 0..<plot.height {
                let fromBottom = plot.height - 1 - row
                let filled = heights.map {
                    min(levelsPerRow, max(0, $0 - fromBottom * levelsPerRow))
                }
                if let glyph = glyph(filled: filled) {
                    buffer.set(x: x, y: plot.y + row, String(glyph), style: style, maxWidth: 1)
                }
            }
            if group.contains(.timeout) {
                buffer.set(x: x, y: plot.y, timeoutGlyph, style: timeoutStyle, maxWidth: 1)
            }
        }
    }

    private func drawLine(_ series: GraphSeries, into buffer: inout Buffer, plot: Rect, top: Double)
    {
        let levels = plot.height * levelsPerRow
        for (column, group) in columns(of: series.samples, width: plot.width).enumerated() {
            let x = plot.x + column
            var bitsByRow: [Int: UInt32] = [:]
            for (slot, sample) in group.enumerated() {
                guard case .value(let v)? = sample else { continue }
                let h = height(of: v, top: top, levels: levels)
                guard h > 0 else { continue }
                let row = plot.height - 1 - (h - 1) / levelsPerRow
                let level = (h - 1) % levelsPerRow
                switch symbols {
                case .braille:
                    bitsByRow[row, default: 0] |= LatencyGraph.brailleDot(slot: slot, level: level)
                case .block, .ascii:
                    bitsByRow[row, default: 0] |= UInt32(level + 1)
                }
            }
            for (row, bits) in bitsByRow {
                let character: Character
                switch symbols {
                case .braille:
                    var existing: UInt32 = 0
                    let cell = buffer[x, plot.y + row].grapheme.unicodeScalars.first?.value ?? 0
                    if cell >= 0x2800 && cell <= 0x28FF { existing = cell - 0x2800 }
                    character = Character(Unicode.Scalar(0x2800 + (existing | bits)) ?? " ")
                case .block: character = bits >= 2 ? "▀" : "▄"
                case .ascii: character = bits >= 2 ? "'" : "."
                }
                buffer.set(
                    x: x, y: plot.y + row, String(character), style: series.style, maxWidth: 1)
            }
        }
    }

    /// The braille dot bit for sample `slot` (0 left, 1 right) at `level` (0 = bottom).
    static func brailleDot(slot: Int, level: Int) -> UInt32 {
        let left: [UInt32] = [0x40, 0x04, 0x02, 0x01]
        let right: [UInt32] = [0x80, 0x20, 0x10, 0x08]
        return slot == 0 ? left[level] : right[level]
    }

    /// The character for a cell whose columns are filled `filled` levels from the bottom.
    private func glyph(filled: [Int]) -> Character? {
        switch symbols {
        case .braille:
            var bits: UInt32 = 0
            for (slot, count) in filled.enumerated() where count > 0 {
                for level in 0..<count { bits |= LatencyGraph.brailleDot(slot: slot, level: level) }
            }
            guard bits != 0 else { return nil }
            return Character(Unicode.Scalar(0x2800 + bits) ?? " ")
        case .block:
            switch filled.first ?? 0 {
            case 0: return nil
            case 1: return "▄"
            default: return "█"
            }
        case .ascii:
            switch filled.first ?? 0 {
            case 0: return nil
            case 1: return "."
            default: return "|"
            }
        }
    }
}
