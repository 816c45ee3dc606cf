import DnodeProtocol
import UpnodeMonitor

/// One method of the Methods view, summed over the connections of the scope.
struct MethodRow: Equatable {
    var key: TapConnectionStats.MethodKey
    var calls = 0
    var inFlight = 0
    var errors = 0
    var unanswered = 0
    var callsPerSecond = 0.0
    var p50: Double?
    var p95: Double?
    var p99: Double?
    /// When the method was last called.
    var lastT: Double?
}

/// One call of the recent-calls list, with the row (connection) it was made on.
struct MethodCall: Equatable {
    var connection: String
    var trace: TapConnectionStats.CallTrace
}

/// What the Methods view shows, computed from the monitor state. Pure.
enum MethodsQuery {
    /// The tapped connections of `scope`: the row itself when it is tapped, else the tapped
    /// rows of the tap link `scope` (in the order they opened).
    static func tappedRows(_ monitor: MonitorState, scope: ConnectionID) -> [ConnectionStats] {
        if let row = monitor[scope], row.tap != nil { return [row] }
        return monitor.connections.filter {
            $0.tap != nil && TapEvent.tapLink(of: $0.id) == scope
        }
    }

    /// The methods of the scope, sorted as `state` says (ties by name, client calls first).
    static func rows(_ monitor: MonitorState, state: MethodsViewState, now: Double) -> [MethodRow] {
        var merged: [TapConnectionStats.MethodKey: (MethodRow, [Double])] = [:]
        var order: [TapConnectionStats.MethodKey] = []
        for row in tappedRows(monitor, scope: state.scope) {
            guard let tap = row.tap else { continue }
            for (key, stats) in tap.methods {
                var entry = merged[key] ?? (MethodRow(key: key), [])
                if merged[key] == nil { order.append(key) }
                entry.0.calls += stats.calls
                entry.0.inFlight += stats.inFlight
                entry.0.errors += stats.errors
                entry.0.unanswered += stats.unanswered
                entry.0.callsPerSecond += stats.callsPerSecond(now: now)
                if let last = stats.recentStarts.last {
                    entry.0.lastT = max(entry.0.lastT ?? last, last)
                }
                entry.1 += stats.durations.elements
                merged[key] = entry
            }
        }
        let rows = order.compactMap { key -> MethodRow? in
            guard let entry = merged[key] else { return nil }
            var row = entry.0
            let durations = entry.1.sorted()
            row.p50 = RTTStats.nearestRank(50, of: durations)
            row.p95 = RTTStats.nearestRank(95, of: durations)
            row.p99 = RTTStats.nearestRank(99, of: durations)
            return row
        }
        return sorted(rows, by: state.sortKey, ascending: state.sortAscending)
    }

    private static func sorted(_ rows: [MethodRow], by key: MethodSortKey, ascending: Bool)
        -> [MethodRow]
    {
        func value(_ row: MethodRow) -> Double? {
            switch key {
            case .method: return nil
            case .calls: return Double(row.calls)
            case .rate: return row.callsPerSecond
            case .p95: return row.p95
            case .errors: return Double(row.errors + row.unanswered)
            case .last: return row.lastT
            }
        }
        return rows.sorted { lhs, rhs in
            if key != .method {
                switch (value(lhs), value(rhs)) {
                case (let a?, let b?) where a != b: return ascending ? a < b : a > b
                case (.some, nil): return true  // missing data last either way
                case (nil, .some): return false
                default: break
                }
                return lhs.key < rhs.key
            }
            return ascending ? lhs.key < rhs.key : rhs.key < lhs.key
        }
    }

    /// The selected row's index: the chosen method when it is listed, else the first row.
    static func selectedIndex(_ rows: [MethodRow], state: MethodsViewState) -> Int? {
        if let selected = state.selected, let index = rows.firstIndex(where: { $0.key == selected })
        {
            return index
        }
        return rows.isEmpty ? nil : 0
    }

    /// The recent calls of `key` over the scope, newest first (at most
    /// `TapConnectionStats.tracesPerMethod`).
    static func calls(
        _ monitor: MonitorState, scope: ConnectionID, key: TapConnectionStats.MethodKey
    ) -> [MethodCall] {
        var calls: [MethodCall] = []
        for row in tappedRows(monitor, scope: scope) {
            for trace in row.tap?.methods[key]?.traces ?? [] {
                calls.append(MethodCall(connection: row.info.name, trace: trace))
            }
        }
        // Stable: calls made at the same t keep their order (by connection, then id order).
        let ordered = calls.enumerated().sorted { lhs, rhs in
            lhs.element.trace.t != rhs.element.trace.t
                ? lhs.element.trace.t > rhs.element.trace.t : lhs.offset > rhs.offset
        }
        return ordered.prefix(TapConnectionStats.tracesPerMethod).map(\.element)
    }

    /// The view's title: `Methods of tap#1 (127.0.0.1:58364 → 127.0.0.1:7410)`, or for a
    /// tap link `Methods of tap (7 connections → 127.0.0.1:7410)`.
    static func title(_ monitor: MonitorState, scope: ConnectionID) -> String {
        let name = monitor[scope]?.info.name ?? scope.rawValue
        if let row = monitor[scope], let tap = row.tap {
            return "Methods of \(name) (\(tap.client) → \(tap.target))"
        }
        let count = tappedRows(monitor, scope: scope).count
        let target = monitor[scope]?.info.endpoint ?? ""
        let connections = count == 1 ? "1 connection" : "\(count) connections"
        return "Methods of \(name) (\(connections) → \(target))"
    }
}
