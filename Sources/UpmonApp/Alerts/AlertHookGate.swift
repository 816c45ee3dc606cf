import UpnodeMonitor

/// The `on_alert` rate limits, as a pure value (docs/ARCHITECTURE.md, "Alerts").
///
/// A firing alert runs the hook unless the same rule on the same link ran it less than
/// `minInterval` ago, or `maxPerMinute` firing runs happened in the last 60 seconds. A
/// resolution runs exactly when its firing ran, so a script never hears of an end without a
/// start; resolutions are therefore bounded by the firings and need no limit of their own.
struct AlertHookGate: Sendable, Equatable {
    /// The window of the global limit.
    static let window = 60.0

    let minInterval: Double
    let maxPerMinute: Int
    /// When each rule and link last ran a firing hook.
    private(set) var lastFiring: [String: Double] = [:]
    /// Firings that ran and whose resolution has not run yet.
    private(set) var open: Set<String> = []
    /// Times of the firing runs in the last `window`, oldest first (at most `maxPerMinute`).
    private(set) var recent: [Double] = []
    /// Firings skipped since the last one that ran.
    private(set) var skipped = 0

    init(minInterval: Double, maxPerMinute: Int) {
        self.minInterval = minInterval
        self.maxPerMinute = maxPerMinute
    }

    /// What to do with one change.
    enum Decision: Equatable {
        /// Run it; `skippedBefore` firings were skipped since the previous run.
        case run(skippedBefore: Int)
        /// Skip it; `first` when it starts a run of skips (the one worth a log line).
        case skip(first: Bool)
        /// A resolution whose firing did not run: nothing to say.
        case silent
    }

    mutating func admit(conn: ConnectionID, rule: String, state: AlertChange.State, now: Double)
        -> Decision
    {
        let key = conn.rawValue + "\u{0}" + rule
        switch state {
        case .resolved:
            return open.remove(key) != nil ? .run(skippedBefore: 0) : .silent
        case .firing:
            recent.removeAll { $0 <= now - Self.window }
            let tooSoon = lastFiring[key].map { now - $0 < minInterval } ?? false
            guard !tooSoon, recent.count < maxPerMinute else {
                skipped += 1
                return .skip(first: skipped == 1)
            }
            lastFiring[key] = now
            open.insert(key)
            recent.append(now)
            defer { skipped = 0 }
            return .run(skippedBefore: skipped)
        }
    }
}
