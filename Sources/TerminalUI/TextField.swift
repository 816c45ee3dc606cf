/// The state of a single-line text editor: text, cursor and horizontal scroll.
///
/// A value type owned by the app's UI state; `handle(_:)` applies a key.
public struct TextFieldState: Sendable, Hashable {
    /// The text, as graphemes.
    public private(set) var characters: [Character]
    /// Cursor position: an index into `characters` (0 = before the first).
    public private(set) var cursor: Int
    /// First grapheme shown; kept in step with the cursor by `render`/`visibleStart`.
    public var scroll: Int

    /// Creates a state with the cursor at the end of `text`.
    public init(text: String = "") {
        self.characters = Array(text)
        self.cursor = characters.count
        self.scroll = 0
    }

    /// The text.
    public var text: String {
        get { String(characters) }
        set {
            characters = Array(newValue)
            cursor = characters.count
        }
    }

    /// Inserts a character at the cursor.
    public mutating func insert(_ character: Character) {
        characters.insert(character, at: cursor)
        cursor += 1
    }

    /// Inserts a string at the cursor (pasting); control characters are dropped.
    public mutating func insert(_ string: String) {
        for character in string where !character.isControlLike { insert(character) }
    }

    /// Deletes the character before the cursor.
    public mutating func backspace() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    /// Deletes the character under the cursor.
    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    /// Deletes everything before the cursor.
    public mutating func deleteToStart() {
        characters.removeSubrange(0..<cursor)
        cursor = 0
    }

    /// Deletes everything from the cursor on.
    public mutating func deleteToEnd() { characters.removeSubrange(cursor...) }

    /// Moves the cursor one grapheme left.
    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    /// Moves the cursor one grapheme right.
    public mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    /// Moves the cursor to the start.
    public mutating func moveHome() { cursor = 0 }
    /// Moves the cursor to the end.
    public mutating func moveEnd() { cursor = characters.count }

    /// Applies an editing key; returns false when the key is not an editing key.
    ///
    /// Handles printable characters, Backspace, Delete, ←/→, Home/End, Ctrl-A/E (home/end),
    /// Ctrl-U (delete to start), Ctrl-K (delete to end).
    @discardableResult
    public mutating func handle(_ event: InputEvent) -> Bool {
        switch event {
        case .char(let c):
            guard !c.isControlLike else { return false }
            insert(c)
        case .backspace, .ctrl("h"): backspace()
        case .delete, .ctrl("d"): deleteForward()
        case .left(shift: false), .ctrl("b"): moveLeft()
        case .right(shift: false), .ctrl("f"): moveRight()
        case .home, .ctrl("a"): moveHome()
        case .end, .ctrl("e"): moveEnd()
        case .ctrl("u"): deleteToStart()
        case .ctrl("k"): deleteToEnd()
        default: return false
        }
        return true
    }

    /// The first grapheme to show in `width` columns so the cursor stays visible,
    /// starting from `scroll`.
    public func visibleStart(width: Int) -> Int {
        guard width > 1 else { return cursor }
        var start = min(max(0, scroll), cursor)
        func columns(_ range: Range<Int>) -> Int {
            characters[range].reduce(0) { $0 + TextWidth.width(of: $1) }
        }
        // The cursor needs its own column after the text before it.
        while start < cursor, columns(start..<cursor) > width - 1 { start += 1 }
        return start
    }

    /// Updates `scroll` for a field `width` columns wide.
    public mutating func scrollToCursor(width: Int) { scroll = visibleStart(width: width) }
}

extension Character {
    fileprivate var isControlLike: Bool {
        unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }
    }
}

/// Draws a `TextFieldState` on one row, scrolled so the cursor is visible.
public struct TextField: Sendable {
    /// The state to draw.
    public var state: TextFieldState
    /// Style of the text and the rest of the row.
    public var style: Style
    /// Shown in `placeholderStyle` when the text is empty.
    public var placeholder: String
    /// Style of the placeholder.
    public var placeholderStyle: Style

    /// Creates a text field.
    public init(
        state: TextFieldState, style: Style = .plain, placeholder: String = "",
        placeholderStyle: Style = Style(attrs: .dim)
    ) {
        self.state = state
        self.style = style
        self.placeholder = placeholder
        self.placeholderStyle = placeholderStyle
    }

    /// Draws the field and returns where the terminal cursor should go.
    @discardableResult
    public func render(into buffer: inout Buffer, area: Rect) -> Position? {
        guard area.width > 0, area.height > 0 else { return nil }
        buffer.clear(area.row(0), style: style)
        if state.characters.isEmpty {
            buffer.set(
                x: area.x, y: area.y, placeholder, style: placeholderStyle, maxWidth: area.width)
            return Position(x: area.x, y: area.y)
        }
        let start = state.visibleStart(width: area.width)
        let visible = String(state.characters[start...])
        buffer.set(x: area.x, y: area.y, visible, style: style, maxWidth: area.width)
        let before = String(state.characters[start..<state.cursor])
        let cursorX = area.x + TextWidth.width(of: sanitize(before))
        return Position(x: min(cursorX, area.maxX - 1), y: area.y)
    }
}
