/// What a key did to a `ListPickerState`.
public enum ListPickerAction: Sendable, Hashable {
    /// Nothing for the caller to do (the filter or selection may have changed).
    case none
    /// Enter picked this item.
    case picked(String)
    /// Esc closed the picker.
    case cancelled
}

/// The state of a filter-as-you-type list: items, query, selection.
public struct ListPickerState: Sendable, Hashable {
    /// Every item, in display order.
    public var items: [String]
    /// The filter text.
    public var query: TextFieldState
    /// Index of the selection within `matches`.
    public private(set) var selected: Int

    /// Creates a picker over `items`.
    public init(items: [String], query: String = "") {
        self.items = items
        self.query = TextFieldState(text: query)
        self.selected = 0
    }

    /// True when every character of `query` appears in `item` in order (case-insensitive).
    public static func matches(_ item: String, query: String) -> Bool {
        var remaining = query.lowercased()[...]
        for character in item.lowercased() {
            guard let next = remaining.first else { return true }
            if character == next { remaining = remaining.dropFirst() }
        }
        return remaining.isEmpty
    }

    /// The items that match the query, in their original order.
    public var matches: [String] {
        let q = query.text
        guard !q.isEmpty else { return items }
        return items.filter { ListPickerState.matches($0, query: q) }
    }

    /// The selected item, if any item matches.
    public var selectedItem: String? {
        let current = matches
        return selected < current.count ? current[selected] : nil
    }

    /// Selects the match at `index` (a click on it), clamped to the matches.
    public mutating func select(index: Int) {
        let count = matches.count
        selected = count == 0 ? 0 : min(count - 1, max(0, index))
    }

    /// Moves the selection by `delta`, clamped to the matches.
    public mutating func moveSelection(by delta: Int) {
        let count = matches.count
        selected = count == 0 ? 0 : min(count - 1, max(0, selected + delta))
    }

    /// Applies a key: ↑/↓/PgUp/PgDn move, Enter picks, Esc cancels, anything else edits
    /// the query (which resets the selection to the first match).
    @discardableResult
    public mutating func handle(_ event: InputEvent, pageSize: Int = 10) -> ListPickerAction {
        switch event {
        case .up: moveSelection(by: -1)
        case .down: moveSelection(by: 1)
        case .pageUp: moveSelection(by: -max(1, pageSize))
        case .pageDown: moveSelection(by: max(1, pageSize))
        case .enter: return selectedItem.map { .picked($0) } ?? .none
        case .escape: return .cancelled
        default:
            let before = query.text
            query.handle(event)
            if query.text != before { selected = 0 }
        }
        return .none
    }
}

/// Draws a `ListPickerState`: the query on the first row, matches below.
public struct ListPicker: Sendable {
    /// The state to draw.
    public var state: ListPickerState
    /// Prompt before the query.
    public var prompt: String
    /// Style of items and the query.
    public var style: Style
    /// Style of the selected item.
    public var highlightStyle: Style
    /// Style of the prompt.
    public var promptStyle: Style
    /// Truncation marker.
    public var ellipsis: String

    /// Creates a picker view.
    public init(
        state: ListPickerState, prompt: String = "> ", style: Style = .plain,
        highlightStyle: Style = Style(attrs: .reverse), promptStyle: Style = .plain,
        ellipsis: String = "…"
    ) {
        self.state = state
        self.prompt = prompt
        self.style = style
        self.highlightStyle = highlightStyle
        self.promptStyle = promptStyle
        self.ellipsis = ellipsis
    }

    /// Draws the picker and returns where the terminal cursor should go (in the query).
    @discardableResult
    public func render(into buffer: inout Buffer, area: Rect) -> Position? {
        guard area.width > 0, area.height > 0 else { return nil }
        buffer.clear(area, style: style)
        let promptWidth = buffer.set(
            x: area.x, y: area.y, prompt, style: promptStyle, maxWidth: area.width)
        let cursor = TextField(state: state.query, style: style, placeholder: "")
            .render(
                into: &buffer,
                area: Rect(
                    x: area.x + promptWidth, y: area.y, width: area.width - promptWidth, height: 1))
        let matches = state.matches
        let (list, offset) = listArea(in: area, matchCount: matches.count)
        for row in 0..<list.height {
            let index = offset + row
            guard index < matches.count else { break }
            let rowRect = list.row(row)
            let rowStyle = index == state.selected ? highlightStyle : style
            buffer.clear(rowRect, style: rowStyle)
            buffer.set(
                x: rowRect.x, y: rowRect.y,
                TextWidth.truncate(sanitize(matches[index]), to: rowRect.width, ellipsis: ellipsis),
                style: rowStyle)
        }
        return cursor
    }

    /// The index (in `state.matches`) of the item drawn at `position` in `area`, if any: the
    /// hit test for a click, from the same geometry `render` draws with.
    public func matchIndex(at position: Position, area: Rect) -> Int? {
        guard area.width > 0, area.height > 0 else { return nil }
        let count = state.matches.count
        let (list, offset) = listArea(in: area, matchCount: count)
        guard list.contains(position) else { return nil }
        let index = offset + position.y - list.y
        return index < count ? index : nil
    }

    /// The rows below the query and the first match shown in them.
    private func listArea(in area: Rect, matchCount: Int) -> (list: Rect, offset: Int) {
        let list = area.inset(top: 1)
        let offset = Table.scrollOffset(
            selected: state.selected, current: 0, visibleRows: list.height, rowCount: matchCount,
            context: 0)
        return (list, offset)
    }
}
