/// A key and what it does, for the footer.
public struct Hint: Sendable, Hashable {
    /// The key as shown (`?`, `↑↓`, `F10`).
    public var key: String
    /// What it does.
    public var label: String
    /// The key a click on the hint stands for; nil when it names several keys (`↑↓`).
    public var event: InputEvent?
    /// Creates a hint.
    public init(key: String, label: String, event: InputEvent? = nil) {
        self.key = key
        self.label = label
        self.event = event
    }
}

/// A row of key hints, `?Help  ↑↓Select  qQuit`; hints that do not fit whole are dropped.
public struct HintBar: Sendable {
    /// The hints, most important first.
    public var hints: [Hint]
    /// Style of the keys.
    public var keyStyle: Style
    /// Style of the labels and the gaps.
    public var labelStyle: Style
    /// Text between hints.
    public var separator: String

    /// Creates a hint bar.
    public init(
        hints: [Hint], keyStyle: Style = .plain, labelStyle: Style = .plain,
        separator: String = "  "
    ) {
        self.hints = hints
        self.keyStyle = keyStyle
        self.labelStyle = labelStyle
        self.separator = separator
    }

    /// Where each hint that fits is drawn in `area` (key and label, one row high), in order:
    /// the hit regions for mouse clicks. `render` draws exactly these.
    public func regions(in area: Rect) -> [Rect] {
        guard area.width > 0, area.height > 0 else { return [] }
        var x = area.x
        let separatorWidth = TextWidth.width(of: separator)
        var regions: [Rect] = []
        for hint in hints {
            let start = regions.isEmpty ? x : x + separatorWidth
            let width =
                TextWidth.width(of: sanitize(hint.key)) + TextWidth.width(of: sanitize(hint.label))
            guard start + width <= area.maxX else { break }
            regions.append(Rect(x: start, y: area.y, width: width, height: 1))
            x = start + width
        }
        return regions
    }

    /// The hint drawn at `position` in `area`, if any.
    public func hint(at position: Position, area: Rect) -> Hint? {
        regions(in: area).firstIndex { $0.contains(position) }.map { hints[$0] }
    }

    /// Draws in the first row of `area`; returns how many hints fitted.
    @discardableResult
    public func render(into buffer: inout Buffer, area: Rect) -> Int {
        guard area.width > 0, area.height > 0 else { return 0 }
        buffer.clear(area.row(0), style: labelStyle)
        let regions = regions(in: area)
        for (hint, region) in zip(hints, regions) {
            let keyWidth = buffer.set(x: region.x, y: region.y, hint.key, style: keyStyle)
            buffer.set(x: region.x + keyWidth, y: region.y, hint.label, style: labelStyle)
        }
        return regions.count
    }
}
