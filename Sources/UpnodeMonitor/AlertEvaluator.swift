/// Turns `MonitorState` at time `now` into alert events (docs/ARCHITECTURE.md, "Alerts").
///
/// Pure: it reads no clock and does no I/O. The dashboard calls it on its tick and the
/// headless modes on a timer, never per event; one evaluation costs time linear in the
/// links (plus sorting the ping window of links whose p95 is watched). It keeps only what
/// the state cannot say: when a p95 or loss condition began, and which alerts it has fired.
/// The events it returns go through `MonitorState.apply` like any other, so `--json`,
/// recordings and replay carry them; replay never evaluates rules again.
public struct AlertEvaluator: Sendable {
    /// Seconds between evaluations for `evaluateIfDue`.
    public static let interval = 0.5

    /// The rules.
    public let policy: AlertPolicy

    /// One rule on one link.
    struct Key: Hashable {
        var conn: ConnectionID
        var rule: AlertRuleKind
    }

    /// A firing alert: when its condition began and the latest value seen while it held.
    struct Firing {
        var since: Double
        var value: Double
    }

    /// Conditions without a start of their own (p95, loss): when they began to hold.
    private var pending: [Key: Double] = [:]
    private var firing: [Key: Firing] = [:]
    /// Each link's rules, resolved from the policy by name the first time the link is seen.
    private var rulesByLink: [ConnectionID: (name: String, rules: AlertRules)] = [:]
    private var nextEvaluation = -Double.infinity

    /// An evaluator of `policy` with nothing firing.
    public init(policy: AlertPolicy) {
        self.policy = policy
    }

    /// Number of alerts firing.
    public var firingCount: Int { firing.count }

    /// `evaluate`, at most once per `interval` of `now`; no events between.
    public mutating func evaluateIfDue(_ state: MonitorState, now: Double) -> [MonitorEvent] {
        guard now >= nextEvaluation else { return [] }
        nextEvaluation = now + Self.interval
        return evaluate(state, now: now)
    }

    /// The alerts that fire or resolve at `now`: each an `alert` event at `t = now`, links in
    /// state order, rules in `AlertRuleKind` order. An alert fires once its condition has held
    /// for the rule's time and resolves as soon as it no longer does.
    public mutating func evaluate(_ state: MonitorState, now: Double) -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        // Without per-link overrides every link has the policy's rules: no lookup per link.
        let uniform = policy.overrides.isEmpty ? policy.rules : nil
        // By index, not `for stats in`: a copy of each link's stats retains all its storage.
        for index in state.connections.indices {
            let rules = uniform ?? rules(for: state.connections[index].info)
            for kind in AlertRuleKind.allCases {
                // Nothing remembered anywhere (the usual case): skip the key's hashing.
                let remembersAny = !pending.isEmpty || !firing.isEmpty
                guard let rule = rules[kind] else {
                    guard remembersAny else { continue }
                    // Turned off for this link: nothing may stay firing.
                    let key = Key(conn: state.connections[index].id, rule: kind)
                    forget(key)
                    if let fired = firing.removeValue(forKey: key) {
                        events.append(
                            event(key, .resolved, fired.value, rule: nil, since: fired.since, now))
                    }
                    continue
                }
                // Most links hold no condition: skip the value (a sort for p95) when the
                // condition cannot hold and nothing about this key is remembered.
                let mayHold = Self.mayHold(kind, rule: rule, state.connections[index])
                if !mayHold && !remembersAny { continue }
                let key = Key(conn: state.connections[index].id, rule: kind)
                if !mayHold && !isTracked(key) { continue }
                let reading = Self.read(kind, rule: rule, state.connections[index], now: now)
                var since = reading.since
                if reading.holds, since == nil {
                    since = pending[key] ?? now
                    pending[key] = since
                } else if !reading.holds {
                    forget(key)
                }
                let isActive = reading.holds && now - (since ?? now) >= Self.hold(kind, rule)
                if isActive, let start = since {
                    if firing[key] == nil {
                        events.append(
                            event(key, .firing, reading.value, rule: rule, since: start, now))
                    }
                    firing[key] = Firing(since: start, value: reading.value)
                } else if !firing.isEmpty, let fired = firing.removeValue(forKey: key) {
                    let value =
                        kind == .down
                        ? Self.outage(state.connections[index], since: fired.since, now)
                        : reading.value
                    events.append(event(key, .resolved, value, rule: rule, since: fired.since, now))
                }
            }
        }
        // A link that left the session ends its alerts: the state already moved them to the
        // resolved list; the event tells the hook and a script reading `--json`.
        let departed = firing.filter { !state.contains($0.key.conn) }
        for (key, fired) in departed.sorted(by: {
            ($0.key.conn, $0.key.rule) < ($1.key.conn, $1.key.rule)
        }) {
            firing[key] = nil
            pending[key] = nil
            events.append(event(key, .resolved, fired.value, rule: nil, since: fired.since, now))
        }
        return events
    }

    /// Whether the evaluator remembers anything about `key` (a pending start, a firing alert).
    private func isTracked(_ key: Key) -> Bool {
        (!pending.isEmpty && pending[key] != nil) || (!firing.isEmpty && firing[key] != nil)
    }

    /// Drops the pending start of `key` (no hashing when nothing is pending at all).
    private mutating func forget(_ key: Key) {
        if !pending.isEmpty { pending[key] = nil }
    }

    private func event(
        _ key: Key, _ state: AlertChange.State, _ value: Double, rule: AlertRule?,
        since: Double, _ now: Double
    ) -> MonitorEvent {
        let threshold = rule?.threshold ?? policy.rules[key.rule]?.threshold ?? 0
        let change = AlertChange(
            rule: key.rule.rawValue, state: state, value: value, threshold: threshold,
            forSeconds: max(0, now - since))
        return MonitorEvent(t: now, conn: key.conn, kind: .alert(change))
            .roundedToRecordingPrecision()
    }

    private mutating func rules(for info: ConnectionInfo) -> AlertRules {
        if let known = rulesByLink[info.id], known.name == info.name { return known.rules }
        let rules = policy.rules(forLink: info.name)
        rulesByLink[info.id] = (info.name, rules)
        return rules
    }

    /// What a rule sees on one link: its value, whether its condition holds, and when the
    /// condition began when the state knows (`nil`: the evaluator remembers it).
    struct Reading: Equatable {
        var value: Double
        var holds: Bool
        var since: Double?
    }

    /// Seconds the condition must hold before the alert fires.
    static func hold(_ kind: AlertRuleKind, _ rule: AlertRule) -> Double {
        switch kind {
        case .down, .queue: rule.threshold
        case .p95, .loss: rule.seconds
        case .flap: 0
        }
    }

    /// Whether the link is in an outage the `down` rule counts: it has tried to connect and is
    /// not up, not held down by hand and not closed.
    static func isOutage(_ stats: ConnectionStats) -> Bool {
        switch stats.state {
        case .down, .reconnecting, .connecting:
            stats.firstAttemptT != nil && !stats.isHeld
        case .up, .idle, .closed:
            false
        }
    }

    /// How long the outage that began at `since` lasted (or has lasted, if it goes on).
    static func outage(_ stats: ConnectionStats, since: Double, _ now: Double) -> Double {
        stats.state == .up ? max(0, stats.updownSince - since) : max(0, now - since)
    }

    static func read(
        _ kind: AlertRuleKind, rule: AlertRule, _ stats: ConnectionStats, now: Double
    ) -> Reading {
        switch kind {
        case .down:
            guard isOutage(stats) else { return Reading(value: 0, holds: false, since: nil) }
            return Reading(
                value: max(0, now - stats.updownSince), holds: true, since: stats.updownSince)
        case .p95:
            // A link that is not up has a stale window: the down rule speaks for it.
            guard stats.state == .up, let p95 = windowP95(stats) else {
                return Reading(value: 0, holds: false, since: nil)
            }
            return Reading(value: p95, holds: p95 > rule.threshold, since: nil)
        case .loss:
            guard stats.state == .up else { return Reading(value: 0, holds: false, since: nil) }
            let percent = windowLossPercent(stats)
            return Reading(value: percent, holds: percent > rule.threshold, since: nil)
        case .queue:
            guard stats.queue.depth > 0, let oldest = stats.queue.oldestT else {
                return Reading(value: 0, holds: false, since: nil)
            }
            return Reading(value: max(0, now - oldest), holds: true, since: oldest)
        case .flap:
            let (drops, first) = drops(stats, within: rule.seconds, now: now)
            return Reading(
                value: Double(drops), holds: Double(drops) >= rule.threshold && drops > 0,
                since: first)
        }
    }

    /// False only when `read` would say the condition does not hold; cheap for every kind
    /// (p95: one pass counting the window's replies above the threshold, no array, no sort).
    /// Runs for every link and rule twice a second.
    @inline(__always)
    static func mayHold(_ kind: AlertRuleKind, rule: AlertRule, _ stats: ConnectionStats) -> Bool {
        switch kind {
        case .p95:
            guard stats.state == .up else { return false }
            let window = stats.rtt.count - min(stats.rtt.count, ConnectionStats.statsWindow)
            var replies = 0
            var above = 0
            for index in window..<stats.rtt.count {
                guard let rtt = stats.rtt[index].rttMs else { continue }
                replies += 1
                if !(rtt <= rule.threshold) { above += 1 }
            }
            guard replies > 0 else { return false }
            // Nearest rank: p95 is the rank-th smallest; it is above the threshold exactly
            // when fewer than `rank` replies are at or below it.
            let rank = min(replies, max(1, (95 * replies + 99) / 100))
            return replies - above < rank
        case .loss:
            return stats.state == .up && windowLossPercent(stats) > rule.threshold
        case .down:
            return isOutage(stats)
        case .queue:
            return stats.queue.depth > 0
        case .flap:
            // A drop is an `up` followed by another state: not in one entry, nor in two
            // that end up.
            let count = stats.history.count
            return count > 2 || (count == 2 && stats.history.last?.state != .up)
        }
    }

    /// The p95 of the ping window (as `RTTStats.p95`), without the other statistics.
    static func windowP95(_ stats: ConnectionStats) -> Double? {
        var rtts: [Double] = []
        rtts.reserveCapacity(ConnectionStats.statsWindow)
        for sample in stats.rtt.suffix(ConnectionStats.statsWindow) {
            if let rtt = sample.rttMs { rtts.append(rtt) }
        }
        rtts.sort()
        return RTTStats.nearestRank(95, of: rtts)
    }

    /// The share of the ping window that timed out, in percent (as `RTTStats.loss`).
    static func windowLossPercent(_ stats: ConnectionStats) -> Double {
        let count = min(stats.rtt.count, ConnectionStats.statsWindow)
        guard count > 0 else { return 0 }
        var timeouts = 0
        for index in (stats.rtt.count - count)..<stats.rtt.count where stats.rtt[index].isTimeout {
            timeouts += 1
        }
        return Double(timeouts) / Double(count) * 100
    }

    /// Times the link left `up` within `window` seconds before `now` (in the kept history),
    /// and when the first of them was.
    static func drops(_ stats: ConnectionStats, within window: Double, now: Double) -> (
        Int, Double?
    ) {
        var count = 0
        var first: Double?
        var wasUp = false
        for change in stats.history.elements {
            let isUp = change.state == .up
            if wasUp && !isUp && change.t >= now - window {
                count += 1
                if first == nil { first = change.t }
            }
            wasUp = isUp
        }
        return (count, first)
    }
}
