import DnodeProtocol
import TerminalUI
import UpnodeMonitor

/// Columns of the Methods view, with widths and drop priorities (1 goes first), as the
/// connection table does (docs/ARCHITECTURE.md, "Connection table").
enum MethodColumnID: CaseIterable {
    case marker, method, caller, calls, rate, inFlight, p50, p95, p99, errors, unanswered, last

    var title: String {
        switch self {
        case .marker: return ""
        case .method: return "METHOD"
        case .caller: return "CALLER"
        case .calls: return "CALLS"
        case .rate: return "CALLS/S"
        case .inFlight: return "IN FLIGHT"
        case .p50: return "P50"
        case .p95: return "P95"
        case .p99: return "P99"
        case .errors: return "ERRORS"
        case .unanswered: return "UNANSWERED"
        case .last: return "LAST"
        }
    }

    var width: Int {
        switch self {
        case .marker: return 1
        case .method: return 16
        case .caller, .errors, .last: return 6
        case .calls, .rate, .p50, .p95, .p99: return 7
        case .inFlight: return 9
        case .unanswered: return 10
        }
    }

    /// Drop priority: 1 goes first; nil is never dropped. CALLER goes first because a
    /// method the server calls is marked `←` in METHOD too.
    var dropPriority: Int? {
        switch self {
        case .marker, .method, .calls, .errors: return nil
        case .caller: return 1
        case .p50: return 2
        case .rate: return 3
        case .p99: return 4
        case .inFlight: return 5
        case .last: return 6
        case .unanswered: return 7
        case .p95: return 8
        }
    }

    /// The column a sort key orders by (it carries the ▲/▼ mark).
    static func sorted(by key: MethodSortKey) -> MethodColumnID {
        switch key {
        case .method: return .method
        case .calls: return .calls
        case .rate: return .rate
        case .p95: return .p95
        case .errors: return .errors
        case .last: return .last
        }
    }

    var alignment: Alignment {
        switch self {
        case .marker, .method, .caller: return .left
        default: return .right
        }
    }
}

/// The Methods columns that fit in `width`, dropping by priority; METHOD grows to the
/// longest name (up to 32) and then takes the spare room.
func fittedMethodColumns(width: Int, longestName: Int) -> [(MethodColumnID, Int)] {
    let nameWidth = min(32, max(16, longestName))
    var columns = MethodColumnID.allCases
    func widthOf(_ id: MethodColumnID) -> Int { id == .method ? nameWidth : id.width }
    func total(_ list: [MethodColumnID]) -> Int {
        list.reduce(0) { $0 + widthOf($1) } + max(0, list.count - 1)
    }
    while total(columns) > width,
        let drop = columns.filter({ $0.dropPriority != nil })
            .min(by: { ($0.dropPriority ?? 0) < ($1.dropPriority ?? 0) })
    {
        columns.removeAll { $0 == drop }
    }
    return columns.map { ($0, widthOf($0)) }
}

/// The Methods view in the table pane: one row per method of the scope.
func drawMethodsPane(
    _ state: MethodsViewState, rows: [MethodRow], into buffer: inout Buffer, area: Rect,
    context: ViewContext
) {
    let glyphs = context.glyphs
    let arrow = state.sortAscending ? glyphs.sortAscending : glyphs.sortDescending
    let scopeName = context.monitor[state.scope]?.info.name ?? state.scope.rawValue
    let title: [Span] = [
        context.span(sanitize(MethodsQuery.title(context.monitor, scope: state.scope)), "title"),
        context.titleSeparator,
        context.span("sort: \(state.sortKey.rawValue) \(arrow)", "title"),
    ]
    let block = context.block(
        title: title, right: context.breadcrumb(["connections", scopeName, "methods"]))
    block.render(into: &buffer, area: area)
    let inner = block.inner(area)
    guard !inner.isEmpty else { return }
    let longest = rows.reduce(6) { max($0, TextWidth.width(of: sanitize($1.key.label))) }
    let columns = fittedMethodColumns(width: inner.width, longestName: longest)
    let selectedIndex = MethodsQuery.selectedIndex(rows, state: state)
    let offset = tableDataRows(
        area: area, ui: scrolled(context.model.ui, state.scroll), rowCount: rows.count,
        selectedIndex: selectedIndex
    ).offset
    let sortColumn = MethodColumnID.sorted(by: state.sortKey)
    let table = Table(
        columns: columns.map { column, width in
            TableColumn(
                column == sortColumn ? column.title + arrow : column.title, width: width,
                alignment: column.alignment)
        },
        rowCount: rows.count, offset: offset, selected: selectedIndex,
        headerStyle: context.style("header"), rowStyle: context.style("text"),
        highlightStyle: context.style("highlight"), ellipsis: glyphs.ellipsis
    ) { index in
        TableRow(
            columns.map {
                methodCell(
                    $0.0, row: rows[index], selected: index == selectedIndex, context: context)
            })
    }
    table.render(into: &buffer, area: inner)
    if rows.isEmpty, inner.height > 1 {
        // A tapped connection that made no call yet: say so rather than leave it blank.
        buffer.set(
            x: inner.x + 2, y: inner.y + 1,
            TextWidth.truncate(
                "no calls yet  (Esc: back to the connections)", to: max(0, inner.width - 2),
                ellipsis: glyphs.ellipsis),
            style: context.style("muted"))
    }
}

private func methodCell(
    _ column: MethodColumnID, row: MethodRow, selected: Bool, context: ViewContext
) -> Line {
    let glyphs = context.glyphs
    let noData = Line(glyphs.noData, style: context.style("muted"))
    func latency(_ value: Double?) -> Line {
        guard let value else { return noData }
        return Line(
            DashboardFormat.ms(value),
            style: context.style(ThemeRoles.latency(value, thresholds: context.model.thresholds)))
    }
    func count(_ value: Int, bad: Bool = false) -> Line {
        Line(
            DashboardFormat.grouped(value),
            style: context.style(bad && value > 0 ? "rpc_error" : "text"))
    }
    switch column {
    case .marker:
        return selected ? Line(glyphs.selected, style: context.style("highlight")) : Line("")
    case .method: return Line(sanitize(row.key.label), style: context.style("text"))
    case .caller: return Line(row.key.caller.rawValue, style: context.style("muted"))
    case .calls: return count(row.calls)
    case .rate:
        return Line(
            DashboardFormat.fixed(row.callsPerSecond, places: 1), style: context.style("text"))
    case .inFlight: return count(row.inFlight)
    case .p50: return latency(row.p50)
    case .p95: return latency(row.p95)
    case .p99: return latency(row.p99)
    case .errors: return count(row.errors, bad: true)
    case .unanswered: return count(row.unanswered, bad: true)
    case .last:
        guard let lastT = row.lastT else { return noData }
        return Line(
            DashboardFormat.duration(context.now - lastT), style: context.style("text"))
    }
}

/// The data rows of the recent-calls list in the body `body` (inside the border, below
/// the column header): what it draws and what a page is.
func callsListRows(body: Rect) -> Rect {
    let inner = Block().inner(body)
    return Rect(
        x: inner.x, y: inner.y + 1, width: inner.width, height: max(0, inner.height - 1))
}

/// `Enter` on a method: its recent calls, newest first, over the whole body.
func drawMethodCalls(
    _ state: MethodsViewState, key: TapConnectionStats.MethodKey, into buffer: inout Buffer,
    area: Rect, context: ViewContext
) {
    let glyphs = context.glyphs
    let calls = MethodsQuery.calls(context.monitor, scope: state.scope, key: key)
    let scopeName = context.monitor[state.scope]?.info.name ?? state.scope.rawValue
    let title: [Span] = [
        context.span(
            "Calls of \(sanitize(key.label)) on \(sanitize(scopeName)) "
                + "(\(key.caller == .client ? "client calls server" : "server calls client"))",
            "title"),
        context.titleSeparator,
        context.span("\(calls.count) kept, newest first", "title"),
    ]
    let block = context.block(
        title: title,
        right: context.breadcrumb(["connections", scopeName, "methods", key.label]))
    block.render(into: &buffer, area: area)
    let inner = block.inner(area)
    guard inner.height >= 2 else { return }
    let showsConnection = context.monitor[state.scope]?.tap == nil
    var columns: [(String, Int, Alignment)] = [("TIME", 12, .left)]
    if showsConnection { columns.append(("CONN", 8, .left)) }
    columns += [
        ("ID", 6, .right), ("CALLER", 6, .left), ("DURATION", 9, .right),
        ("RESULT", 14, .left), ("ANSWERS", 7, .right),
    ]
    if inner.width < 100 { columns.removeAll { $0.0 == "CALLER" } }
    let used = columns.reduce(0) { $0 + $1.1 + 1 }
    let rest = max(0, inner.width - used)
    let valueWidth = max(6, rest * 2 / 5)
    columns += [("VALUE", valueWidth, .left), ("ARGS", max(4, rest - valueWidth - 1), .left)]
    let rows = callsListRows(body: area)
    let offset = min(max(0, state.callsScroll), max(0, calls.count - rows.height))
    let table = Table(
        columns: columns.map { TableColumn($0.0, width: $0.1, alignment: $0.2) },
        rowCount: calls.count, offset: offset, selected: nil,
        headerStyle: context.style("header"), rowStyle: context.style("text"),
        highlightStyle: context.style("highlight"), ellipsis: glyphs.ellipsis
    ) { index in
        let call = calls[index]
        return TableRow(
            columns.map { column in
                callCell(column.0, call, key: key, context: context)
            })
    }
    table.render(into: &buffer, area: inner)
    if calls.isEmpty {
        buffer.set(
            x: inner.x + 2, y: inner.y + 1, "no calls kept for this method",
            style: context.style("muted"))
    }
}

private func callCell(
    _ column: String, _ call: MethodCall, key: TapConnectionStats.MethodKey, context: ViewContext
) -> Line {
    let trace = call.trace
    func text(_ value: String, _ role: String = "text") -> Line {
        Line(value, style: context.style(role))
    }
    switch column {
    case "TIME": return text(DashboardFormat.clockMillis(context.wallClock(trace.t)), "muted")
    case "CONN": return text(sanitize(call.connection))
    case "ID": return text(sanitize(trace.id), "muted")
    case "CALLER": return text(key.caller.rawValue, "muted")
    case "DURATION":
        switch trace.outcome {
        case .inFlight:
            return text(DashboardFormat.msWithUnit(max(0, context.now - trace.t) * 1000), "muted")
        case .noReply: return text(context.glyphs.noData, "muted")
        default:
            guard let ms = trace.durMs else { return text(context.glyphs.noData, "muted") }
            return text(
                DashboardFormat.msWithUnit(ms),
                ThemeRoles.latency(ms, thresholds: context.model.thresholds))
        }
    case "RESULT":
        switch trace.outcome {
        case .inFlight: return text("in flight", "link_connecting")
        case .noReply: return text("no reply", "muted")
        case .ok: return text("ok", "rpc_ok")
        case .error: return text("error", "rpc_error")
        case .unanswered(let reason): return text("unanswered: " + sanitize(reason), "rpc_error")
        }
    case "ANSWERS": return text("\(trace.answers)")
    case "VALUE":
        return trace.answers == 0 ? text("") : text(sanitize(trace.payload.jsonText))
    default: return text(sanitize(trace.args.jsonText), "muted")
    }
}

/// Footer hints while the Methods view (or a method's calls) shows.
func methodsFooterHints(_ state: MethodsViewState, glyphs: Glyphs) -> [Hint] {
    let upDown = glyphs.isUnicode ? "↑↓" : "Up/Dn"
    let enter = glyphs.isUnicode ? "⏎" : "Enter"
    if state.openCalls != nil {
        return [
            Hint(key: "?", label: "Help", event: .char("?")), Hint(key: upDown, label: "Scroll"),
            Hint(key: "Esc", label: "Methods", event: .escape),
            Hint(key: "q", label: "Quit", event: .char("q")),
        ]
    }
    return [
        Hint(key: "?", label: "Help", event: .char("?")), Hint(key: upDown, label: "Select"),
        Hint(key: enter, label: "Calls", event: .enter),
        Hint(key: "s", label: "Sort", event: .char("s")),
        Hint(key: "Esc", label: "Connections", event: .escape),
        Hint(key: "p", label: "Pause", event: .char("p")),
        Hint(key: "q", label: "Quit", event: .char("q")),
    ]
}
