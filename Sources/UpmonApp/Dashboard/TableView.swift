import TerminalUI
import UpnodeMonitor

/// Columns of the connection table, with their widths and drop priorities (docs/ARCHITECTURE.md, "Connection table").
public enum TableColumnID: String, Sendable, CaseIterable {
    case marker, name, endpoint, state, forTime, reason, last, p50, p95, jitter, loss, retry
    case queue, okErr, history

    /// Header text.
    var title: String {
        switch self {
        case .marker: return ""
        case .name: return "NAME"
        case .endpoint: return "ENDPOINT"
        case .state: return "STATE"
        case .forTime: return "FOR"
        case .reason: return "REASON"
        case .last: return "LAST"
        case .p50: return "P50"
        case .p95: return "P95"
        case .jitter: return "JIT"
        case .loss: return "LOSS"
        case .retry: return "RETRY"
        case .queue: return "QUEUE"
        case .okErr: return "OK/ERR"
        case .history: return "HISTORY"
        }
    }

    /// Base width; HISTORY takes this as its minimum and grows into spare room.
    var width: Int {
        switch self {
        case .marker: return 1
        case .name: return 8
        case .endpoint: return 20
        case .state: return 10
        case .forTime, .last, .retry: return 7
        case .reason: return 18
        case .p50, .p95, .okErr: return 6
        case .jitter, .loss, .queue: return 5
        case .history: return 8
        }
    }

    /// Drop priority: 1 goes first; nil is never dropped.
    public var dropPriority: Int? {
        switch self {
        case .marker, .name, .state, .last: return nil
        case .reason: return 0
        case .history: return 1
        case .jitter: return 2
        case .okErr: return 3
        case .p50: return 4
        case .retry: return 5
        case .forTime: return 6
        case .endpoint: return 7
        case .p95: return 8
        case .loss: return 9
        case .queue: return 10
        }
    }

    /// The column a sort key orders by, where the header carries the ▲/▼ mark.
    static func sorted(by key: UIState.SortKey) -> TableColumnID {
        switch key {
        case .name: return .name
        case .state: return .state
        case .last: return .last
        case .p95: return .p95
        case .loss: return .loss
        case .queue: return .queue
        case .retry: return .retry
        }
    }

    var alignment: Alignment {
        switch self {
        case .marker, .name, .endpoint, .state, .reason, .history: return .left
        default: return .right
        }
    }
}

/// The columns that fit in `width` cells, dropping by priority, with their widths.
/// The name column grows to the longest name (up to 16) and HISTORY takes the spare room.
public func fittedColumns(width: Int, longestName: Int = 8) -> [(TableColumnID, Int)] {
    let nameWidth = min(16, max(8, longestName))
    var columns = TableColumnID.allCases
    func widthOf(_ id: TableColumnID) -> Int { id == .name ? nameWidth : id.width }
    func total(_ list: [TableColumnID]) -> Int {
        list.reduce(0) { $0 + widthOf($1) } + max(0, list.count - 1)
    }
    while total(columns) > width,
        let drop = columns.filter({ $0.dropPriority != nil })
            .min(by: { ($0.dropPriority ?? 0) < ($1.dropPriority ?? 0) })
    {
        columns.removeAll { $0 == drop }
    }
    let spare = max(0, width - total(columns))
    return columns.map { id in (id, id == .history ? id.width + spare : widthOf(id)) }
}

/// The connection table's data rows inside its pane `area` (below the border and the column
/// header) and the index of the first one shown: the geometry `drawTablePane` draws with,
/// shared with the mouse hit test.
func tableDataRows(area: Rect, ui: UIState, rowCount: Int, selectedIndex: Int?) -> (
    rows: Rect, offset: Int
) {
    let inner = Block().inner(area)
    let visible = Table.visibleRowCount(height: inner.height)
    let offset = Table.scrollOffset(
        selected: selectedIndex ?? 0, current: ui.tableScroll, visibleRows: visible,
        rowCount: rowCount)
    let rows = Rect(
        x: inner.x, y: inner.maxY - visible, width: inner.width, height: visible)
    return (rows, offset)
}

func drawTablePane(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let ui = context.model.ui
    let monitor = context.monitor
    let glyphs = context.glyphs
    let arrow = ui.sortAscending ? glyphs.sortAscending : glyphs.sortDescending
    let filter = ui.filterText.isEmpty ? "none" : sanitize(ui.filterText)
    let title: [Span] = [
        context.span(
            "Connections \(DashboardFormat.grouped(context.rows.count))/"
                + DashboardFormat.grouped(monitor.connections.count), "title"),
        context.titleSeparator,
        context.span("sort: \(ui.sortKey.rawValue) \(arrow)", "title"),
        context.titleSeparator,
        context.span("filter: \(filter)", "title"),
    ]
    let block = context.block(title: title, right: context.breadcrumb(["connections"]))
    block.render(into: &buffer, area: area)
    let inner = block.inner(area)
    guard !inner.isEmpty else { return }

    let longestName = context.rows.prefix(2000).reduce(4) {
        max($0, TextWidth.width(of: sanitize(monitor.connections[$1].info.name)))
    }
    let columns = fittedColumns(width: inner.width, longestName: longestName)
    let selectedIndex = context.rows.firstIndex { monitor.connections[$0].id == context.selected }
    let offset = tableDataRows(
        area: area, ui: ui, rowCount: context.rows.count, selectedIndex: selectedIndex
    ).offset
    let rows = context.rows
    let sortColumn = TableColumnID.sorted(by: ui.sortKey)
    let table = Table(
        columns: columns.map { column, width in
            let title = column == sortColumn ? column.title + arrow : column.title
            return TableColumn(title, width: width, alignment: column.alignment)
        },
        rowCount: rows.count, offset: offset, selected: selectedIndex,
        headerStyle: context.style("header"), rowStyle: context.style("text"),
        highlightStyle: context.style("highlight"), ellipsis: glyphs.ellipsis
    ) { index in
        let stats = monitor.connections[rows[index]]
        let isSelected = stats.id == context.selected
        let rtt = stats.rttStats  // once per row: it sorts the window
        return TableRow(
            columns.map {
                tableCell(
                    $0.0, width: $0.1, stats: stats, rtt: rtt, selected: isSelected,
                    context: context)
            })
    }
    table.render(into: &buffer, area: inner)
    if rows.isEmpty, !monitor.connections.isEmpty, inner.height > 1 {
        // Say why the table is empty rather than leaving it blank.
        let message = "no link matches \(filter)  (Esc clears the filter)"
        buffer.set(
            x: inner.x + 2, y: inner.y + 1,
            TextWidth.truncate(message, to: max(0, inner.width - 2), ellipsis: glyphs.ellipsis),
            style: context.style("muted"))
    }
}

/// One table cell.
func tableCell(
    _ column: TableColumnID, width: Int, stats: ConnectionStats, rtt: RTTStats, selected: Bool,
    context: ViewContext
) -> Line {
    let glyphs = context.glyphs
    let thresholds = context.model.thresholds
    let noData = Line(glyphs.noData, style: context.style("muted"))
    func number(_ value: Double?) -> Line {
        guard let value else { return noData }
        return Line(
            DashboardFormat.ms(value),
            style: context.style(ThemeRoles.latency(value, thresholds: thresholds)))
    }
    switch column {
    case .marker:
        return selected ? Line(glyphs.selected, style: context.style("highlight")) : Line("")
    case .name:
        return Line(sanitize(stats.info.name), style: context.style("text"))
    case .endpoint:
        return Line(
            displayEndpoint(stats.info.endpoint, width: width, ellipsis: glyphs.ellipsis),
            style: context.style("text"))
    case .state:
        return Line(
            ThemeRoles.label(stats, glyphs: glyphs), style: context.style(ThemeRoles.state(stats)))
    case .forTime:
        guard stats.state != .idle else { return noData }
        return Line(
            DashboardFormat.duration(context.now - ConnectionQuery.upBoundary(stats)),
            style: context.style("text"))
    case .reason:
        guard let why = stats.whyNotUp else { return Line("") }
        return Line(sanitize(why), style: context.style(ThemeRoles.state(stats)))
    case .last:
        // A tapped connection is never pinged: how long since its last traffic instead.
        if let tap = stats.tap {
            return Line(
                DashboardFormat.duration(context.now - tap.lastActivityT),
                style: context.style("muted"))
        }
        // Empty while not up: the last RTT belongs to a link that is gone.
        guard stats.state == .up else { return Line("") }
        if rtt.lastTimedOut { return Line("timeout", style: context.style("latency_timeout")) }
        guard let last = stats.rtt.last?.rttMs else { return noData }
        return Line(
            DashboardFormat.msWithUnit(last),
            style: context.style(ThemeRoles.latency(last, thresholds: thresholds)))
    case .p50: return number(rtt.p50)
    case .p95: return number(rtt.p95)
    case .jitter:
        guard let jitter = rtt.jitter else { return noData }
        return Line(DashboardFormat.ms(jitter), style: context.style("text"))
    case .loss:
        guard rtt.outcomes > 0 else { return noData }
        return Line(
            DashboardFormat.percent(rtt.loss), style: context.style(ThemeRoles.loss(rtt.loss)))
    case .retry:
        // The current run of attempts, then every reconnect of the session: a flap that
        // came back still shows.
        return Line([
            Span(
                "\(stats.attempt)",
                style: context.style(stats.attempt > 0 ? "link_reconnecting" : "text")),
            Span("/\(stats.reconnects)", style: context.style("muted")),
        ])
    case .queue:
        let stuck = ConnectionQuery.isQueueStuck(stats, now: context.now, thresholds: thresholds)
        return Line(
            "\(stats.queue.depth)" + (stuck ? glyphs.stuck : ""),
            style: context.style(ThemeRoles.queue(depth: stats.queue.depth, isStuck: stuck)))
    case .okErr:
        return Line([
            Span("\(stats.calls.ok)", style: context.style("rpc_ok")),
            Span("/", style: context.style("muted")),
            Span(
                "\(stats.calls.err)",
                style: context.style(stats.calls.err > 0 ? "rpc_error" : "rpc_ok")),
        ])
    case .history:
        return historyLine(stats, width: width, context: context)
    }
}

/// The endpoint as shown: `tcp://` dropped, unix paths middle-truncated to the tail.
func displayEndpoint(_ endpoint: String, width: Int, ellipsis: String) -> String {
    var text = sanitize(endpoint)
    if text.hasPrefix("tcp://") { text = String(text.dropFirst(6)) }
    if text.hasPrefix("unix:"), TextWidth.width(of: text) > width {
        let path = text.dropFirst(5)
        let tail = path.split(separator: "/").last.map(String.init) ?? String(path)
        text = "unix:" + ellipsis + "/" + tail
    }
    return TextWidth.truncateMiddle(text, to: width, ellipsis: ellipsis)
}

/// Graph samples for a link: its ping outcomes with a blank for every ping missed while
/// the link was not up (one per ping interval), then blanks for the time it has been down
/// now, so every outage shows as a gap rather than a zero.
func graphSamples(_ stats: ConnectionStats, now: Double, limit: Int) -> [GraphSample] {
    let interval = max(0.1, Double(stats.info.options.pingMilliseconds) / 1000)
    let outages = outagePeriods(stats)
    var samples: [GraphSample] = []
    var previousT: Double?
    for sample in stats.rtt.suffix(limit) {
        if let previousT,
            outages.contains(where: { $0.start > previousT && $0.start < sample.t })
        {
            let missed = Int(saturating: ((sample.t - previousT) / interval).rounded()) - 1
            samples.append(contentsOf: repeatElement(.missing, count: min(limit, max(1, missed))))
        }
        samples.append(sample.rttMs.map(GraphSample.value) ?? .timeout)
        previousT = sample.t
    }
    if stats.state != .up, stats.state != .idle {
        let downFor = max(0, now - ConnectionQuery.upBoundary(stats))
        let gap = min(limit, Int(saturating: downFor / interval))
        samples.append(contentsOf: repeatElement(.missing, count: gap))
    }
    return Array(samples.suffix(limit))
}

/// The periods the kept history shows the link not up after having been up.
private func outagePeriods(_ stats: ConnectionStats) -> [(start: Double, end: Double)] {
    var periods: [(start: Double, end: Double)] = []
    var wasUp = false
    var start: Double?
    for change in stats.history.elements {
        if change.state == .up {
            if let begun = start { periods.append((begun, change.t)) }
            start = nil
            wasUp = true
        } else if wasUp, start == nil {
            start = change.t
        }
    }
    return periods
}

/// The HISTORY sparkline as styled spans (a `Line` so it fits into the `Table`).
private func historyLine(_ stats: ConnectionStats, width: Int, context: ViewContext) -> Line {
    let samples = graphSamples(stats, now: context.now, limit: width)
    guard !samples.isEmpty else { return Line("") }
    var scratch = Buffer(width: width, height: 1)
    let thresholds = context.model.thresholds
    Sparkline(
        samples: samples, symbols: context.graphSymbols, timeoutGlyph: context.glyphs.timeout,
        style: context.style("text"), timeoutStyle: context.style("latency_timeout"),
        styleForValue: { context.style(ThemeRoles.latency($0, thresholds: thresholds)) }
    ).render(into: &scratch, area: scratch.area)
    // Left-align so the table cell keeps the newest sample in its right-most column.
    let leading = max(0, width - samples.count)
    var spans: [Span] = [Span(String(repeating: " ", count: leading))]
    for x in leading..<width {
        let cell = scratch[x, 0]
        spans.append(Span(String(cell.grapheme), style: cell.style))
    }
    return Line(spans)
}
