import TerminalUI
import UpnodeMonitor

// The alerts on screen: the header badge, the `a` list, the footer hint.

/// The header's alert section: `2 alerts — api down` and its short form `2 alerts`; `nil` when
/// nothing fires.
func alertBadge(_ context: ViewContext) -> (full: String, short: String)? {
    let dash = context.glyphs.isUnicode ? "—" : "-"
    guard let summary = AlertWording.summary(context.monitor, dash: dash) else { return nil }
    let count = context.monitor.alerts.firing.count
    return (summary, "\(count) alert\(count == 1 ? "" : "s")")
}

/// The footer hints with `a Alerts` after the first while alerts fire (only on the main screen).
func withAlertHint(_ hints: [Hint], _ model: AppModel) -> [Hint] {
    guard model.ui.overlay == .none, !model.displayedMonitor.alerts.firing.isEmpty,
        !hints.isEmpty
    else { return hints }
    var result = hints
    result.insert(Hint(key: "a", label: "Alerts", event: .char("a")), at: 1)
    return result
}

/// The `a` overlay: firing alerts (worst first), then the recently resolved (newest first),
/// each with its link, rule, value, limit and since when.
func drawAlerts(scroll: Int, into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let rows = alertRows(context.monitor)
    let width = min(area.width - 2, 96)
    let height = min(area.height, rows.isEmpty ? 3 : rows.count + 3)
    let firing = context.monitor.alerts.firing.count
    let title = [
        context.span("Alerts", "title"),
        context.span(" \(firing) firing, \(rows.count - firing) resolved", "muted"),
    ]
    let inner = Modal(
        title: Line(title), titleRight: Line(context.breadcrumb(["alerts"])), width: width,
        height: height, borderStyle: context.style("border"), fillStyle: context.style("text"),
        box: context.glyphs.box
    ).render(into: &buffer, area: area).inset(left: 1, right: 1)
    guard !rows.isEmpty else {
        Paragraph([Line("No alerts have fired.", style: context.style("muted"))])
            .render(into: &buffer, area: inner)
        return
    }
    let columns = AlertColumns(width: inner.width)
    var lines = [columns.header(context)]
    lines += rows.map { columns.line($0, context) }
    // The header stays; the entries scroll under it.
    let visible = max(1, inner.height - 1)
    let start = min(max(0, scroll), max(0, rows.count - visible))
    let shown = [lines[0]] + lines.dropFirst(1 + start).prefix(visible)
    Paragraph(Array(shown), ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: inner)
}

/// Column widths of the alert list.
private struct AlertColumns {
    let link: Int
    let showsLimit: Bool

    init(width: Int) {
        showsLimit = width >= 70
        link = max(6, min(20, width - (showsLimit ? 66 : 56)))
    }

    func header(_ context: ViewContext) -> Line {
        var text =
            fit("STATE", 9) + fit("LINK", link) + " " + fit("RULE", 12) + fit("VALUE", 10)
        if showsLimit { text += fit("LIMIT", 10) }
        text += "SINCE"
        return Line(text, style: context.style("muted"))
    }

    func line(_ entry: AlertBook.Entry, _ context: ViewContext) -> Line {
        let isFiring = entry.resolvedT == nil
        let name = context.monitor[entry.conn]?.info.name ?? entry.conn.rawValue
        // A firing `down` alert's value grows with the outage; the others keep the value they
        // fired with.
        var value = entry.value
        if isFiring, entry.kind == .down { value = max(value, context.now - entry.since) }
        let since = DashboardFormat.clock(context.wallClock(entry.since))
        let when: String
        if let resolvedT = entry.resolvedT {
            let lasted = DashboardFormat.duration(resolvedT - entry.since)
            when =
                "\(since)\(context.glyphs.isUnicode ? "–" : "-")"
                + "\(DashboardFormat.clock(context.wallClock(resolvedT))) (\(lasted))"
        } else {
            when = "\(since) (\(DashboardFormat.duration(context.now - entry.since)))"
        }
        var spans = [
            context.span(fit(isFiring ? "FIRING" : "resolved", 9), isFiring ? "error" : "muted"),
            context.span(fit(sanitize(name), link) + " ", "text"),
            context.span(fit(AlertWording.what(entry.rule), 12), "text"),
            context.span(fit(AlertWording.value(value, rule: entry.rule), 10), "text"),
        ]
        if showsLimit {
            spans.append(
                context.span(
                    fit(AlertWording.threshold(entry.threshold, rule: entry.rule), 10), "muted"))
        }
        spans.append(context.span(when, "muted"))
        return Line(spans)
    }

    private func fit(_ text: String, _ width: Int) -> String {
        TextWidth.fit(text, width: width - 1) + " "
    }
}
