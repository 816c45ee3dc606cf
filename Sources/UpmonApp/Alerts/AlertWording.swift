import TerminalUI
import UpnodeMonitor

/// The words of alerts: values with their units, the log line, the header badge and the
/// terminal title. Pure and locale-free, like `DashboardFormat`.
enum AlertWording {
    /// A rule's value in its unit: `12s`, `612ms`, `7.5%`, `3 drops`; a rule this version does
    /// not know shows its bare number.
    static func value(_ value: Double, rule: String) -> String {
        switch AlertRuleKind(rawValue: rule) {
        case .down?, .queue?: DashboardFormat.duration(value)
        case .p95?: DashboardFormat.msWithUnit(value)
        case .loss?: trimmed(DashboardFormat.fixed(value, places: 1)) + "%"
        case .flap?: "\(DashboardFormat.fixed(value, places: 0)) drops"
        case nil: trimmed(DashboardFormat.fixed(value, places: 3))
        }
    }

    /// The limit as configured: `10s`, `500ms`, `5%`, `3 drops`.
    static func threshold(_ value: Double, rule: String) -> String {
        switch AlertRuleKind(rawValue: rule) {
        case .down?, .queue?: DashboardFormat.shortWait(value)
        default: Self.value(value, rule: rule)
        }
    }

    /// What the rule watches, in a few words: `down`, `p95`, `loss`, `queue stuck`, `flapping`.
    static func what(_ rule: String) -> String {
        switch AlertRuleKind(rawValue: rule) {
        case .queue?: "queue stuck"
        case .flap?: "flapping"
        default: sanitize(rule)
        }
    }

    /// The event-log line: `alert firing: down 12s (limit 10s)`, `alert resolved: p95 80ms`.
    static func logText(
        rule: String, state: AlertChange.State, value: Double, threshold: Double
    ) -> String {
        let limit =
            state == .firing ? " (limit \(Self.threshold(threshold, rule: rule)))" : ""
        return "alert \(state.rawValue): \(what(rule)) \(Self.value(value, rule: rule))\(limit)"
    }

    /// How bad an alert is, most severe first: a link that is down before one that drops
    /// pings, before a stuck queue, flapping, then slowness.
    static func severity(_ rule: String) -> Int {
        switch AlertRuleKind(rawValue: rule) {
        case .down?: 0
        case .loss?: 1
        case .queue?: 2
        case .flap?: 3
        case .p95?: 4
        case nil: 5
        }
    }

    /// The worst firing alert: the most severe rule, then the one firing longest.
    static func worst(_ book: AlertBook) -> AlertBook.Entry? {
        book.firing.min { lhs, rhs in
            let (left, right) = (severity(lhs.rule), severity(rhs.rule))
            return left != right ? left < right : lhs.since < rhs.since
        }
    }

    /// `1 alert — api down`, `3 alerts — api down`; `nil` when nothing fires.
    static func summary(_ monitor: MonitorState, dash: String = "—") -> String? {
        guard let worst = worst(monitor.alerts) else { return nil }
        let count = monitor.alerts.firing.count
        let name = monitor[worst.conn]?.info.name ?? worst.conn.rawValue
        return
            "\(count) alert\(count == 1 ? "" : "s") \(dash) \(sanitize(name)) \(what(worst.rule))"
    }

    /// The terminal title while alerts fire: `upmon: 1 alert — api down`; `nil` when none do.
    static func title(_ monitor: MonitorState) -> String? {
        summary(monitor).map { "upmon: " + $0 }
    }

    /// `12.50` → `12.5`, `5.0` → `5`.
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = text
        while result.hasSuffix("0") { result.removeLast() }
        if result.hasSuffix(".") { result.removeLast() }
        return result
    }
}
