import DnodeProtocol

/// The single JSON object `upmon --once --json` prints (docs/ARCHITECTURE.md, "Headless modes").
public enum SnapshotJSON {
    /// `{"config":…,"t":…,"connections":[{name, endpoint, state, for_s, since, reason,
    /// failures, rtt{…}, reconnects, queue, calls{ok,err}}]}`. RTT figures are milliseconds;
    /// `loss` is a fraction 0…1. `since` is when the link last went up or stopped being up
    /// (session seconds; retry cycles do not move it); `reason` says in a few words why it
    /// is not up (`null` while up). Missing measurements are `null`.
    public static func render(_ state: MonitorState, now: Double, configName: String? = nil)
        -> JSONValue
    {
        let links = state.connections.map { stats -> JSONValue in
            let rtt = stats.rttStats
            func ms(_ value: Double?) -> JSONValue { value.map(JSONValue.milliseconds) ?? .null }
            return .makeObject([
                ("id", .string(stats.id.rawValue)),
                ("name", .string(stats.info.name)),
                ("endpoint", .string(stats.info.endpoint)),
                ("state", .string(stats.state.rawValue)),
                ("for_s", .milliseconds(stats.timeInState(now: now))),
                ("since", .milliseconds(MonitorEvent.roundedTime(stats.updownSince))),
                ("reason", stats.whyNotUp.map(JSONValue.string) ?? .null),
                ("failures", .int(Int64(stats.failures))),
                (
                    "rtt",
                    .makeObject([
                        ("last", ms(rtt.last)), ("p50", ms(rtt.p50)), ("p95", ms(rtt.p95)),
                        ("jitter", ms(rtt.jitter)), ("loss", .milliseconds(rtt.loss)),
                    ])
                ),
                ("reconnects", .int(Int64(stats.reconnects))),
                ("queue", .int(Int64(stats.queue.depth))),
                (
                    "calls",
                    .makeObject([
                        ("ok", .int(Int64(stats.calls.ok))), ("err", .int(Int64(stats.calls.err))),
                    ])
                ),
            ])
        }
        var members: [(String, JSONValue)] = []
        if let configName { members.append(("config", .string(configName))) }
        members += [
            ("t", .milliseconds(MonitorEvent.roundedTime(now))), ("connections", .array(links)),
        ]
        return .makeObject(members)
    }

    /// Exit status for `--once`: 0 when every link is up, 1 otherwise.
    public static func exitCode(_ state: MonitorState) -> Int32 {
        state.connections.allSatisfy { $0.state == .up } ? 0 : 1
    }
}
