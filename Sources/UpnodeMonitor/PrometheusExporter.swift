/// Renders `MonitorState` as Prometheus text exposition (docs/ARCHITECTURE.md, "Headless modes").
///
/// Quantiles cover the stats window; `_sum`, `_count` and the `_total` counters accumulate
/// from the start of the session. The `endpoint` label appears only on `upnode_link_up`
/// so that series stay small.
public enum PrometheusExporter {
    /// The `/metrics` body. `now` is accepted for symmetry with the views; nothing here depends
    /// on it yet.
    public static func render(_ state: MonitorState, now: Double) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ body: (ConnectionStats) -> [String]) {
            out += "# TYPE \(name) \(type)\n"
            for stats in state.connections { for line in body(stats) { out += line + "\n" } }
        }
        func conn(_ stats: ConnectionStats) -> String { "conn=\"\(escapeLabel(stats.info.name))\"" }

        family("upnode_link_up", "gauge") { stats in
            let endpoint = escapeLabel(endpointLabel(stats.info.endpoint))
            let isUp = stats.state == .up ? 1 : 0
            return ["upnode_link_up{\(conn(stats)),endpoint=\"\(endpoint)\"} \(isUp)"]
        }
        family("upnode_ping_seconds", "summary") { stats in
            let window = stats.rttStats
            var lines: [String] = []
            for (quantile, value) in [("0.5", window.p50), ("0.95", window.p95)] {
                let seconds = value.map { number($0 / 1000) } ?? "NaN"
                lines.append(
                    "upnode_ping_seconds{\(conn(stats)),quantile=\"\(quantile)\"} \(seconds)")
            }
            lines.append(
                "upnode_ping_seconds_sum{\(conn(stats))} \(number(stats.pingSumMs / 1000))")
            lines.append("upnode_ping_seconds_count{\(conn(stats))} \(stats.pingCount)")
            return lines
        }
        family("upnode_ping_timeouts_total", "counter") {
            ["upnode_ping_timeouts_total{\(conn($0))} \($0.pingTimeouts)"]
        }
        family("upnode_reconnects_total", "counter") {
            ["upnode_reconnects_total{\(conn($0))} \($0.reconnects)"]
        }
        family("upnode_queue_depth", "gauge") {
            ["upnode_queue_depth{\(conn($0))} \($0.queue.depth)"]
        }
        family("upnode_rpc_total", "counter") { stats in
            let otherErrors = stats.calls.err - stats.calls.timeouts
            return [
                "upnode_rpc_total{\(conn(stats)),result=\"ok\"} \(stats.calls.ok)",
                "upnode_rpc_total{\(conn(stats)),result=\"error\"} \(otherErrors)",
                "upnode_rpc_total{\(conn(stats)),result=\"timeout\"} \(stats.calls.timeouts)",
            ]
        }
        return out
    }

    /// Escapes a label value: backslash, double quote and newline.
    public static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// The endpoint without its scheme, as in the documented example (`127.0.0.1:40113`);
    /// unix sockets keep their path.
    static func endpointLabel(_ endpoint: String) -> String {
        for scheme in ["tcp://", "tls://"] where endpoint.hasPrefix(scheme) {
            return String(endpoint.dropFirst(scheme.count))
        }
        return endpoint
    }

    /// A sample value: shortest decimal, up to 9 places (nanosecond resolution for seconds).
    static func number(_ value: Double) -> String {
        MonitorText.decimal(value, places: 9)
    }
}
