import TerminalUI
import UpnodeMonitor

func drawDetailPane(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let name = context.selectedStats.map { sanitize($0.info.name) } ?? "—"
    let focused = context.model.ui.focus == .detail
    let block = context.block(title: [
        context.span("Detail \(context.dot) \(name)", focused ? "highlight" : "title")
    ])
    block.render(into: &buffer, area: area)
    let inner = block.inner(area).inset(left: 1)
    guard let stats = context.selectedStats, !inner.isEmpty else { return }
    var lines = detailLines(stats, width: inner.width, context: context)
    let hints = Line(actionHints(stats, context: context))
    if lines.count >= inner.height { lines = Array(lines.prefix(max(0, inner.height - 1))) }
    Paragraph(lines, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: inner)
    if inner.height >= 2 {
        buffer.set(x: inner.x, y: inner.maxY - 1, hints, maxWidth: inner.width)
    }
}

/// The rows of the detail pane (without the action hints).
func detailLines(_ stats: ConnectionStats, width: Int, context: ViewContext) -> [Line] {
    if let tap = stats.tap { return tapDetailLines(stats, tap, width: width, context: context) }
    let glyphs = context.glyphs
    let now = context.now
    let rtt = stats.rttStats
    func label(_ text: String) -> Span { context.span(TextWidth.fit(text, width: 8), "muted") }
    func text(_ value: String) -> Span { context.span(value, "text") }

    var stateSpans = [
        label("State"),
        context.span(ThemeRoles.label(stats, glyphs: glyphs), ThemeRoles.state(stats)),
        text(" " + DashboardFormat.duration(now - stats.since)),
    ]
    if let reason = lastStateReason(stats.id, in: context.monitor) {
        stateSpans.append(context.span(" (\(sanitize(reason)))", "muted"))
    }
    if stats.state == .reconnecting, let next = stats.nextRetryT {
        stateSpans.append(
            text(" in \(DashboardFormat.shortWait(max(0, next - now))), attempt \(stats.attempt)"))
    }
    let availability =
        stats.availability(now: now).map { DashboardFormat.percent($0) } ?? glyphs.noData
    let options = stats.info.options
    let pingText =
        DashboardFormat.shortWait(Double(options.pingMilliseconds) / 1000)
        + " \(context.dot) timeout "
        + DashboardFormat.shortWait(Double(options.timeoutMilliseconds) / 1000) + " \(context.dot) "
        + sanitize(options.reconnect)
    func value(_ v: Double?) -> String {
        v.map { DashboardFormat.fixed($0, places: 1) } ?? glyphs.noData
    }
    let rttText =
        "best \(value(rtt.best)) avg \(value(rtt.avg)) max \(value(rtt.worst)) sd \(value(rtt.stdev))"
    let queue = stats.queue
    let stuck = ConnectionQuery.isQueueStuck(stats, now: now, thresholds: context.model.thresholds)
    let queueSpans = [
        label("Queue"),
        context.span(
            "\(queue.depth)\(stuck ? glyphs.stuck : "") waiting",
            ThemeRoles.queue(depth: queue.depth, isStuck: stuck)),
        text(" \(context.dot) \(queue.enqueued) in \(queue.flushed) out \(queue.expired) expired"),
    ]
    let calls = stats.calls
    var callSpans = [
        label("Calls"), context.span("\(calls.ok) ok", "rpc_ok"), text(" \(context.dot) "),
        context.span("\(calls.err) err", calls.err > 0 ? "rpc_error" : "text"),
    ]
    if let last = calls.lastDurationMs {
        callSpans.append(text(" \(context.dot) last " + DashboardFormat.msWithUnit(last)))
    }

    var lines: [Line] = [
        Line(stateSpans),
        Line([
            label("Avail"), text("\(availability) \(context.dot) reconnects \(stats.reconnects)"),
        ]),
        Line([label("Ping"), text(pingText)]),
        Line([label("RTT"), text(rttText)]),
        Line(queueSpans),
        Line(callSpans),
        Line([label("10m")] + timelineSpans(stats, width: max(1, width - 8), context: context)),
    ]
    lines.append(contentsOf: methodLines(stats, width: width, context: context))
    return lines
}

/// `Methods add countdown echo…` wrapped under an 8-column label.
func methodLines(_ stats: ConnectionStats, width: Int, context: ViewContext) -> [Line] {
    let room = max(1, width - 8)
    var rows: [String] = []
    var current = ""
    for method in stats.methods.prefix(200).map(sanitize) {
        let candidate = current.isEmpty ? method : current + " " + method
        if TextWidth.width(of: candidate) <= room || current.isEmpty {
            current = candidate
        } else {
            rows.append(current)
            current = method
        }
    }
    if !current.isEmpty { rows.append(current) }
    if rows.isEmpty { rows = [context.glyphs.noData] }
    return rows.enumerated().map { index, row in
        Line([
            context.span(TextWidth.fit(index == 0 ? "Methods" : "", width: 8), "muted"),
            context.span(row, "text"),
        ])
    }
}

/// A state timeline over the last ten minutes: `█` up, `▒` connecting/retry, `░` down.
func timelineSpans(
    _ stats: ConnectionStats, width: Int, context: ViewContext, window: Double = 600
) -> [Span] {
    let history = stats.history.elements
    let glyphs = context.glyphs
    var spans: [Span] = []
    var index = 0
    for column in 0..<width {
        let t = context.now - window + (Double(column) + 0.5) * window / Double(width)
        while index < history.count, history[index].t <= t { index += 1 }
        let state = index > 0 ? history[index - 1].state : nil
        let (glyph, role): (String, String)
        switch state {
        case .up?: (glyph, role) = (glyphs.timelineUp, "link_up")
        case .connecting?, .reconnecting?:
            (glyph, role) = (glyphs.timelineConnecting, "link_reconnecting")
        case .down?, .closed?: (glyph, role) = (glyphs.timelineDown, "link_down")
        case .idle?, nil: (glyph, role) = (" ", "text")
        }
        if let last = spans.last, last.style == context.style(role) {
            spans[spans.count - 1].text += glyph
        } else {
            spans.append(context.span(glyph, role))
        }
    }
    return spans
}

/// The reason of the link's latest state change, read from the event log.
func lastStateReason(_ id: ConnectionID, in monitor: MonitorState) -> String? {
    let log = monitor.log
    var index = log.count - 1
    while index >= 0 {
        let entry = log[index]
        if entry.conn == id, entry.kind == "state" { return stateParts(entry.event)?.reason }
        index -= 1
    }
    return nil
}

/// The parts of a state entry: its fields, or for a version 1 entry its parsed text.
func stateParts(
    _ event: LogEntry.Event
) -> (from: String, to: String, reason: String, detail: String?)? {
    switch event {
    case .transition(let from, let to, let reason, let detail):
        return (from.rawValue, to.rawValue, reason, detail)
    case .legacy(_, let text):
        return parseStateText(text)
    default:
        return nil
    }
}

/// Splits `from → to (reason): detail` (the text of a version 1 state entry) into its parts.
func parseStateText(_ text: String) -> (from: String, to: String, reason: String, detail: String?)?
{
    guard let arrow = text.firstRange(of: " → ") else { return nil }
    let afterArrow = text[arrow.upperBound...]
    guard let open = afterArrow.firstRange(of: " (") else { return nil }
    let afterOpen = afterArrow[open.upperBound...]
    guard let close = afterOpen.firstIndex(of: ")") else { return nil }
    let rest = afterOpen[afterOpen.index(after: close)...]
    let detail = rest.hasPrefix(": ") ? String(rest.dropFirst(2)) : nil
    return (
        String(text[..<arrow.lowerBound]), String(afterArrow[..<open.lowerBound]),
        String(afterOpen[..<close]), detail
    )
}

/// `c call · r reconnect · d hold · * pin` (read-only hints in replay).
func actionHints(_ stats: ConnectionStats, context: ViewContext) -> [Span] {
    var hints: [(String, String)]
    if context.model.isReplay {
        hints = [("⏎", "view"), ("*", "pin")]
    } else {
        hints = [
            ("c", "call"), ("r", "reconnect"), ("d", stats.isHeld ? "release" : "hold"),
            ("*", "pin"),
        ]
    }
    if !context.glyphs.isUnicode { hints = hints.map { ($0.0 == "⏎" ? "Enter" : $0.0, $0.1) } }
    var spans: [Span] = []
    for (index, hint) in hints.enumerated() {
        if index > 0 { spans.append(context.span(" \(context.dot) ", "muted")) }
        spans.append(context.span(hint.0, "highlight"))
        spans.append(context.span(" " + hint.1, "muted"))
    }
    return spans
}
