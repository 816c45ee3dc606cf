import UpnodeMonitor

/// A parsed table filter: tokens `state:down`, `queue:>0`, `loss:>1` (percent),
/// `p95:>100` (ms), and plain words matched as substrings of name or endpoint. All must match.
public struct ConnectionFilter: Sendable, Equatable {
    /// A numeric comparison.
    public enum Comparison: Sendable, Equatable {
        case greater, greaterOrEqual, less, lessOrEqual, equal
        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .greater: return lhs > rhs
            case .greaterOrEqual: return lhs >= rhs
            case .less: return lhs < rhs
            case .lessOrEqual: return lhs <= rhs
            case .equal: return lhs == rhs
            }
        }
    }

    /// One filter term.
    public enum Term: Sendable, Equatable {
        case state(String)
        case queue(Comparison, Double)
        case loss(Comparison, Double)
        case p95(Comparison, Double)
        case text(String)
    }

    /// The terms, all of which must match.
    public var terms: [Term]

    /// Parses `text`; anything that is not a recognised token is a substring term.
    public init(_ text: String) {
        terms = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { token in
            ConnectionFilter.term(String(token))
        }
    }

    /// True when nothing is filtered.
    public var isEmpty: Bool { terms.isEmpty }

    private static func term(_ token: String) -> Term {
        let lower = token.lowercased()
        guard let colon = lower.firstIndex(of: ":") else { return .text(lower) }
        let key = String(lower[..<colon])
        let value = String(lower[lower.index(after: colon)...])
        if key == "state", !value.isEmpty { return .state(value) }
        guard let (comparison, number) = comparison(value) else { return .text(lower) }
        switch key {
        case "queue": return .queue(comparison, number)
        case "loss": return .loss(comparison, number)
        case "p95": return .p95(comparison, number)
        default: return .text(lower)
        }
    }

    private static func comparison(_ text: String) -> (Comparison, Double)? {
        let operators: [(String, Comparison)] = [
            (">=", .greaterOrEqual), ("<=", .lessOrEqual), (">", .greater), ("<", .less),
            ("=", .equal),
        ]
        for (prefix, comparison) in operators where text.hasPrefix(prefix) {
            return Double(text.dropFirst(prefix.count)).map { (comparison, $0) }
        }
        return Double(text).map { (.equal, $0) }
    }

    /// Whether `stats` passes every term.
    public func matches(_ stats: ConnectionStats) -> Bool {
        guard !terms.isEmpty else { return true }
        var rtt: RTTStats?
        func lazyStats() -> RTTStats {
            if let rtt { return rtt }
            let computed = stats.rttStats
            rtt = computed
            return computed
        }
        for term in terms {
            switch term {
            case .state(let word):
                guard ConnectionFilter.stateMatches(stats, word) else { return false }
            case .queue(let comparison, let value):
                guard comparison.holds(Double(stats.queue.depth), value) else { return false }
            case .loss(let comparison, let value):
                guard comparison.holds(lazyStats().loss * 100, value) else { return false }
            case .p95(let comparison, let value):
                guard let p95 = lazyStats().p95, comparison.holds(p95, value) else { return false }
            case .text(let needle):
                guard
                    stats.info.name.lowercased().contains(needle)
                        || stats.info.endpoint.lowercased().contains(needle)
                else { return false }
            }
        }
        return true
    }

    private static func stateMatches(_ stats: ConnectionStats, _ word: String) -> Bool {
        switch word {
        case "held": return stats.isHeld
        case "retry": return stats.state == .reconnecting
        case "conn", "connecting": return stats.state == .connecting
        case "dial", "tls", "methods", "auth":
            return stats.state == .connecting && stats.phase?.rawValue == word
        default: return stats.state.rawValue == word
        }
    }
}

/// The table's rows: the displayed links, filtered and sorted.
public enum ConnectionQuery {
    /// Indices into `monitor.connections` of the links that pass the filter, in sort order.
    /// Ties fall back to the name, then the id, so the order is stable.
    public static func rows(_ monitor: MonitorState, ui: UIState) -> [Int] {
        let filter = ConnectionFilter(ui.filterText)
        let connections = monitor.connections
        let indices = connections.indices.filter { filter.matches(connections[$0]) }
        let keys = indices.map { sortValue(connections[$0], key: ui.sortKey) }
        let order = indices.indices.sorted { a, b in
            let lhs = connections[indices[a]]
            let rhs = connections[indices[b]]
            if keys[a] != keys[b] {
                return ui.sortAscending ? keys[a] < keys[b] : keys[a] > keys[b]
            }
            if lhs.info.name != rhs.info.name { return lhs.info.name < rhs.info.name }
            return lhs.id < rhs.id
        }
        return order.map { indices[$0] }
    }

    /// The value a link is sorted by under `key`; missing data sorts last when ascending.
    static func sortValue(_ stats: ConnectionStats, key: UIState.SortKey) -> SortValue {
        switch key {
        case .name: return .text(stats.info.name)
        case .state: return .number(Double(ThemeRoles.severity(stats)))
        case .last:
            let rtt = stats.rtt.last
            if let rtt, rtt.isTimeout { return .number(Double.greatestFiniteMagnitude) }
            return rtt?.rttMs.map(SortValue.number) ?? .missing
        case .p95: return stats.rttStats.p95.map(SortValue.number) ?? .missing
        case .loss: return .number(stats.rttStats.loss)
        case .queue: return .number(Double(stats.queue.depth))
        case .retry: return .number(Double(stats.attempt))
        }
    }

    /// A sortable cell value.
    enum SortValue: Comparable {
        case number(Double)
        case text(String)
        case missing
    }

    /// The selected link as shown: the chosen id when it is visible, else the first row.
    public static func effectiveSelection(
        _ monitor: MonitorState, ui: UIState, rows: [Int]
    ) -> ConnectionID? {
        if let selected = ui.selected,
            rows.contains(where: { monitor.connections[$0].id == selected })
        {
            return selected
        }
        return rows.first.map { monitor.connections[$0].id }
    }

    /// The time the FOR column counts from: when the link last went up or stopped being up.
    /// Retry cycles (down → reconnecting → connecting) do not reset it.
    public static func upBoundary(_ stats: ConnectionStats) -> Double {
        let history = stats.history.elements
        let isUp = stats.state == .up
        var boundary = stats.since
        for change in history.reversed() {
            if (change.state == .up) != isUp { return boundary }
            boundary = change.t
        }
        // Never up in the kept history: count from the first attempt.
        return isUp ? boundary : min(boundary, stats.firstAttemptT ?? boundary)
    }

    /// Whether the oldest queued item has waited past the stuck threshold.
    public static func isQueueStuck(_ stats: ConnectionStats, now: Double, thresholds: Thresholds)
        -> Bool
    {
        guard stats.queue.depth > 0, let oldest = stats.queue.oldestT else { return false }
        return (now - oldest) * 1000 >= thresholds.queueStuckAfterMs
    }
}
