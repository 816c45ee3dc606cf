import TerminalUI
import UpnodeMonitor

/// `Enter`: one link full screen — big graph, timeline, its events and its calls.
func drawConnectionView(
    _ id: ConnectionID, into buffer: inout Buffer, area: Rect, context: ViewContext
) {
    guard let stats = context.monitor[id] else {
        buffer.set(
            x: area.x + 1, y: area.y + 1, "connection \(id.rawValue) is gone",
            style: context.style("error"))
        return
    }
    let name = sanitize(stats.info.name)
    let title: [Span] = [
        context.span(name, "title"), context.span(" \(context.dot) ", "title"),
        context.span(
            displayEndpoint(stats.info.endpoint, width: 48, ellipsis: context.glyphs.ellipsis),
            "title"),
        context.span(" \(context.dot) ", "title"),
        context.span(ThemeRoles.label(stats, glyphs: context.glyphs), ThemeRoles.state(stats)),
    ]
    let block = context.block(title: title, right: context.breadcrumb([name]))
    block.render(into: &buffer, area: area)
    let inner = block.inner(area).inset(left: 1, right: 1)
    guard inner.height >= 4 else { return }

    buffer.set(x: inner.x, y: inner.y, statsLine(stats, context: context), maxWidth: inner.width)
    let graphHeight = max(3, inner.height / 2 - 1)
    drawGraph(
        stats, into: &buffer,
        area: Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: graphHeight),
        context: context)
    var y = inner.y + 1 + graphHeight
    let timeline =
        [context.span(TextWidth.fit("10m", width: 8), "muted")]
        + timelineSpans(stats, width: max(1, inner.width - 8), context: context)
    buffer.set(x: inner.x, y: y, Line(timeline), maxWidth: inner.width)
    y += 1
    let details = detailLines(stats, width: inner.width, context: context).prefix(6)
    let bottom = Rect(x: inner.x, y: y, width: inner.width, height: inner.maxY - y)
    guard bottom.height >= 2 else { return }
    let columns = Layout.horizontal([.percent(60), .fill], in: bottom)
    let events = logEntries(context.monitor, filter: "", conn: id)
    buffer.set(
        x: columns[0].x, y: columns[0].y, "Events (\(DashboardFormat.grouped(events.count)))",
        style: context.style("title"))
    drawLogLines(
        events, scroll: 0, into: &buffer, area: columns[0].inset(top: 1, right: 1),
        context: context, showsName: false)
    var right: [Line] = Array(details)
    right.append(Line("Call history", style: context.style("title")))
    let calls = context.model.calls.filter { $0.conn == id }
    if calls.isEmpty { right.append(Line("none yet (c to call)", style: context.style("muted"))) }
    for call in calls.reversed() {
        let (text, role) = callStateText(
            call, now: context.now, link: context.monitor[id].map(ThemeRoles.word))
        right.append(
            Line([
                context.span("\(call.id) ", "muted"),
                context.span(sanitize(call.method) + " ", "text"),
                context.span(text, role),
            ]))
    }
    Paragraph(right, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: columns[1])
}
