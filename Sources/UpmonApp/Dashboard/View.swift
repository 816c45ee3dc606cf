import TerminalUI
import UpnodeMonitor

/// Draws the whole dashboard for `model` at monitor time `now` into a `width`×`height`
/// buffer. Pure: the same inputs always give the same buffer.
///
/// Layout follows docs/ARCHITECTURE.md, "Layout and sizes": below 60×15 only a "terminal too small" message is drawn.
/// In replay mode the replay position is used as `now`, so the clock reads `started + T`.
public func view(
    _ model: AppModel, now: Double, width: Int, height: Int, theme: ResolvedTheme,
    glyphs: Glyphs
) -> Buffer {
    var buffer = Buffer(width: width, height: height, style: theme.style("text"))
    let context = ViewContext(model: model, now: now, theme: theme, glyphs: glyphs)
    guard width >= DashboardLayout.minWidth, height >= DashboardLayout.minHeight else {
        drawTooSmall(into: &buffer, context: context)
        return buffer
    }
    let methods = model.ui.methods.map {
        (state: $0, rows: MethodsQuery.rows(context.monitor, state: $0, now: context.now))
    }
    let layout = DashboardLayout(
        width: width, height: height, isReplay: model.isReplay,
        rowCount: methods?.rows.count ?? context.rows.count)
    drawHeader(into: &buffer, area: layout.header, context: context)
    if case .connectionView(let id) = model.ui.overlay {
        drawConnectionView(id, into: &buffer, area: layout.body, context: context)
    } else if let methods, let key = methods.state.openCalls {
        drawMethodCalls(methods.state, key: key, into: &buffer, area: layout.body, context: context)
    } else {
        if let methods {
            drawMethodsPane(
                methods.state, rows: methods.rows, into: &buffer, area: layout.table,
                context: context)
        } else {
            drawTablePane(into: &buffer, area: layout.table, context: context)
        }
        if let graph = layout.graph {
            drawLatencyPane(into: &buffer, area: graph, context: context)
        }
        if let detail = layout.detail {
            drawDetailPane(into: &buffer, area: detail, context: context)
        }
        if let log = layout.log {
            drawLogPane(into: &buffer, area: log, context: context)
        }
    }
    if let progress = layout.progress {
        drawReplayProgress(into: &buffer, area: progress, context: context)
    }
    drawFooter(into: &buffer, area: layout.footer, context: context)
    drawOverlay(into: &buffer, area: layout.body, context: context)
    return buffer
}

/// Where each region goes for a terminal size (docs/ARCHITECTURE.md, "Layout and sizes").
public struct DashboardLayout: Sendable, Equatable {
    /// Smallest usable terminal.
    public static let minWidth = 60
    /// Smallest usable terminal height.
    public static let minHeight = 15
    /// Width from which the detail pane is shown.
    public static let detailMinWidth = 120
    /// Width of the detail pane.
    public static let detailWidth = 46

    /// The top bar.
    public var header: Rect
    /// Everything between the header and the footer lines.
    public var body: Rect
    /// The connection table (the whole upper area when the graph is hidden).
    public var table: Rect
    /// The latency panel (height ≥ 20).
    public var graph: Rect?
    /// The detail pane (width ≥ 120).
    public var detail: Rect?
    /// The event log (height ≥ 26).
    public var log: Rect?
    /// The replay progress line (replay only).
    public var progress: Rect?
    /// Key hints and the status line.
    public var footer: Rect

    /// Rows the latency panel keeps when the table could use them.
    public static let graphMinHeight = 8

    /// The layout for a `width`×`height` terminal showing `rowCount` table rows.
    public init(width: Int, height: Int, isReplay: Bool, rowCount: Int) {
        let full = Rect(x: 0, y: 0, width: width, height: height)
        header = full.row(0)
        footer = full.row(height - 1)
        progress = isReplay ? full.row(height - 2) : nil
        let bottomLines = isReplay ? 2 : 1
        body = Rect(x: 0, y: 1, width: width, height: height - 1 - bottomLines)
        let logHeight: Int
        switch height {
        case 30...: logHeight = 10
        case 26..<30: logHeight = 6
        default: logHeight = 0
        }
        let showsGraph = height >= 20
        let upper = Rect(x: 0, y: body.y, width: width, height: body.height - logHeight)
        log = logHeight > 0 ? Rect(x: 0, y: upper.maxY, width: width, height: logHeight) : nil
        guard showsGraph else {
            table = upper
            return
        }
        // Few links: the table takes what it needs and the graph the rest; many: half each.
        let wanted = rowCount + 4
        let tableHeight = wanted <= upper.height - Self.graphMinHeight ? wanted : upper.height / 2
        table = Rect(x: 0, y: upper.y, width: width, height: tableHeight)
        let lower = Rect(
            x: 0, y: upper.y + tableHeight, width: width, height: upper.height - tableHeight)
        if width >= Self.detailMinWidth {
            let detailRect = Rect(
                x: width - Self.detailWidth, y: lower.y, width: Self.detailWidth,
                height: lower.height)
            graph = Rect(x: 0, y: lower.y, width: width - Self.detailWidth, height: lower.height)
            detail = detailRect
        } else {
            graph = lower
        }
    }

    /// Data rows the connection table shows at this size (for PgUp/PgDn).
    public var tableRows: Int { max(1, table.height - 3) }
}

/// What every drawing function needs.
struct ViewContext {
    let model: AppModel
    let monitor: MonitorState
    let now: Double
    let theme: ResolvedTheme
    let glyphs: Glyphs
    let rows: [Int]
    let selected: ConnectionID?

    init(model: AppModel, now: Double, theme: ResolvedTheme, glyphs: Glyphs) {
        self.model = model
        self.monitor = model.displayedMonitor
        // In replay the screen is drawn at the playback cursor (docs/RECORDING.md, "Replaying").
        self.now = model.replayStatus?.position ?? now
        self.theme = theme
        self.glyphs = glyphs
        rows = ConnectionQuery.rows(monitor, ui: model.ui)
        selected = ConnectionQuery.effectiveSelection(monitor, ui: model.ui, rows: rows)
    }

    func style(_ role: String) -> Style { theme.style(role) }
    func span(_ text: String, _ role: String) -> Span { Span(text, style: theme.style(role)) }

    /// The graph set: `:graph` choice, else the theme's, else braille; ASCII when the
    /// glyphs are ASCII.
    var graphSymbols: GraphSymbols {
        glyphs.graphSymbols(preferred: model.ui.graphSymbols ?? theme.graph ?? .braille)
    }

    var selectedStats: ConnectionStats? { selected.flatMap { monitor[$0] } }

    /// Wall-clock seconds for a monitor time.
    func wallClock(_ t: Double) -> Double { model.wallClockAtZero + t }

    /// A block with the theme's border and title styles.
    func block(title: [Span], right: [Span]? = nil) -> Block {
        Block(
            title: Line(title), titleRight: right.map { Line($0) },
            borderStyle: style("border"), box: glyphs.box)
    }

    /// The breadcrumb `upmon › a › b`.
    func breadcrumb(_ parts: [String]) -> [Span] {
        [
            span(
                (["upmon"] + parts.map(sanitize)).joined(separator: " \(glyphs.breadcrumb) "),
                "title")
        ]
    }

    /// `·` (or `-` in ASCII) between items of a line.
    var dot: String { glyphs.isUnicode ? "·" : "-" }

    /// A separator run `─` in border style, for titles.
    var titleSeparator: Span { span(" " + String(glyphs.box.horizontal) + " ", "border") }
}

private func drawTooSmall(into buffer: inout Buffer, context: ViewContext) {
    let text =
        "terminal too small: \(buffer.width)×\(buffer.height) "
        + "(need \(DashboardLayout.minWidth)×\(DashboardLayout.minHeight))"
    let shown = context.glyphs.isUnicode ? text : text.replacingAll("×", with: "x")
    let lineWidth = TextWidth.width(of: shown)
    let x = max(0, (buffer.width - lineWidth) / 2)
    buffer.set(x: x, y: buffer.height / 2, shown, style: context.style("error"))
}

extension String {
    /// The string with every `target` character replaced (no Foundation).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
