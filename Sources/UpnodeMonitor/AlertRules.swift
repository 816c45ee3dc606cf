/// The alert rules upmon evaluates (docs/ARCHITECTURE.md, "Alerts").
///
/// Each rule watches one link; an alert is one rule on one link. The raw values are the names
/// written in recordings (`"rule":"down"`) and used in the config file (`down = 10s`).
public enum AlertRuleKind: String, Sendable, CaseIterable, Comparable {
    /// The link has not been up for `threshold` seconds (retry cycles included).
    case down
    /// The 95th percentile RTT of the ping window is above `threshold` ms for `seconds`.
    case p95
    /// More than `threshold` % of the ping window timed out, for `seconds`.
    case loss
    /// The oldest queued transaction has waited `threshold` seconds.
    case queue
    /// The link dropped (left `up`) `threshold` times within `seconds`.
    case flap

    /// The unit of the rule's value and threshold: `s`, `ms`, `%`, or `""` for a count.
    public var unit: String {
        switch self {
        case .down, .queue: "s"
        case .p95: "ms"
        case .loss: "%"
        case .flap: ""
        }
    }

    /// Orders rules by declaration (the order the alert list and the events use).
    public static func < (lhs: AlertRuleKind, rhs: AlertRuleKind) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .down: 0
        case .p95: 1
        case .loss: 2
        case .queue: 3
        case .flap: 4
        }
    }
}

/// One rule's numbers. What they mean depends on the kind (see `AlertRuleKind`).
public struct AlertRule: Hashable, Sendable {
    /// The limit, in the kind's unit: seconds down or stuck, milliseconds, percent, drops.
    public var threshold: Double
    /// `p95` and `loss`: how long the limit must be exceeded before the alert fires;
    /// `flap`: the window the drops are counted in; unused (0) for `down` and `queue`.
    public var seconds: Double

    /// A rule with `threshold` in its kind's unit and `seconds` as described above.
    public init(threshold: Double, seconds: Double = 0) {
        self.threshold = threshold
        self.seconds = seconds
    }
}

/// One rule per kind; `nil` turns a kind off. The defaults suit links pinged about once a second.
public struct AlertRules: Hashable, Sendable {
    /// Down for 10 s.
    public var down: AlertRule? = AlertRule(threshold: 10)
    /// p95 above 500 ms for 30 s.
    public var p95: AlertRule? = AlertRule(threshold: 500, seconds: 30)
    /// Loss above 5 % of the ping window for 30 s.
    public var loss: AlertRule? = AlertRule(threshold: 5, seconds: 30)
    /// The oldest queued call waiting 30 s.
    public var queue: AlertRule? = AlertRule(threshold: 30)
    /// 3 drops within 60 s.
    public var flap: AlertRule? = AlertRule(threshold: 3, seconds: 60)

    /// The default rules.
    public init() {}

    /// Every rule off.
    public static let none: AlertRules = {
        var rules = AlertRules()
        for kind in AlertRuleKind.allCases { rules[kind] = nil }
        return rules
    }()

    /// The rule of `kind`, `nil` when it is off.
    public subscript(kind: AlertRuleKind) -> AlertRule? {
        get {
            switch kind {
            case .down: down
            case .p95: p95
            case .loss: loss
            case .queue: queue
            case .flap: flap
            }
        }
        set {
            switch kind {
            case .down: down = newValue
            case .p95: p95 = newValue
            case .loss: loss = newValue
            case .queue: queue = newValue
            case .flap: flap = newValue
            }
        }
    }
}

/// The rules for every link: one set for all, and changes for links by config name.
public struct AlertPolicy: Hashable, Sendable {
    /// A per-link change to one rule: another rule, or off.
    public enum Override: Hashable, Sendable {
        case off
        case rule(AlertRule)
    }

    /// The rules of links without overrides (the config's `[alerts]` section).
    public var rules: AlertRules
    /// Changes for links by name (`alert_down = 30s` in a link's section), applied over `rules`.
    public var overrides: [String: [AlertRuleKind: Override]]

    /// `rules` for every link, with `overrides` by link name.
    public init(
        rules: AlertRules = AlertRules(), overrides: [String: [AlertRuleKind: Override]] = [:]
    ) {
        self.rules = rules
        self.overrides = overrides
    }

    /// The rules of the link named `name`.
    public func rules(forLink name: String) -> AlertRules {
        guard let changes = overrides[name] else { return rules }
        var result = rules
        for (kind, change) in changes {
            switch change {
            case .off: result[kind] = nil
            case .rule(let rule): result[kind] = rule
            }
        }
        return result
    }

    /// Whether no link has any rule (then nothing needs evaluating).
    public var isEmpty: Bool {
        rules == .none
            && overrides.values.allSatisfy { changes in
                changes.values.allSatisfy { $0 == .off }
            }
    }
}
