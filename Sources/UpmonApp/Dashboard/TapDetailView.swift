import TerminalUI
import UpnodeMonitor

/// The detail pane of a tapped connection: traffic, then one line per method (calls, in
/// flight, p50/p95/p99 of the first answer, errors, unanswered), then the latest calls.
func tapDetailLines(
    _ stats: ConnectionStats, _ tap: TapConnectionStats, width: Int, context: ViewContext
) -> [Line] {
    let glyphs = context.glyphs
    func label(_ text: String) -> Span { context.span(TextWidth.fit(text, width: 8), "muted") }
    func text(_ value: String) -> Span { context.span(value, "text") }
    func ms(_ value: Double?) -> String {
        value.map { DashboardFormat.fixed($0, places: 1) } ?? glyphs.noData
    }
    var lines: [Line] = [
        Line([
            label("State"),
            context.span(ThemeRoles.label(stats, glyphs: glyphs), ThemeRoles.state(stats)),
            text(" " + DashboardFormat.duration(context.now - stats.since)),
        ]),
        Line([label("Route"), text(sanitize(tap.client) + " → " + sanitize(tap.target))]),
        Line([
            label("Traffic"),
            text(
                "→ \(DashboardFormat.grouped(tap.bytesC2S)) B \(DashboardFormat.grouped(tap.linesC2S)) lines"
                    + " \(context.dot) ← \(DashboardFormat.grouped(tap.bytesS2C)) B "
                    + "\(DashboardFormat.grouped(tap.linesS2C)) lines"),
        ]),
        Line([
            label("Calls"), text("\(tap.calls) \(context.dot) \(tap.inFlight) in flight "),
            context.span("\(tap.errors) err", tap.errors > 0 ? "rpc_error" : "text"),
            text(" \(context.dot) "),
            context.span(
                "\(tap.unanswered) unanswered", tap.unanswered > 0 ? "rpc_error" : "text"),
        ]),
        Line([
            context.span(
                TextWidth.fit(
                    "Method            calls/s  flight  p50 ms  p95 ms  p99 ms  err  lost",
                    width: width), "muted")
        ]),
    ]
    for (key, method) in tap.methods.sorted(by: { $0.key < $1.key }) {
        let row =
            TextWidth.fit(sanitize(key.label), width: 16) + " "
            + pad(DashboardFormat.fixed(method.callsPerSecond(now: context.now), places: 1), 9)
            + pad("\(method.inFlight)", 8) + pad(ms(method.percentile(50)), 8)
            + pad(ms(method.percentile(95)), 8) + pad(ms(method.percentile(99)), 8)
            + pad("\(method.errors)", 5) + pad("\(method.unanswered)", 6)
        let bad = method.errors > 0 || method.unanswered > 0
        lines.append(
            Line([context.span(TextWidth.fit(row, width: width), bad ? "rpc_error" : "text")]))
    }
    if tap.otherCalls > 0 {
        lines.append(Line([text("(\(tap.otherCalls) calls of further methods)")]))
    }
    let recent = tap.recent.suffix(8).reversed()
    if !recent.isEmpty {
        lines.append(Line([label("Recent")]))
        for call in recent {
            let row =
                "  " + TextWidth.fit(sanitize(call.key.label), width: 14) + " "
                + TextWidth.fit(call.outcome, width: 10) + " "
                + pad(DashboardFormat.fixed(call.durMs, places: 1) + " ms", 11) + "  "
                + sanitize(call.payload.jsonText)
            let ok = call.outcome == "ok"
            lines.append(
                Line([context.span(TextWidth.fit(row, width: width), ok ? "text" : "rpc_error")]))
        }
    }
    return lines
}

/// Right-aligned in `width` columns.
private func pad(_ text: String, _ width: Int) -> String {
    let room = width - TextWidth.width(of: text)
    return room > 0 ? String(repeating: " ", count: room) + text : text
}
