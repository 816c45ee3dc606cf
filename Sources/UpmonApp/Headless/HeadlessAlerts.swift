import Synchronization
import UpnodeMonitor
import UpnodeMonitorEndpoint

/// Alerts without a dashboard (`--json`, `--metrics`, `record`; docs/ARCHITECTURE.md,
/// "Alerts"): the same `AlertEvaluator` runs on a timer against the mode's state, and what
/// fires or resolves goes into the session's feed, so it is applied, printed and recorded like
/// every other event. Applied alert events run the `on_alert` hook; a failed run becomes a
/// `note` in the feed (never a line on stderr).
public final class HeadlessAlerts: Sendable {
    let settings: AlertSettings
    private let state: Mutex<(evaluator: AlertEvaluator, hooks: AlertHooks?)>
    /// Runs a hook; `AlertHookRunner.run` except in tests.
    let runHook:
        @Sendable (AlertHookRequest, @escaping @Sendable (AlertHookOutcome) -> Void) -> Void

    /// Alerting for a session whose t = 0 was `wallClockAtZero` (Unix seconds).
    public convenience init(settings: AlertSettings, wallClockAtZero: Double) {
        self.init(settings: settings, wallClockAtZero: wallClockAtZero) { request, done in
            AlertHookRunner.run(request, completion: done)
        }
    }

    init(
        settings: AlertSettings, wallClockAtZero: Double,
        runHook:
            @escaping @Sendable (AlertHookRequest, @escaping @Sendable (AlertHookOutcome) -> Void)
            -> Void
    ) {
        self.settings = settings
        self.runHook = runHook
        state = Mutex(
            (
                AlertEvaluator(policy: settings.policy),
                settings.hook.map { AlertHooks(hook: $0, wallClockAtZero: wallClockAtZero) }
            ))
    }

    /// The alert events due at `now` for `monitor` (at most one evaluation per
    /// `AlertEvaluator.interval`).
    public func evaluate(_ monitor: MonitorState, now: Double) -> [MonitorEvent] {
        state.withLock { $0.evaluator.evaluateIfDue(monitor, now: now) }
    }

    /// Evaluates every `AlertEvaluator.interval` until cancelled: `read` hands the evaluator
    /// the mode's current state (under the mode's own lock) and the events go into `feed`.
    public func ticker(
        feed: MonitorFeed,
        read: @escaping @Sendable (_ evaluate: (MonitorState) -> [MonitorEvent]) -> [MonitorEvent]
    ) -> Task<Void, Never> {
        Task {
            while true {
                do {
                    try await Task.sleep(for: .milliseconds(Int64(AlertEvaluator.interval * 1000)))
                } catch { break }
                let now = feed.now()
                for event in read({ self.evaluate($0, now: now) }) {
                    feed.emit(event.kind, conn: event.conn)
                }
            }
        }
    }

    /// After an event was applied to `monitor`: runs the hook for an alert event and reports
    /// what the hook limits and failures have to say as notes in `feed`.
    public func react(to event: MonitorEvent, in monitor: MonitorState, feed: MonitorFeed) {
        guard case .alert = event.kind else { return }
        let (request, note) = state.withLock { state -> (AlertHookRequest?, String?) in
            guard var hooks = state.hooks else { return (nil, nil) }
            let reaction = hooks.react(to: event, in: monitor)
            state.hooks = hooks
            return reaction
        }
        if let note { feed.emit(.note(level: .warning, text: note), conn: nil) }
        guard let request else { return }
        runHook(request) { outcome in
            if let text = outcome.failureText {
                feed.emit(.note(level: .warning, text: text), conn: nil)
            }
        }
    }
}
