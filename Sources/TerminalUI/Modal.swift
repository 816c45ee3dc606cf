/// A bordered box centred over existing content, which it clears beneath itself.
public struct Modal: Sendable {
    /// Title on the border.
    public var title: Line?
    /// Right-hand title (breadcrumb).
    public var titleRight: Line?
    /// Wanted width, including the border (clipped to the area).
    public var width: Int
    /// Wanted height, including the border (clipped to the area).
    public var height: Int
    /// Style of the border.
    public var borderStyle: Style
    /// Style of the cleared inside.
    public var fillStyle: Style
    /// Border characters.
    public var box: BoxSymbols

    /// Creates a modal.
    public init(
        title: Line? = nil, titleRight: Line? = nil, width: Int, height: Int,
        borderStyle: Style = .plain, fillStyle: Style = .plain, box: BoxSymbols = .unicode
    ) {
        self.title = title
        self.titleRight = titleRight
        self.width = width
        self.height = height
        self.borderStyle = borderStyle
        self.fillStyle = fillStyle
        self.box = box
    }

    /// The box's rectangle inside `area`.
    public func frame(in area: Rect) -> Rect { area.centered(width: width, height: height) }

    /// Clears the box, draws its border, and returns the area inside the border.
    @discardableResult
    public func render(into buffer: inout Buffer, area: Rect) -> Rect {
        let box = frame(in: area)
        buffer.clear(box, style: fillStyle)
        let block = Block(
            title: title, titleRight: titleRight, borderStyle: borderStyle, box: self.box)
        block.render(into: &buffer, area: box)
        return block.inner(box)
    }
}
