import UpnodeMonitor

/// The words of the event log. The monitor core records what happened (`LogEntry.Event`);
/// this is the one place that turns it into text, so rewording changes no recording.
enum LogWording {
    /// The entry's text, e.g. `up → down (ping_timeout): no ping reply within 800 ms`,
    /// `← status #2 ok 13.9 ms`, `reconnect attempt 3 in 1200 ms`.
    static func text(_ event: LogEntry.Event) -> String {
        switch event {
        case .transition(let from, let to, let reason, let detail):
            let cause = detail.map { ": " + $0 } ?? ""
            return "\(from.rawValue) → \(to.rawValue) (\(reason))" + cause
        case .pingTimeout(let afterMs, let consecutive):
            return "ping timeout after \(milliseconds(afterMs)) (\(consecutive) in a row)"
        case .reconnect(let attempt, let delayMs):
            return "reconnect attempt \(attempt) in \(milliseconds(delayMs))"
        case .queueExpired(let count):
            return "\(count) queued transaction\(count == 1 ? "" : "s") expired"
        case .call(let method, let origin):
            return "→ \(method) (\(origin.rawValue))"
        case .result(let method, let n, let ok, let durMs, let errorCode):
            let invocation = n == 1 ? "" : " #\(n)"
            let outcome = ok ? "ok" : "error (\(Self.errorWords(errorCode)))"
            return "← \(method)\(invocation) \(outcome) \(milliseconds(durMs))"
        case .remoteMethods(let count):
            return "\(count) remote method\(count == 1 ? "" : "s")"
        case .mark(let label):
            return label
        case .note(let text):
            return text
        case .end(let reason):
            return "recording ended (\(reason.rawValue))"
        case .legacy(_, let text):
            return text
        case .linkAdded(let name, let endpoint):
            return "\(name) joined (\(endpoint))"
        case .linkRemoved(let name, let reason):
            return "\(name) left (\(LinkRemovalReason.phrase(reason)))"
        case .alert(let rule, let state, let value, let threshold):
            return AlertWording.logText(
                rule: rule, state: state, value: value, threshold: threshold)
        }
    }

    /// `13.9 ms`, `800 ms`: one decimal, dropped when zero.
    /// A failed call's error code in words: the peer's own error, a code as it is, or
    /// plain "error" when the payload said neither.
    static func errorWords(_ code: String?) -> String {
        switch code {
        case "remote": "remote error"
        case let code?: code
        case nil: "error"
        }
    }

    static func milliseconds(_ value: Double) -> String {
        var text = DashboardFormat.fixed(value, places: 1)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + " ms"
    }
}
