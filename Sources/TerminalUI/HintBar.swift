/// A key and what it does, for the footer.
public struct Hint: Sendable, Hashable {
    /// The key as shown (`?`, `↑↓`, `F10`).
    public var key: String
    /// What it does.
    public var label: String
    /// Creates a hint.
    public init(key: String, label: String) {
        self.key = key
        self.label = label
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

    /// Draws in the first row of `area`; returns how many hints fitted.
    @discardableResult
    public func render(into buffer: inout Buffer, area: Rect) -> Int {
        guard area.width > 0, area.height > 0 else { return 0 }
        buffer.clear(area.row(0), style: labelStyle)
        var x = area.x
        let separatorWidth = TextWidth.width(of: separator)
        var shown = 0
        for hint in hints {
            let start = shown == 0 ? x : x + separatorWidth
            let width =
                TextWidth.width(of: sanitize(hint.key)) + TextWidth.width(of: sanitize(hint.label))
            guard start + width <= area.maxX else { break }
            let keyWidth = buffer.set(x: start, y: area.y, hint.key, style: keyStyle)
            buffer.set(x: start + keyWidth, y: area.y, hint.label, style: labelStyle)
            x = start + width
            shown += 1
        }
        return shown
    }
}
