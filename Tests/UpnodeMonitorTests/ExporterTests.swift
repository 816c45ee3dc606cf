import DnodeProtocol
import Testing

@testable import UpnodeMonitor

@Suite("Exporters")
struct ExporterTests {
    func knownState() -> MonitorState {
        let api = ConnectionInfo(
            id: "c1", name: "api", endpoint: "tcp://127.0.0.1:40113",
            options: ConnectionOptions(
                pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))
        let odd = ConnectionInfo(
            id: "c2", name: "we\"ird\\name\n", endpoint: "unix:/run/jobs.sock",
            options: ConnectionOptions(
                pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "exponential"))
        var state = MonitorState(connections: [api, odd])
        let events: [MonitorEvent] = [
            .state(0, "c1", .idle, .connecting, "start"),
            .state(0.5, "c1", .connecting, .up, "ready"),
            .ping(1, "c1", 10), .ping(2, "c1", 20), .ping(3, "c1", 12.4), .timeout(4, "c1"),
            .state(4, "c1", .up, .down, "ping_timeout"),
            MonitorEvent(t: 4, conn: "c1", kind: .reconnect(attempt: 1, delayMs: 1000)),
            .state(5, "c1", .down, .connecting, "retry"),
            .state(5.5, "c1", .connecting, .up, "ready"),
            MonitorEvent(
                t: 6, conn: "c1",
                kind: .queue(
                    depth: 2, oldestMs: 300, enqueued: 4, flushed: 2, expired: 0, failed: nil)),
            MonitorEvent(
                t: 7, conn: "c1",
                kind: .call(id: "m1", method: "status", origin: .manual, args: [], redacted: true)),
            MonitorEvent(
                t: 7.1, conn: "c1",
                kind: .result(id: "m1", n: 1, ok: true, durMs: 13.9, payload: [], redacted: true)),
            MonitorEvent(
                t: 8, conn: "c1",
                kind: .result(
                    id: "m2", n: 1, ok: false, durMs: 5000, payload: ["code": "timeout"],
                    redacted: false)),
            MonitorEvent(
                t: 9, conn: "c1",
                kind: .result(
                    id: "m3", n: 1, ok: false, durMs: 2, payload: ["remote": "<string>"],
                    redacted: true)),
        ]
        for event in events { state.apply(event) }
        return state
    }

    @Test("Prometheus text for a known state")
    func prometheus() {
        let expected = """
            # HELP upnode_link_up Whether the link is up (1) or not (0).
            # TYPE upnode_link_up gauge
            upnode_link_up{conn="api",endpoint="127.0.0.1:40113"} 1
            upnode_link_up{conn="we\\"ird\\\\name\\n",endpoint="unix:/run/jobs.sock"} 0
            # HELP upnode_ping_seconds Heartbeat round-trip time (quantiles over recent pings).
            # TYPE upnode_ping_seconds summary
            upnode_ping_seconds{conn="api",quantile="0.5"} 0.0124
            upnode_ping_seconds{conn="api",quantile="0.95"} 0.02
            upnode_ping_seconds_sum{conn="api"} 0.0424
            upnode_ping_seconds_count{conn="api"} 3
            upnode_ping_seconds{conn="we\\"ird\\\\name\\n",quantile="0.5"} NaN
            upnode_ping_seconds{conn="we\\"ird\\\\name\\n",quantile="0.95"} NaN
            upnode_ping_seconds_sum{conn="we\\"ird\\\\name\\n"} 0
            upnode_ping_seconds_count{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_ping_timeouts_total Heartbeats that got no answer in time.
            # TYPE upnode_ping_timeouts_total counter
            upnode_ping_timeouts_total{conn="api"} 1
            upnode_ping_timeouts_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_reconnects_total Reconnect attempts scheduled; rises during an outage.
            # TYPE upnode_reconnects_total counter
            upnode_reconnects_total{conn="api"} 1
            upnode_reconnects_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_disconnects_total Times the link left the up state.
            # TYPE upnode_disconnects_total counter
            upnode_disconnects_total{conn="api"} 1
            upnode_disconnects_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_queue_depth Transactions queued now, waiting for the link.
            # TYPE upnode_queue_depth gauge
            upnode_queue_depth{conn="api"} 2
            upnode_queue_depth{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_queue_enqueued_total Transactions that entered the queue.
            # TYPE upnode_queue_enqueued_total counter
            upnode_queue_enqueued_total{conn="api"} 4
            upnode_queue_enqueued_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_queue_flushed_total Queued transactions sent once the link was up.
            # TYPE upnode_queue_flushed_total counter
            upnode_queue_flushed_total{conn="api"} 2
            upnode_queue_flushed_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_queue_expired_total Queued transactions dropped after waiting too long.
            # TYPE upnode_queue_expired_total counter
            upnode_queue_expired_total{conn="api"} 0
            upnode_queue_expired_total{conn="we\\"ird\\\\name\\n"} 0
            # HELP upnode_rpc_total Calls by first outcome: ok, error (remote or link) or timeout.
            # TYPE upnode_rpc_total counter
            upnode_rpc_total{conn="api",result="ok"} 1
            upnode_rpc_total{conn="api",result="error"} 1
            upnode_rpc_total{conn="api",result="timeout"} 1
            upnode_rpc_total{conn="we\\"ird\\\\name\\n",result="ok"} 0
            upnode_rpc_total{conn="we\\"ird\\\\name\\n",result="error"} 0
            upnode_rpc_total{conn="we\\"ird\\\\name\\n",result="timeout"} 0
            # HELP upmon_alert_firing Alerts of upmon's own rules firing now (1), by link and rule.
            # TYPE upmon_alert_firing gauge

            """
        #expect(PrometheusExporter.render(knownState(), now: 10) == expected)
    }

    @Test("--once --json snapshot")
    func onceJSON() throws {
        let snapshot = SnapshotJSON.render(knownState(), now: 10, configName: "prod")
        let api = try #require(snapshot["connections"]?.arrayValue?.first)
        #expect(snapshot["config"] == "prod")
        #expect(snapshot["t"] == 10)
        #expect(api["name"] == "api")
        #expect(api["endpoint"] == "tcp://127.0.0.1:40113")
        #expect(api["state"] == "up")
        #expect(api["for_s"] == 4.5)
        #expect(api["rtt"] == ["last": 12.4, "p50": 12.4, "p95": 20, "jitter": 8.8, "loss": 0.25])
        #expect(api["reconnects"] == 1)
        #expect(api["queue"] == 2)
        #expect(api["calls"] == ["ok": 1, "err": 2])
        #expect(SnapshotJSON.exitCode(knownState()) == 1)
        let second = try #require(snapshot["connections"]?.arrayValue?.last)
        #expect(second["rtt"]?["p50"] == .null)
    }
}
