import DnodeProtocol
import TerminalUI
import UpnodeMonitor

// The `[alerts]` section and the `alert_*` keys of link sections (docs/ARCHITECTURE.md,
// "Configuration" and "Alerts"):
//
//     [alerts]
//     down = 10s               # not up for 10 s
//     p95 = 500ms for 30s      # p95 above 500 ms for 30 s
//     loss = 5% for 30s        # more than 5 % of the ping window lost, for 30 s
//     queue = 30s              # the oldest queued call waiting 30 s
//     flap = 3 in 60s          # 3 drops within 60 s
//     bell = once              # or off
//     on_alert = notify-send "upmon" "$UPMON_MESSAGE"
//     [api]
//     endpoint = 127.0.0.1:7000
//     alert_down = 30s         # this link only; `off` turns a rule off
//     alerts = off             # or every rule of this link off

extension UpmonConfig {
    /// The section that holds the alert rules (so no link can be called `alerts`).
    static let alertsSection = "alerts"
    /// Keys of the `[alerts]` section.
    static let alertKeys =
        AlertRuleKind.allCases.map(\.rawValue) + [
            "bell", "on_alert", "hook_timeout", "hook_min_interval", "hook_max_per_minute",
        ]
    /// Keys a link section may add for its own alert rules.
    static let linkAlertKeys = ["alerts"] + AlertRuleKind.allCases.map { "alert_" + $0.rawValue }

    /// The longest `hook_timeout`: a hook is a notification, not a job.
    static let maxHookTimeoutSeconds = 3600.0
    /// The most `hook_max_per_minute` allows.
    static let maxHooksPerMinute = 1000
    /// The most drops `flap` may count (the state history keeps 64 transitions).
    static let maxFlapCount = 32

    /// Applies one key of the `[alerts]` section.
    static func applyAlertKey(
        _ key: String, _ value: String, to settings: inout AlertSettings, file: String, line: Int
    ) throws(ConfigError) {
        if let kind = AlertRuleKind(rawValue: key) {
            settings.policy.rules[kind] = try alertRule(
                kind, value, key: key, file: file, line: line)
            return
        }
        switch key {
        case "bell":
            guard let bell = AlertSettings.Bell(rawValue: value) else {
                throw ConfigError(
                    file: file, line: line,
                    message: "bell: '\(shownInMessage(value))' is not once or off")
            }
            settings.bell = bell
        case "on_alert":
            settings.onAlert = try hookCommand(value, file: file, line: line)
        case "hook_timeout":
            let seconds = try duration(value, key: key, file: file, line: line).inSeconds
            guard seconds > 0, seconds <= maxHookTimeoutSeconds else {
                throw ConfigError(
                    file: file, line: line,
                    message: "hook_timeout: '\(shownInMessage(value))' is not from 1ms to 1h")
            }
            settings.hookLimits.timeout = seconds
        case "hook_min_interval":
            settings.hookLimits.minInterval =
                try duration(value, key: key, file: file, line: line).inSeconds
        case "hook_max_per_minute":
            let count = try count(value, key: key, file: file, line: line)
            guard count >= 1, count <= maxHooksPerMinute else {
                throw ConfigError(
                    file: file, line: line,
                    message:
                        "hook_max_per_minute: '\(shownInMessage(value))' is not a whole number from 1 to \(maxHooksPerMinute)"
                )
            }
            settings.hookLimits.maxPerMinute = count
        default:
            break
        }
    }

    /// Applies an `alert_*` key (or `alerts = off`) of the link section `link`.
    static func applyLinkAlertKey(
        _ key: String, _ value: String, link: String, to settings: inout AlertSettings,
        file: String, line: Int
    ) throws(ConfigError) {
        var changes = settings.policy.overrides[link] ?? [:]
        if key == "alerts" {
            switch value {
            case "off":
                // Only the rules this section does not set itself, whatever the order.
                for kind in AlertRuleKind.allCases where changes[kind] == nil {
                    changes[kind] = .off
                }
            case "on": break
            default:
                throw ConfigError(
                    file: file, line: line,
                    message: "alerts: '\(shownInMessage(value))' is not on or off")
            }
        } else if let kind = AlertRuleKind(rawValue: String(key.dropFirst("alert_".count))) {
            let rule = try alertRule(kind, value, key: key, file: file, line: line)
            changes[kind] = rule.map(AlertPolicy.Override.rule) ?? .off
        }
        settings.policy.overrides[link] = changes
    }

    /// One rule's value: `off`, or its numbers in the rule's syntax.
    static func alertRule(
        _ kind: AlertRuleKind, _ value: String, key: String, file: String, line: Int
    ) throws(ConfigError) -> AlertRule? {
        if value == "off" { return nil }
        let defaults = AlertRules()[kind] ?? AlertRule(threshold: 0)
        func fail(_ problem: String) -> ConfigError {
            ConfigError(
                file: file, line: line,
                message:
                    "\(key): '\(shownInMessage(value))' \(problem) (like \(example(kind)), or off)")
        }
        var words = value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if let first = words.first, first.hasPrefix(">") {
            // `p95 = > 500ms` and `p95 = >500ms` read as `500ms`.
            words[0].removeFirst()
            if words[0].isEmpty { words.removeFirst() }
        }
        switch kind {
        case .down, .queue:
            guard words.count == 1 else { throw fail("is not one duration") }
            let seconds = try duration(words[0], key: key, file: file, line: line).inSeconds
            return AlertRule(threshold: seconds)
        case .p95, .loss:
            guard words.count == 1 || (words.count == 3 && words[1] == "for") else {
                throw fail("is not a limit with an optional 'for' duration")
            }
            let threshold: Double
            if kind == .p95 {
                // A bare number has no unit to tell ms from s: ask for one.
                guard words[0].contains(where: \.isLetter) else { throw fail("needs a unit") }
                threshold =
                    try duration(words[0], key: key, file: file, line: line).inSeconds
                    * 1000
            } else {
                let digits = words[0].hasSuffix("%") ? String(words[0].dropLast()) : words[0]
                guard let percent = Double(digits), percent.isFinite, percent >= 0, percent < 100
                else { throw fail("is not a percentage from 0 to below 100") }
                threshold = percent
            }
            let seconds =
                words.count == 3
                ? try duration(words[2], key: key + " for", file: file, line: line).inSeconds
                : defaults.seconds
            return AlertRule(threshold: threshold, seconds: seconds)
        case .flap:
            guard words.count == 1 || (words.count == 3 && words[1] == "in") else {
                throw fail("is not a count with an optional 'in' window")
            }
            guard let count = Int(words[0]), count >= 1, count <= maxFlapCount else {
                throw fail("is not a whole number of drops from 1 to \(maxFlapCount)")
            }
            let window =
                words.count == 3
                ? try duration(words[2], key: key + " in", file: file, line: line).inSeconds
                : defaults.seconds
            guard window > 0 else { throw fail("has an empty window") }
            return AlertRule(threshold: Double(count), seconds: window)
        }
    }

    static func example(_ kind: AlertRuleKind) -> String {
        switch kind {
        case .down: "10s"
        case .p95: "500ms for 30s"
        case .loss: "5% for 30s"
        case .queue: "30s"
        case .flap: "3 in 60s"
        }
    }

    /// The `on_alert` command: the rest of the line, or one JSON string (`"…"`) decoded.
    static func hookCommand(_ value: String, file: String, line: Int) throws(ConfigError)
        -> String
    {
        var command = value
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\""),
            let decoded = (try? JSONValue(parsing: Array(value.utf8)))?.stringValue
        {
            command = decoded
        }
        guard !command.trimmingWhitespace().isEmpty else {
            throw ConfigError(file: file, line: line, message: "on_alert: the command is empty")
        }
        guard !command.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw ConfigError(
                file: file, line: line, message: "on_alert: the command contains a NUL character")
        }
        return command
    }
}
