import TerminalUI
import UpnodeMonitor

/// The mode badge text: `LIVE`, `PAUSED +12 events`, `REPLAY 2×`, `REPLAY 2× (incomplete)`.
func modeBadge(_ model: AppModel, glyphs: Glyphs) -> (text: String, role: String) {
    switch model.mode {
    case .live:
        if let pause = model.ui.livePause {
            let count = pause.eventsSince
            return (
                "PAUSED +\(DashboardFormat.grouped(count)) event\(count == 1 ? "" : "s")",
                "mode_paused"
            )
        }
        return ("LIVE", "mode_live")
    case .replay(let status):
        var text = "REPLAY " + DashboardFormat.speed(status.speed, unicode: glyphs.isUnicode)
        if status.isPaused { text += " paused" }
        if !status.isComplete { text += " (incomplete)" }
        return (text, "mode_replay")
    }
}

/// The recording badge: `● REC 00:00:05` or `REC FAILED`.
func recordingBadge(_ model: AppModel, now: Double, glyphs: Glyphs) -> String? {
    guard let recording = model.recording else { return nil }
    if recording.failure != nil { return "REC FAILED" }
    return glyphs.recording + " " + DashboardFormat.elapsed(now - recording.startedT)
}

/// The header clock: wall time at `now` (in replay `now` is the cursor, so this is
/// `started + T`).
func headerClock(_ model: AppModel, now: Double) -> String {
    DashboardFormat.clock(model.wallClockAtZero + now) + " UTC"
}

func drawHeader(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let model = context.model
    let glyphs = context.glyphs
    let headerStyle = context.style("header")
    buffer.clear(area, style: headerStyle)
    let separator = Span(" \(glyphs.separator) ", style: headerStyle)

    // Sections with a drop priority: higher numbers go first when space runs out.
    // A section may have a shorter form that is tried before dropping it.
    var sections: [(spans: [Span], drop: Int, shorter: [Span]?)] = []
    sections.append(([Span(" upmon", style: headerStyle)], 0, nil))
    let badge = modeBadge(model, glyphs: glyphs)
    sections.append(([context.span(badge.text, badge.role)], 0, nil))
    if let alert = alertBadge(context) {
        sections.append(
            ([context.span(alert.full, "error")], 1, [context.span(alert.short, "error")]))
    }
    if let rec = recordingBadge(model, now: context.now, glyphs: glyphs) {
        sections.append(
            ([context.span(rec, model.recording?.failure == nil ? "recording" : "error")], 1, nil))
    }
    if !model.sessionLabel.isEmpty {
        sections.append(([Span(sanitize(model.sessionLabel), style: headerStyle)], 4, nil))
    }
    if let replay = model.replayStatus {
        sections.append(([Span(sanitize(replay.fileName), style: headerStyle)], 5, nil))
    }
    sections.append(
        (
            totalsSpans(context, style: headerStyle, compact: false), 3,
            totalsSpans(context, style: headerStyle, compact: true)
        ))
    let queued = context.monitor.totals.queueDepth
    sections.append(
        ([Span("queued \(DashboardFormat.grouped(queued))", style: headerStyle)], 2, nil))

    let clock = headerClock(model, now: context.now) + " "
    let available = area.width - TextWidth.width(of: clock) - 2
    func width(_ list: [(spans: [Span], drop: Int, shorter: [Span]?)]) -> Int {
        list.reduce(0) { $0 + Line($1.spans).width } + max(0, list.count - 1) * separator.width
    }
    while width(sections) > available,
        let worst = sections.indices.max(by: { sections[$0].drop < sections[$1].drop }),
        sections[worst].drop > 0
    {
        if let shorter = sections[worst].shorter {
            sections[worst].spans = shorter
            sections[worst].shorter = nil
        } else {
            sections.remove(at: worst)
        }
    }
    var spans: [Span] = []
    for (index, section) in sections.enumerated() {
        if index > 0 { spans.append(separator) }
        spans.append(contentsOf: section.spans)
    }
    buffer.set(x: area.x, y: area.y, Line(spans), maxWidth: max(0, available))
    let clockWidth = TextWidth.width(of: clock)
    buffer.set(x: area.maxX - clockWidth, y: area.y, clock, style: headerStyle)
}

/// `7 links: ● 5 up  ◐ 1 retry  ◌ 1 conn  ○ 0 down`, with idle and closed when present.
/// The compact form drops the words: `● 5 ◐ 1 ◌ 1 ○ 0`.
private func totalsSpans(_ context: ViewContext, style: Style, compact: Bool) -> [Span] {
    let totals = context.monitor.totals
    let glyphs = context.glyphs
    let count = context.monitor.connections.count
    var spans =
        compact
        ? []
        : [Span("\(DashboardFormat.grouped(count)) link\(count == 1 ? "" : "s"):", style: style)]
    var states: [(LinkStateName, String, String)] = [
        (.up, "up", "link_up"), (.reconnecting, "retry", "link_reconnecting"),
        (.connecting, "conn", "link_connecting"), (.down, "down", "link_down"),
    ]
    if totals.count(in: .idle) > 0 { states.append((.idle, "idle", "link_unknown")) }
    if totals.count(in: .closed) > 0 { states.append((.closed, "closed", "muted")) }
    for (index, entry) in states.enumerated() {
        let symbol = ThemeRoles.symbol(entry.0, glyphs: glyphs)
        if !(compact && index == 0) {
            spans.append(Span(index == 0 || compact ? " " : "  ", style: style))
        }
        var symbolStyle = context.style(entry.2)
        symbolStyle.bg = style.bg
        spans.append(Span(symbol, style: symbolStyle))
        let number = DashboardFormat.grouped(totals.count(in: entry.0))
        spans.append(Span(compact ? " \(number)" : " \(number) \(entry.1)", style: style))
    }
    return spans
}
