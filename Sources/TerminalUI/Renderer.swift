/// Draws frames on a backend, sending only the cells that changed since the last frame.
///
/// The renderer keeps the previous `Buffer`. The first frame, a frame of a different size
/// (after a resize), and the frame after `invalidate()` clear the screen and draw every
/// cell.
public struct Renderer: Sendable {
    /// The last frame drawn, if any.
    public private(set) var previous: Buffer?
    private var needsFullRedraw = true

    /// Creates a renderer; its first frame is a full redraw.
    public init() {}

    /// Forces the next frame to be a full redraw (Ctrl-L, SIGCONT, resize).
    public mutating func invalidate() { needsFullRedraw = true }

    /// Draws `next`, positions or hides the cursor, and flushes the backend.
    ///
    /// - Returns: the number of cells (columns) sent to the backend.
    @discardableResult
    public mutating func render(
        _ next: Buffer, on backend: some TerminalBackend, cursor: Position? = nil
    ) -> Int {
        let runs: [CellRun]
        if needsFullRedraw || previous?.size != next.size {
            backend.clearAll()
            runs = Renderer.fullRuns(next)
        } else if let previous {
            runs = Renderer.diff(from: previous, to: next)
        } else {
            runs = Renderer.fullRuns(next)
        }
        if !runs.isEmpty { backend.draw(runs) }
        if let cursor { backend.showCursor(at: cursor) } else { backend.hideCursor() }
        backend.flush()
        previous = next
        needsFullRedraw = false
        return runs.reduce(0) { $0 + $1.cells.count }
    }

    /// Runs covering every cell of `buffer`, split where the style changes.
    public static func fullRuns(_ buffer: Buffer) -> [CellRun] {
        var runs: [CellRun] = []
        for y in 0..<buffer.height {
            appendRuns(of: buffer, y: y, changed: { _ in true }, to: &runs)
        }
        return runs
    }

    /// Runs of the cells that differ between two buffers of the same size.
    ///
    /// A changed half of a wide grapheme pulls in the other half, so a wide grapheme is
    /// always sent whole.
    public static func diff(from old: Buffer, to new: Buffer) -> [CellRun] {
        guard old.size == new.size else { return fullRuns(new) }
        var runs: [CellRun] = []
        for y in 0..<new.height {
            appendRuns(
                of: new, y: y,
                changed: { x in
                    if old[x, y] != new[x, y] { return true }
                    let cell = new[x, y]
                    if cell.isContinuation, x > 0, old[x - 1, y] != new[x - 1, y] { return true }
                    if cell.width == 2, old[x + 1, y] != new[x + 1, y] { return true }
                    return false
                }, to: &runs)
        }
        return runs
    }

    private static func appendRuns(
        of buffer: Buffer, y: Int, changed: (Int) -> Bool, to runs: inout [CellRun]
    ) {
        var current: CellRun?
        for x in 0..<buffer.width {
            let cell = buffer[x, y]
            guard changed(x) else {
                if let run = current { runs.append(run) }
                current = nil
                continue
            }
            // Grow the run in place: `if var run = current` would copy its cells on every
            // append (the optional still holds them), which is quadratic in the run's length.
            if let style = current?.style, style == cell.style || cell.isContinuation {
                // A continuation stays with its lead cell even if styles differ.
                current?.cells.append(cell)
            } else {
                if let run = current { runs.append(run) }
                current = CellRun(x: x, y: y, cells: [cell], style: cell.style)
            }
        }
        if let run = current { runs.append(run) }
    }
}
