import TerminalUI
import UpnodeMonitor

// Alerts in the dashboard (docs/ARCHITECTURE.md, "Alerts"): evaluated on the live tick, applied
// like any monitor event, and answered with the bell, the terminal title and the hook.

/// The dashboard's alerting: the settings, the evaluator and the hook limits. Off (nothing
/// evaluated) unless the runtime turns it on for a live session.
public struct Alerting: Sendable {
    public var settings: AlertSettings
    /// `nil`: rules are not evaluated (replay, or alerting off).
    var evaluator: AlertEvaluator?
    var hooks: AlertHooks?
    /// The terminal title last set; `nil` while upmon has not changed it.
    var title: String?

    /// No evaluation at all (tests and replay).
    public static let off = Alerting(settings: AlertSettings(), evaluates: false)

    /// `settings` evaluated on every live tick; `wallClockAtZero` dates the hook's
    /// `UPMON_SINCE`.
    public init(settings: AlertSettings, wallClockAtZero: Double = 0, evaluates: Bool = true) {
        self.settings = settings
        evaluator = evaluates ? AlertEvaluator(policy: settings.policy) : nil
        hooks = settings.hook.map { AlertHooks(hook: $0, wallClockAtZero: wallClockAtZero) }
    }
}

/// The live tick's part: evaluate the rules (at most every `AlertEvaluator.interval`), apply
/// and record what fires or resolves, and react.
func evaluateAlerts(_ model: inout AppModel, now: Double) -> [Effect] {
    guard !model.isReplay, var evaluator = model.alerting.evaluator else { return [] }
    // Taken out while it runs, so that its tables are not copied.
    model.alerting.evaluator = nil
    // No earlier than the newest event applied: the log and the file stay in time order.
    let t = MonitorEvent.roundedTime(max(now, model.latestEventT))
    let events = evaluator.evaluateIfDue(model.monitor, now: t)
    model.alerting.evaluator = evaluator
    guard !events.isEmpty else { return [] }
    var effects: [Effect] = []
    var rang = false
    for event in events {
        effects += update(&model, .monitor(event))
        guard case .alert(let change) = event.kind else { continue }
        if change.state == .firing, model.alerting.settings.bell == .once, !rang {
            effects.append(.ringBell)
            rang = true
        }
        effects += runHook(&model, for: event)
    }
    let title = AlertWording.title(model.monitor)
    if title != model.alerting.title {
        model.alerting.title = title
        effects.append(.setTitle(title))
    }
    return effects
}

/// The hook run (and rate-limit notes) for one applied alert event.
private func runHook(_ model: inout AppModel, for event: MonitorEvent) -> [Effect] {
    guard var hooks = model.alerting.hooks else { return [] }
    let (request, note) = hooks.react(to: event, in: model.monitor)
    model.alerting.hooks = hooks
    var effects: [Effect] = []
    if let note { effects += logNote(&model, note, level: .warning) }
    if let request { effects.append(.runAlertHook(request)) }
    return effects
}

/// A finished hook: a failure goes to the event log (and so to the log file and any
/// recording); a clean run only to the log file.
func alertHookFinished(_ model: inout AppModel, _ outcome: AlertHookOutcome) -> [Effect] {
    guard let text = outcome.failureText else {
        return [.writeLog("on_alert (\(outcome.label)) ok")]
    }
    return logNote(&model, text, level: .warning)
}

/// A session-wide note in the event log, stamped no earlier than the newest event.
private func logNote(_ model: inout AppModel, _ text: String, level: NoteLevel) -> [Effect] {
    let t = MonitorEvent.roundedTime(max(model.ui.now, model.latestEventT))
    return update(
        &model, .monitor(MonitorEvent(t: t, conn: nil, kind: .note(level: level, text: text))))
}

/// Keys of the alert list: ↑↓ PgUp PgDn g G scroll, anything else closes it.
func handleAlertsKey(_ model: inout AppModel, scroll: Int, _ key: InputEvent) -> [Effect] {
    let count = alertRows(model.displayedMonitor).count
    let next: Int
    switch key {
    case .up(shift: false), .char("k"): next = scroll - 1
    case .down(shift: false), .char("j"): next = scroll + 1
    case .pageUp: next = scroll - 8
    case .pageDown: next = scroll + 8
    case .home, .char("g"): next = 0
    case .end, .char("G"): next = count
    default: return []
    }
    model.ui.overlay = .alerts(scroll: min(max(0, next), max(0, count - 1)))
    return []
}

/// The alert list's entries: firing (worst first, then oldest), then resolved (newest first).
func alertRows(_ monitor: MonitorState) -> [AlertBook.Entry] {
    let firing = monitor.alerts.firing.sorted { lhs, rhs in
        let (left, right) = (AlertWording.severity(lhs.rule), AlertWording.severity(rhs.rule))
        return left != right ? left < right : lhs.since < rhs.since
    }
    return firing + monitor.alerts.resolved.elements.reversed()
}
