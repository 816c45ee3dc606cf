import TerminalUI
import UpnodeMonitor

/// One run of the `on_alert` command, as data for the runtime (`AlertHookRunner`).
public struct AlertHookRequest: Sendable, Equatable {
    /// Run with `/bin/sh -c`.
    public var command: String
    /// The alert's `UPMON_*` variables, added to upmon's own environment.
    public var environment: [String: String]
    /// Seconds before the run is killed.
    public var timeout: Double
    /// `down api firing`, for log lines.
    public var label: String

    public init(command: String, environment: [String: String], timeout: Double, label: String) {
        self.command = command
        self.environment = environment
        self.timeout = timeout
        self.label = label
    }
}

/// How a run of the `on_alert` command ended.
public struct AlertHookOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(CInt)
        case signaled(CInt)
        case timedOut
        /// The shell could not be started (the reason, e.g. `no such file or directory`).
        case failedToStart(String)
    }

    /// The request's label.
    public var label: String
    public var ending: Ending
    /// The start of what the command wrote (stdout and stderr together).
    public var output: String
    /// Bytes written in all.
    public var outputBytes: Int

    public init(label: String, ending: Ending, output: String, outputBytes: Int) {
        self.label = label
        self.ending = ending
        self.output = output
        self.outputBytes = outputBytes
    }

    /// The log line for a run that failed; `nil` for a clean exit.
    public var failureText: String? {
        let what: String
        switch ending {
        case .exited(0): return nil
        case .exited(let code): what = "exited with status \(code)"
        case .signaled(let signal): what = "killed by signal \(signal)"
        case .timedOut: what = "timed out and was killed"
        case .failedToStart(let reason): what = "could not start: \(reason)"
        }
        let firstLine = output.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let shown = TextWidth.truncate(sanitize(firstLine), to: 120, ellipsis: "…")
        return "on_alert (\(label)) \(what)" + (shown.isEmpty ? "" : ": \(shown)")
    }
}

/// The `on_alert` side of alert events, shared by the dashboard and the headless modes: which
/// changes run the hook (through `AlertHookGate`), with what environment, and the notes to
/// log about skipped runs.
struct AlertHooks: Sendable {
    let hook: AlertSettings.Hook
    /// Wall-clock seconds at session t = 0, for `UPMON_SINCE`.
    let wallClockAtZero: Double
    private(set) var gate: AlertHookGate

    init(hook: AlertSettings.Hook, wallClockAtZero: Double) {
        self.hook = hook
        self.wallClockAtZero = wallClockAtZero
        gate = AlertHookGate(minInterval: hook.minInterval, maxPerMinute: hook.maxPerMinute)
    }

    /// The run for an applied `alert` event (if the limits allow one) and a note for the log
    /// (when runs start or stop being skipped).
    mutating func react(to event: MonitorEvent, in monitor: MonitorState)
        -> (request: AlertHookRequest?, note: String?)
    {
        guard case .alert(let change) = event.kind, let conn = event.conn else { return (nil, nil) }
        switch gate.admit(conn: conn, rule: change.rule, state: change.state, now: event.t) {
        case .silent:
            return (nil, nil)
        case .skip(let first):
            let note =
                "on_alert: rate limit reached (\(hook.maxPerMinute) a minute, one per alert "
                + "every \(DashboardFormat.shortWait(hook.minInterval))); skipping runs"
            return (nil, first ? note : nil)
        case .run(let skipped):
            let request = Self.request(
                change, conn: conn, t: event.t, monitor: monitor, hook: hook,
                wallClockAtZero: wallClockAtZero)
            let note =
                skipped > 0 ? "on_alert: \(skipped) run\(skipped == 1 ? "" : "s") skipped" : nil
            return (request, note)
        }
    }

    /// The request for one change: the command and the alert in `UPMON_*` variables.
    static func request(
        _ change: AlertChange, conn: ConnectionID, t: Double, monitor: MonitorState,
        hook: AlertSettings.Hook, wallClockAtZero: Double
    ) -> AlertHookRequest {
        let info = monitor.info(of: conn)
        let name = info?.name ?? conn.rawValue
        let since = t - change.forSeconds
        let environment = [
            "UPMON_ALERT": change.rule,
            "UPMON_STATE": change.state.rawValue,
            "UPMON_CONN": name,
            "UPMON_CONN_ID": conn.rawValue,
            "UPMON_ENDPOINT": info?.endpoint ?? "",
            "UPMON_VALUE": number(change.value),
            "UPMON_THRESHOLD": number(change.threshold),
            "UPMON_UNIT": change.kind?.unit ?? "",
            "UPMON_SINCE": iso8601(wallClockAtZero + since),
            "UPMON_FOR_S": number(change.forSeconds),
            "UPMON_MESSAGE":
                "\(name) "
                + AlertWording.logText(
                    rule: change.rule, state: change.state, value: change.value,
                    threshold: change.threshold),
        ]
        return AlertHookRequest(
            command: hook.command, environment: environment.mapValues(plain),
            timeout: hook.timeout, label: "\(plain(name)) \(change.rule) \(change.state.rawValue)")
    }

    /// `2026-03-14T09:26:53.120Z` for Unix time `seconds`.
    static func iso8601(_ seconds: Double) -> String {
        let milliseconds = (seconds * 1000).rounded()
        let usable = milliseconds.isFinite && abs(milliseconds) < 9e15
        return RecordingHeader.timestamp(epochMilliseconds: usable ? Int64(milliseconds) : 0)
    }

    /// A number for a script: up to three decimals, no trailing zeros (`12.5`, `10`).
    static func number(_ value: Double) -> String {
        var text = DashboardFormat.fixed(value, places: 3)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// Text without control characters (an environment value must not hold a NUL, and a
    /// script printing it must not reach the terminal's escape sequences).
    static func plain(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }
}
