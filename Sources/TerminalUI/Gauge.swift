/// A one-row progress bar with an optional centred label.
public struct Gauge: Sendable {
    /// Progress from 0 to 1 (clamped).
    public var ratio: Double
    /// Text drawn centred over the bar.
    public var label: String?
    /// Style of the filled part.
    public var filledStyle: Style
    /// Style of the empty part.
    public var emptyStyle: Style
    /// Style of the label.
    public var labelStyle: Style
    /// Character of the filled part (`█` or `#`).
    public var filledGlyph: Character
    /// Character of the empty part (`░` or `.`).
    public var emptyGlyph: Character

    /// Creates a gauge.
    public init(
        ratio: Double, label: String? = nil, filledStyle: Style = .plain,
        emptyStyle: Style = .plain, labelStyle: Style = .plain, filledGlyph: Character = "█",
        emptyGlyph: Character = "░"
    ) {
        self.ratio = ratio
        self.label = label
        self.filledStyle = filledStyle
        self.emptyStyle = emptyStyle
        self.labelStyle = labelStyle
        self.filledGlyph = filledGlyph
        self.emptyGlyph = emptyGlyph
    }

    /// Columns filled out of `width`.
    public static func filledColumns(ratio: Double, width: Int) -> Int {
        guard ratio.isFinite, width > 0 else { return 0 }
        return Int(saturating: (min(1, max(0, ratio)) * Double(width)).rounded(.down))
    }

    /// Draws in the first row of `area`.
    public func render(into buffer: inout Buffer, area: Rect) {
        guard area.width > 0, area.height > 0 else { return }
        let filled = Gauge.filledColumns(ratio: ratio, width: area.width)
        buffer.fill(
            Rect(x: area.x, y: area.y, width: filled, height: 1), with: filledGlyph,
            style: filledStyle)
        buffer.fill(
            Rect(x: area.x + filled, y: area.y, width: area.width - filled, height: 1),
            with: emptyGlyph, style: emptyStyle)
        if let label {
            let text = TextWidth.truncate(label, to: area.width)
            let x = area.x + (area.width - TextWidth.width(of: text)) / 2
            buffer.set(x: x, y: area.y, text, style: labelStyle, maxWidth: area.maxX - x)
        }
    }
}
