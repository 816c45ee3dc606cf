/// One sample of a latency series.
public enum GraphSample: Sendable, Hashable {
    /// A measured value (milliseconds, for example).
    case value(Double)
    /// A ping timeout: drawn as the timeout glyph, never as a tall bar.
    case timeout
    /// No sample (link down): drawn blank.
    case missing
}

/// A one-row sparkline: one cell per sample, newest on the right, 8 levels.
public struct Sparkline {
    /// The samples, oldest first. Only the newest that fit are drawn.
    public var samples: [GraphSample]
    /// The value drawn as a full cell; nil scales to the largest sample shown.
    public var maxValue: Double?
    /// The symbol set.
    public var symbols: GraphSymbols
    /// Glyph for timeouts (`×`, or `x` in ASCII).
    public var timeoutGlyph: String
    /// Style of values.
    public var style: Style
    /// Style of timeouts.
    public var timeoutStyle: Style
    /// When set, picks the style of each value (latency bands).
    public var styleForValue: ((Double) -> Style)?

    /// Creates a sparkline.
    public init(
        samples: [GraphSample], maxValue: Double? = nil, symbols: GraphSymbols = .braille,
        timeoutGlyph: String = "×", style: Style = .plain, timeoutStyle: Style = .plain,
        styleForValue: ((Double) -> Style)? = nil
    ) {
        self.samples = samples
        self.maxValue = maxValue
        self.symbols = symbols
        self.timeoutGlyph = timeoutGlyph
        self.style = style
        self.timeoutStyle = timeoutStyle
        self.styleForValue = styleForValue
    }

    /// The level (0–7) of `value` on a scale of `0...maxValue`.
    public static func level(of value: Double, maxValue: Double) -> Int {
        guard maxValue > 0, value > 0 else { return 0 }
        let scaled = (value / maxValue * 8).rounded(.up)
        return min(7, max(0, Int(saturating: scaled) - 1))
    }

    /// Draws in the first row of `area`; a shorter series is right-aligned.
    public func render(into buffer: inout Buffer, area: Rect) {
        guard area.width > 0, area.height > 0 else { return }
        buffer.clear(area.row(0), style: style)
        let shown = samples.suffix(area.width)
        let top =
            maxValue
            ?? shown.reduce(0) { partial, sample in
                if case .value(let v) = sample { return max(partial, v) }
                return partial
            }
        let levels = symbols.sparkLevels
        var x = area.maxX - shown.count
        for sample in shown {
            switch sample {
            case .value(let v):
                let glyph = String(levels[Sparkline.level(of: v, maxValue: top)])
                buffer.set(x: x, y: area.y, glyph, style: styleForValue?(v) ?? style, maxWidth: 1)
            case .timeout:
                buffer.set(x: x, y: area.y, timeoutGlyph, style: timeoutStyle, maxWidth: 1)
            case .missing:
                break
            }
            x += 1
        }
    }
}
