import UpnodeMonitor

/// A parsed table filter: tokens `state:down` (every link not up), `state:!up` (negated),
/// `queue:>0`, `loss:>1` (percent), `p95:>100` (milliseconds; `50ms`, `0.2s` too), and plain
/// words matched as substrings of name or endpoint. All must match.
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
        /// A state word; `negated` for `state:!word`.
        case state(String, negated: Bool)
        case queue(Comparison, Double)
        case loss(Comparison, Double)
        case p95(Comparison, Double)
        case text(String)
    }

    /// What is wrong with a filter and where: `column` is the 1-based position of the
    /// offending token in the text.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The token as typed.
        public var token: String
        /// 1-based column of the token.
        public var column: Int
        /// What it needs, e.g. `p95 needs a duration, e.g. p95:>50ms`.
        public var message: String
        /// `p95 needs a duration, e.g. p95:>50ms (at 'p95:>abc', column 1)`.
        public var description: String { "\(message) (at '\(token)', column \(column))" }
    }

    /// The state words `state:` takes.
    static let stateWords = [
        "up", "down", "retry", "reconnecting", "connecting", "conn", "dial", "tls", "methods",
        "auth", "idle", "closed", "held",
    ]

    /// The terms, all of which must match.
    public var terms: [Term]

    /// Parses `text` leniently: a token that does not parse is a substring term. The table
    /// uses this; the editor checks with `parse` first.
    public init(_ text: String) {
        terms = Self.tokens(text).map { (try? Self.term($0.text)) ?? .text($0.text.lowercased()) }
    }

    /// Parses `text`, refusing a key it knows with a value it cannot use.
    public static func parse(_ text: String) throws(ParseError) -> ConnectionFilter {
        var terms: [Term] = []
        for token in tokens(text) {
            do {
                terms.append(try term(token.text))
            } catch {
                throw ParseError(token: token.text, column: token.column, message: error.message)
            }
        }
        return ConnectionFilter(terms: terms)
    }

    init(terms: [Term]) { self.terms = terms }

    /// True when nothing is filtered.
    public var isEmpty: Bool { terms.isEmpty }

    struct TermError: Error { var message: String }

    /// The space-separated tokens with their 1-based columns.
    private static func tokens(_ text: String) -> [(text: String, column: Int)] {
        var result: [(text: String, column: Int)] = []
        var current = ""
        var start = 1
        var column = 0
        for character in text {
            column += 1
            if character == " " || character == "\t" {
                if !current.isEmpty { result.append((current, start)) }
                current = ""
            } else {
                if current.isEmpty { start = column }
                current.append(character)
            }
        }
        if !current.isEmpty { result.append((current, start)) }
        return result
    }

    private static func term(_ token: String) throws(TermError) -> Term {
        let lower = token.lowercased()
        guard let colon = lower.firstIndex(of: ":") else { return .text(lower) }
        let key = String(lower[..<colon])
        let value = String(lower[lower.index(after: colon)...])
        switch key {
        case "state":
            let negated = value.hasPrefix("!")
            let word = negated ? String(value.dropFirst()) : value
            guard stateWords.contains(word) else {
                throw TermError(
                    message: "state needs up, down, retry, connecting, idle, closed or held, "
                        + "e.g. state:down or state:!up")
            }
            return .state(word, negated: negated)
        case "queue":
            guard let (comparison, number) = comparison(value, unit: { Double($0) }) else {
                throw TermError(message: "queue needs a number, e.g. queue:>0")
            }
            return .queue(comparison, number)
        case "loss":
            guard let (comparison, number) = comparison(value, unit: percent) else {
                throw TermError(message: "loss needs a percentage, e.g. loss:>1")
            }
            return .loss(comparison, number)
        case "p95":
            guard let (comparison, number) = comparison(value, unit: milliseconds) else {
                throw TermError(message: "p95 needs a duration, e.g. p95:>50ms")
            }
            return .p95(comparison, number)
        default:
            return .text(lower)
        }
    }

    /// `50`, `50ms`, `0.2s` in milliseconds.
    private static func milliseconds(_ text: String) -> Double? {
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) }
        if text.hasSuffix("s") { return Double(text.dropLast()).map { $0 * 1000 } }
        return Double(text)
    }

    /// `1` or `1%`.
    private static func percent(_ text: String) -> Double? {
        Double(text.hasSuffix("%") ? String(text.dropLast()) : text)
    }

    private static func comparison(_ text: String, unit: (String) -> Double?) -> (
        Comparison, Double
    )? {
        let operators: [(String, Comparison)] = [
            (">=", .greaterOrEqual), ("<=", .lessOrEqual), (">", .greater), ("<", .less),
            ("=", .equal),
        ]
        for (prefix, comparison) in operators where text.hasPrefix(prefix) {
            return unit(String(text.dropFirst(prefix.count))).flatMap {
                $0.isFinite ? (comparison, $0) : nil
            }
        }
        return unit(text).flatMap { $0.isFinite ? (.equal, $0) : nil }
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
            case .state(let word, let negated):
                guard ConnectionFilter.stateMatches(stats, word) != negated else { return false }
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
        // Every link that is trying and not up: a retrying link is down to its users.
        case "down": return [.down, .reconnecting, .connecting].contains(stats.state)
        case "retry", "reconnecting": return stats.state == .reconnecting
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
    public static func upBoundary(_ stats: ConnectionStats) -> Double { stats.updownSince }

    /// Whether the oldest queued item has waited past the stuck threshold.
    public static func isQueueStuck(_ stats: ConnectionStats, now: Double, thresholds: Thresholds)
        -> Bool
    {
        guard stats.queue.depth > 0, let oldest = stats.queue.oldestT else { return false }
        return (now - oldest) * 1000 >= thresholds.queueStuckAfterMs
    }
}
