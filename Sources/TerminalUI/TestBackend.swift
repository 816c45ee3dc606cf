/// An in-memory terminal for tests: a grid of graphemes and styles plus scripted input.
///
/// It records what the renderer sent, so a test can assert on the visible text
/// (`screenText`), on styles (`style(atX:y:)`), and on how much was written
/// (`cellsWritten`).
public final class TestBackend: TerminalBackend {
    /// The current size.
    public private(set) var size: Size
    /// Capabilities reported to the app.
    public var capabilities: TerminalCapabilities
    /// The screen contents.
    public private(set) var screen: Buffer
    /// Where the cursor is shown, or nil when hidden.
    public private(set) var cursor: Position?
    /// Total columns received through `draw` since creation or `resetCounters()`.
    public private(set) var cellsWritten = 0
    /// Number of `draw` calls since creation or `resetCounters()`.
    public private(set) var drawCalls = 0
    /// Number of `flush()` calls since creation or `resetCounters()`.
    public private(set) var flushCount = 0
    /// Number of `clearAll()` calls since creation or `resetCounters()`.
    public private(set) var clearCount = 0
    private var pendingInput: [InputEvent] = []

    /// Creates a blank test terminal.
    public init(
        width: Int, height: Int,
        capabilities: TerminalCapabilities = TerminalCapabilities()
    ) {
        self.size = Size(width: width, height: height)
        self.capabilities = capabilities
        self.screen = Buffer(width: width, height: height)
    }

    /// The visible text: one line per row joined by "\n", with trailing spaces trimmed
    /// from every line (leading and inner spaces are kept).
    public var screenText: String { screen.text }

    /// The visible rows, trailing spaces kept.
    public var screenLines: [String] { screen.lines }

    /// The style of the cell at (`x`, `y`).
    public func style(atX x: Int, y: Int) -> Style { screen[x, y].style }

    /// Queues events for the next `readInput()`.
    public func enqueueInput(_ events: [InputEvent]) { pendingInput.append(contentsOf: events) }

    /// Changes the size (contents are cleared) and queues `.resize`.
    public func resize(width: Int, height: Int) {
        size = Size(width: width, height: height)
        screen = Buffer(width: width, height: height)
        pendingInput.append(.resize)
    }

    /// Resets `cellsWritten`, `drawCalls`, `flushCount` and `clearCount` to 0.
    public func resetCounters() {
        cellsWritten = 0
        drawCalls = 0
        flushCount = 0
        clearCount = 0
    }

    /// Applies runs to the grid and counts the cells written.
    public func draw(_ runs: [CellRun]) {
        drawCalls += 1
        for run in runs {
            for (offset, cell) in run.cells.enumerated() where !cell.isContinuation {
                screen.put(cell, x: run.x + offset, y: run.y)
            }
            cellsWritten += run.cells.count
        }
    }

    /// Records the cursor position.
    public func showCursor(at position: Position) { cursor = position }
    /// Records that the cursor is hidden.
    public func hideCursor() { cursor = nil }
    /// Counts the flush.
    public func flush() { flushCount += 1 }

    /// Blanks the grid and counts the clear.
    public func clearAll() {
        clearCount += 1
        screen = Buffer(width: size.width, height: size.height)
    }

    /// Returns and removes the scripted input.
    public func readInput() -> [InputEvent] {
        defer { pendingInput.removeAll() }
        return pendingInput
    }
}
