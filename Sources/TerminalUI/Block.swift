/// A bordered box with an optional title on the left and one on the right of its top
/// edge: `┌ Title ───── right ┐`.
public struct Block: Sendable {
    /// Title drawn after the top-left corner.
    public var title: Line?
    /// Title drawn before the top-right corner (breadcrumbs, hints).
    public var titleRight: Line?
    /// Style of the border lines.
    public var borderStyle: Style
    /// Border characters.
    public var box: BoxSymbols
    /// When set, the inside is cleared with this style before drawing.
    public var fillStyle: Style?

    /// Creates a block.
    public init(
        title: Line? = nil, titleRight: Line? = nil, borderStyle: Style = .plain,
        box: BoxSymbols = .unicode, fillStyle: Style? = nil
    ) {
        self.title = title
        self.titleRight = titleRight
        self.borderStyle = borderStyle
        self.box = box
        self.fillStyle = fillStyle
    }

    /// The area inside the border.
    public func inner(_ area: Rect) -> Rect { area.inset(by: 1) }

    /// Draws the border and titles.
    ///
    /// Titles are truncated with `…`; the right title is dropped when it would touch the
    /// left one.
    public func render(into buffer: inout Buffer, area: Rect) {
        let area = area.intersection(buffer.area)
        guard area.width >= 2, area.height >= 2 else { return }
        if let fillStyle { buffer.clear(inner(area), style: fillStyle) }
        let h = String(box.horizontal)
        let v = String(box.vertical)
        let middle = String(repeating: h, count: area.width - 2)
        buffer.set(
            x: area.x, y: area.y, String(box.topLeft) + middle + String(box.topRight),
            style: borderStyle)
        buffer.set(
            x: area.x, y: area.maxY - 1,
            String(box.bottomLeft) + middle + String(box.bottomRight), style: borderStyle)
        for row in (area.y + 1)..<(area.maxY - 1) {
            buffer.set(x: area.x, y: row, v, style: borderStyle)
            buffer.set(x: area.maxX - 1, y: row, v, style: borderStyle)
        }
        // Room between the corners, keeping one horizontal on each side of a title.
        var leftEnd = area.x + 1
        let available = area.width - 4
        if let title, available > 0 {
            let text = title.truncated(to: available)
            buffer.set(x: area.x + 1, y: area.y, " ", style: borderStyle)
            let written = buffer.set(x: area.x + 2, y: area.y, text, maxWidth: available)
            buffer.set(x: area.x + 2 + written, y: area.y, " ", style: borderStyle)
            leftEnd = area.x + 3 + written
        }
        if let titleRight {
            let room = area.maxX - 2 - leftEnd - 2
            let width = titleRight.width
            if room >= width + 1, width > 0 {
                let start = area.maxX - 2 - width
                buffer.set(x: start - 1, y: area.y, " ", style: borderStyle)
                buffer.set(x: start, y: area.y, titleRight, maxWidth: width)
                buffer.set(x: area.maxX - 2, y: area.y, " ", style: borderStyle)
            }
        }
    }
}
