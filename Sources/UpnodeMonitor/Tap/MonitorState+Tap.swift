/// Tapped connections as rows of the monitor (docs/RECORDING.md, "Tap events").
extension MonitorState {
    /// Tapped-connection rows kept; past it the oldest closed (or else oldest) row goes.
    public static let maxTapRows = 256

    mutating func applyTap(_ tapEvent: TapEvent, t: Double, conn: ConnectionID?) {
        guard let conn else { return }
        if case .open(let name, let client, let target) = tapEvent {
            openTapRow(conn, name: name, client: client, target: target, t: t)
            return
        }
        guard let index = indexByID[conn], connections[index].tap != nil else { return }
        let before = Totals.Share(connections[index])
        let firstOutcome = connections[index].tap?.apply(tapEvent, t: t) ?? nil
        if let ok = firstOutcome, case .result(_, _, _, _, _, let durMs, _, _) = tapEvent {
            if ok { connections[index].calls.ok += 1 } else { connections[index].calls.err += 1 }
            connections[index].calls.lastDurationMs = durMs
        }
        let after = Totals.Share(connections[index])
        if before != after {
            totals.add(before, sign: -1)
            totals.add(after, sign: 1)
        }
        switch tapEvent {
        case .result(_, let method, let caller, 1, false, let durMs, _, _):
            let key = TapConnectionStats.MethodKey(caller: caller, method: method)
            log.append(
                LogEntry(
                    t: t, conn: conn, level: .warning,
                    event: .result(
                        method: MonitorText.bounded(key.label), n: 1, ok: false, durMs: durMs,
                        errorCode: "remote")))
        case .unanswered(_, let method, let caller, let afterMs, let reason):
            let key = TapConnectionStats.MethodKey(caller: caller, method: method)
            log.append(
                LogEntry(
                    t: t, conn: conn, level: .warning,
                    event: .result(
                        method: MonitorText.bounded(key.label), n: 1, ok: false, durMs: afterMs,
                        errorCode: "unanswered, \(MonitorText.bounded(reason, toBytes: 32))")))
        default:
            break
        }
    }

    private mutating func openTapRow(
        _ conn: ConnectionID, name: String, client: String, target: String, t: Double
    ) {
        guard indexByID[conn] == nil else { return }
        let tapRows = connections.indices.filter { connections[$0].tap != nil }
        if tapRows.count >= Self.maxTapRows {
            let victim =
                tapRows.first { [.closed, .down].contains(connections[$0].state) }
                ?? tapRows[0]
            totals.add(connections[victim], sign: -1)
            connections.remove(at: victim)
            indexByID = [:]
            for (position, entry) in connections.enumerated() where indexByID[entry.id] == nil {
                indexByID[entry.id] = position
            }
        }
        var stats = ConnectionStats(info: Self.tapRowInfo(conn, name: name, client: client))
        stats.tap = TapConnectionStats(
            client: MonitorText.bounded(client), target: MonitorText.bounded(target), t: t)
        stats.since = t
        connections.append(stats)
        indexByID[conn] = connections.count - 1
        totals.add(stats, sign: 1)
        log.append(
            LogEntry(
                t: t, conn: conn,
                event: .note(
                    text: "tapped \(MonitorText.bounded(client)) → "
                        + MonitorText.bounded(target))))
    }
}
