import TerminalUI
import UpnodeMonitor

func drawLogPane(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let ui = context.model.ui
    let entries = logEntries(context.monitor, filter: ui.logFilterText, conn: nil)
    let focused = ui.focus == .log
    let filterName = ui.logFilterText.isEmpty ? "all" : sanitize(ui.logFilterText)
    let title: [Span] = [
        context.span("Events", focused ? "highlight" : "title"), context.titleSeparator,
        context.span(filterName, "title"), context.titleSeparator,
        context.span(DashboardFormat.grouped(entries.count), "title"),
    ]
    let right = [context.span("/ filter \(context.dot) Tab focus", "title")]
    let block = context.block(title: title, right: right)
    block.render(into: &buffer, area: area)
    let inner = block.inner(area).inset(left: 1)
    drawLogLines(
        entries, scroll: ui.logScroll, into: &buffer, area: inner, context: context,
        showsName: true)
}

/// Log entries newest first, filtered by a substring and optionally by link.
func logEntries(_ monitor: MonitorState, filter: String, conn: ConnectionID?) -> [LogEntry] {
    let needle = filter.lowercased()
    var result: [LogEntry] = []
    for entry in monitor.log.elements.reversed() {
        if let conn, entry.conn != conn { continue }
        if !needle.isEmpty {
            let name = entry.conn.flatMap { monitor[$0]?.info.name } ?? ""
            let text = LogWording.text(entry.event)
            let haystack = (name + " " + entry.kind + " " + text).lowercased()
            guard haystack.contains(needle) else { continue }
        }
        result.append(entry)
    }
    return result
}

/// Draws entries as `HH:MM:SS.mmm name kind text`, skipping `scroll` lines.
func drawLogLines(
    _ entries: [LogEntry], scroll: Int, into buffer: inout Buffer, area: Rect,
    context: ViewContext, showsName: Bool
) {
    guard !area.isEmpty else { return }
    let offset = min(
        max(0, scroll), LogPane.maxOffset(lineCount: entries.count, height: area.height))
    let shown = entries.dropFirst(offset).prefix(area.height)
    let nameWidth = min(
        12,
        shown.reduce(1) { partial, entry in
            max(partial, TextWidth.width(of: sanitize(logName(entry, context.monitor))))
        })
    let lines = shown.map { entry -> Line in
        let (kind, kindRole, text) = logKindAndText(entry, context: context)
        var spans = [
            context.span(DashboardFormat.clockMillis(context.wallClock(entry.t)) + " ", "muted")
        ]
        if showsName {
            spans.append(
                context.span(
                    TextWidth.fit(
                        sanitize(logName(entry, context.monitor)), width: nameWidth,
                        ellipsis: context.glyphs.ellipsis) + " ",
                    "text"))
        }
        spans.append(
            context.span(
                TextWidth.fit(kind, width: 15, ellipsis: context.glyphs.ellipsis) + " ", kindRole))
        spans.append(context.span(sanitize(text), ThemeRoles.logLevel(entry.level)))
        return Line(spans)
    }
    Paragraph(lines, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: area)
}

private func logName(_ entry: LogEntry, _ monitor: MonitorState) -> String {
    guard let conn = entry.conn else { return "─" }
    return monitor[conn]?.info.name ?? conn.rawValue
}

/// State names short enough for the log's kind column.
func shortStateWord(_ state: LinkStateName) -> String {
    switch state {
    case .reconnecting: return "retry"
    case .connecting: return "conn"
    default: return state.rawValue
    }
}

/// The kind column (with a state symbol where one applies) and the rest of the text.
func logKindAndText(_ entry: LogEntry, context: ViewContext) -> (String, String, String) {
    let glyphs = context.glyphs
    let text = LogWording.text(entry.event)
    switch entry.kind {
    case "state":
        guard let parts = stateParts(entry.event), let to = LinkStateName(rawValue: parts.to)
        else { return ("state", "text", text) }
        let role: String
        switch to {
        case .up: role = "link_up"
        case .down: role = "link_down"
        case .reconnecting: role = "link_reconnecting"
        case .connecting: role = "link_connecting"
        case .idle: role = "link_unknown"
        case .closed: role = "muted"
        }
        let from = LinkStateName(rawValue: parts.from).map(shortStateWord) ?? parts.from
        let kind =
            ThemeRoles.symbol(to, glyphs: glyphs) + " \(from) \(glyphs.arrow) \(shortStateWord(to))"
        return (kind, role, parts.reason + (parts.detail.map { ": " + $0 } ?? ""))
    case "reconnect": return (glyphs.reconnecting + " retry", "link_reconnecting", text)
    case "ping_timeout": return ("ping timeout", "latency_timeout", text)
    case "remote_methods": return ("methods", "text", text)
    case "mark": return ("mark", "title", "\"\(text)\"")
    case "note": return ("note", ThemeRoles.logLevel(entry.level), text)
    case "result":
        return ("result", entry.level == .info ? "rpc_ok" : "rpc_error", text)
    default: return (entry.kind, "text", text)
    }
}
