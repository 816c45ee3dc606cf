import TerminalUI
import UpnodeMonitor

/// The plain-text `upmon --once` report for people, one row per link like `mtr --report`:
/// what `--once --json` says, as a table. Pure, so tests pin the exact text.
public enum OnceReport {
    /// The columns, in order.
    static let headers = [
        "NAME", "ENDPOINT", "STATE", "SINCE", "REASON", "LAST", "P50", "P95", "LOSS", "RECONN",
    ]
    /// Columns aligned to the right (numbers).
    static let rightAligned: Set<Int> = [3, 5, 6, 7, 8, 9]

    /// A summary line, then the table. `since` is how long the link has been up, or not up
    /// (retry cycles do not reset it); `reason` says why a link is not up; `-` when nothing
    /// was measured.
    public static func render(_ state: MonitorState, now: Double, configName: String? = nil)
        -> String
    {
        let upCount = state.connections.filter { $0.state == .up }.count
        var summary = "upmon --once"
        if let configName { summary += "  " + sanitize(configName) }
        summary +=
            "  t=\(DashboardFormat.shortWait(now))  \(upCount)/\(state.connections.count) up\n"
        let rows = state.connections.map { row($0, now: now) }
        var widths = headers.map { TextWidth.width(of: $0) }
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], TextWidth.width(of: cell))
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() {
                if column > 0 { text += "  " }
                text += TextWidth.fit(
                    cell, width: widths[column],
                    alignment: rightAligned.contains(column) ? .right : .left)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        return summary + line(headers) + rows.map(line).joined()
    }

    /// One link's cells.
    static func row(_ stats: ConnectionStats, now: Double) -> [String] {
        let rtt = stats.rttStats
        func ms(_ value: Double?) -> String { value.map(DashboardFormat.msWithUnit) ?? "-" }
        var stateText = stats.state.rawValue
        if stats.isHeld { stateText += " (held)" }
        var reason = stats.whyNotUp ?? "-"
        if stats.state != .up, stats.failures > 1 { reason += ", \(stats.failures) attempts" }
        let since =
            stats.state == .idle ? "-" : DashboardFormat.duration(now - stats.updownSince)
        return [
            sanitize(stats.info.name), sanitize(stats.info.endpoint), stateText, since,
            sanitize(reason), stats.state == .up ? ms(rtt.last) : "-", ms(rtt.p50), ms(rtt.p95),
            rtt.outcomes > 0 ? DashboardFormat.percent(rtt.loss) : "-", "\(stats.reconnects)",
        ]
    }
}
