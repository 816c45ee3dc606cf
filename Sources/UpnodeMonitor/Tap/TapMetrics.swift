/// The Prometheus families of tapped connections, appended to `PrometheusExporter.render`
/// only when the session has one (so a `watch` scrape is unchanged).
///
/// Per tapped connection (`conn`, its row name) and method (`method`, and `caller`: `client`
/// for the client's calls of server methods, `server` for the other way round).
enum TapMetrics {
    typealias Stats = TapConnectionStats

    static func render(_ state: MonitorState) -> String {
        let tapped = state.connections.compactMap { row in
            row.tap.map { (PrometheusExporter.escapeLabel(row.info.name), $0) }
        }
        guard !tapped.isEmpty else { return "" }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func perMethod(_ body: (String, Stats.MethodStats) -> Void) {
            for (conn, tap) in tapped {
                for (key, stats) in tap.methods {
                    let method = PrometheusExporter.escapeLabel(key.method)
                    body(
                        "conn=\"\(conn)\",method=\"\(method)\",caller=\"\(key.caller.rawValue)\"",
                        stats)
                }
            }
        }
        family(
            "upmon_tap_call_duration_seconds", "histogram",
            "Time from a tapped call to its first answer.")
        perMethod { labels, stats in
            for (index, bound) in Stats.bucketBounds.enumerated() {
                let le = PrometheusExporter.number(bound)
                out +=
                    "upmon_tap_call_duration_seconds_bucket{\(labels),le=\"\(le)\"} \(stats.buckets[index])\n"
            }
            out +=
                "upmon_tap_call_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(stats.answered)\n"
            out +=
                "upmon_tap_call_duration_seconds_sum{\(labels)} \(PrometheusExporter.number(stats.sumMs / 1000))\n"
            out += "upmon_tap_call_duration_seconds_count{\(labels)} \(stats.answered)\n"
        }
        let counters: [(String, String, String, (Stats.MethodStats) -> Int)] = [
            ("upmon_tap_calls_total", "counter", "Tapped calls made.", { $0.calls }),
            (
                "upmon_tap_errors_total", "counter",
                "Tapped calls whose first answer was an error.",
                { $0.errors }
            ),
            (
                "upmon_tap_unanswered_total", "counter",
                "Tapped calls that got no answer in time (or whose connection ended first).",
                { $0.unanswered }
            ),
            (
                "upmon_tap_streamed_total", "counter",
                "Answers after the first (streaming callbacks).", { $0.streamed }
            ),
            (
                "upmon_tap_in_flight", "gauge", "Tapped calls waiting for a first answer.",
                { $0.inFlight }
            ),
        ]
        for (name, type, help, value) in counters {
            family(name, type, help)
            perMethod { labels, stats in out += "\(name){\(labels)} \(value(stats))\n" }
        }
        family("upmon_tap_bytes_total", "counter", "Bytes through the tap, by direction.")
        for (conn, tap) in tapped {
            out += "upmon_tap_bytes_total{conn=\"\(conn)\",direction=\"c2s\"} \(tap.bytesC2S)\n"
            out += "upmon_tap_bytes_total{conn=\"\(conn)\",direction=\"s2c\"} \(tap.bytesS2C)\n"
        }
        return out
    }
}
