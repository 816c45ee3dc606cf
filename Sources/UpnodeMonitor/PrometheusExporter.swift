/// Renders `MonitorState` as Prometheus text exposition (docs/ARCHITECTURE.md, "Headless modes").
///
/// Every family has `# HELP` and `# TYPE` so that `promtool check metrics` finds nothing to
/// report. Quantiles cover the stats window; `_sum`, `_count` and the `_total` counters
/// accumulate from the start of the session. The `endpoint` label appears only on
/// `upnode_link_up` so that series stay small.
public enum PrometheusExporter {
    /// One metric family: name, type and help text; `samples` gives one link's lines.
    struct Family: Sendable {
        let name: String
        let type: String
        let help: String
        let samples: @Sendable (ConnectionStats, String) -> [String]

        /// A family with one sample per link, `name{conn} value`.
        static func single(
            _ name: String, type: String, help: String,
            value: @escaping @Sendable (ConnectionStats) -> Int
        ) -> Family {
            Family(name: name, type: type, help: help) { stats, conn in
                ["\(name){\(conn)} \(value(stats))"]
            }
        }
    }

    /// The `/metrics` body. `now` is accepted for symmetry with the views; nothing here depends
    /// on it yet.
    public static func render(_ state: MonitorState, now: Double) -> String {
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            for stats in state.connections {
                let conn = "conn=\"\(escapeLabel(stats.info.name))\""
                for line in family.samples(stats, conn) { out += line + "\n" }
            }
        }
        out += alertFamily(state)
        out += TapMetrics.render(state)
        return out
    }

    /// `upmon_alert_firing`: one sample of 1 per alert firing, labelled with its link and rule
    /// (docs/ARCHITECTURE.md, "Alerts"); no samples while nothing fires.
    static func alertFamily(_ state: MonitorState) -> String {
        let name = "upmon_alert_firing"
        var out =
            "# HELP \(name) Alerts of upmon's own rules firing now (1), by link and rule.\n"
            + "# TYPE \(name) gauge\n"
        for entry in state.alerts.firing {
            let link = state[entry.conn]?.info.name ?? entry.conn.rawValue
            out +=
                "\(name){conn=\"\(escapeLabel(link))\",rule=\"\(escapeLabel(entry.rule))\"} 1\n"
        }
        return out
    }

    /// The families in output order; the alert rules and the Grafana dashboard in contrib/
    /// may only use these names (`PrometheusTests` checks).
    static let families: [Family] = [
        Family(
            name: "upnode_link_up", type: "gauge",
            help: "Whether the link is up (1) or not (0)."
        ) { stats, conn in
            let endpoint = escapeLabel(endpointLabel(stats.info.endpoint))
            return [
                "upnode_link_up{\(conn),endpoint=\"\(endpoint)\"} \(stats.state == .up ? 1 : 0)"
            ]
        },
        Family(
            name: "upnode_ping_seconds", type: "summary",
            help: "Heartbeat round-trip time (quantiles over recent pings)."
        ) { stats, conn in
            let window = stats.rttStats
            var lines: [String] = []
            for (quantile, value) in [("0.5", window.p50), ("0.95", window.p95)] {
                let seconds = value.map { number($0 / 1000) } ?? "NaN"
                lines.append("upnode_ping_seconds{\(conn),quantile=\"\(quantile)\"} \(seconds)")
            }
            lines.append("upnode_ping_seconds_sum{\(conn)} \(number(stats.pingSumMs / 1000))")
            lines.append("upnode_ping_seconds_count{\(conn)} \(stats.pingCount)")
            return lines
        },
        .single(
            "upnode_ping_timeouts_total", type: "counter",
            help: "Heartbeats that got no answer in time.",
            value: \.pingTimeouts),
        .single(
            "upnode_reconnects_total", type: "counter",
            help: "Reconnect attempts scheduled; rises during an outage.",
            value: \.reconnects),
        .single(
            "upnode_disconnects_total", type: "counter",
            help: "Times the link left the up state.",
            value: \.disconnects),
        .single(
            "upnode_queue_depth", type: "gauge",
            help: "Transactions queued now, waiting for the link.",
            value: \.queue.depth),
        .single(
            "upnode_queue_enqueued_total", type: "counter",
            help: "Transactions that entered the queue.",
            value: \.queue.enqueued),
        .single(
            "upnode_queue_flushed_total", type: "counter",
            help: "Queued transactions sent once the link was up.",
            value: \.queue.flushed),
        .single(
            "upnode_queue_expired_total", type: "counter",
            help: "Queued transactions dropped after waiting too long.",
            value: \.queue.expired),
        Family(
            name: "upnode_rpc_total", type: "counter",
            help: "Calls by first outcome: ok, error (remote or link) or timeout."
        ) { stats, conn in
            let otherErrors = stats.calls.err - stats.calls.timeouts
            return [
                "upnode_rpc_total{\(conn),result=\"ok\"} \(stats.calls.ok)",
                "upnode_rpc_total{\(conn),result=\"error\"} \(otherErrors)",
                "upnode_rpc_total{\(conn),result=\"timeout\"} \(stats.calls.timeouts)",
            ]
        },
    ]

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
