import CoreMetrics
import Metrics

/// A client's swift-metrics instruments, all with the link's name as the `link` dimension.
///
/// Made only when a metrics backend is there (see `UpnodeTelemetry`), so a link costs
/// nothing for metrics nobody collects.
final class LinkMetrics: Sendable {
    let up: Gauge
    let reconnects: Counter
    let pingRoundTrip: Timer
    let pingTimeouts: Counter
    let queueDepth: Gauge
    /// Calls by result: `ok` and the `UpnodeError` codes (`timeout`, `link_down`, …).
    let calls: [String: Counter]
    let otherCalls: Counter
    let bytesReceived: Counter
    let bytesSent: Counter

    static let callResults = [
        "ok", "timeout", "link_down", "remote", "no_such_method", "cancelled", "closed",
    ]

    init(name: String, factory: any MetricsFactory) {
        let link = [("link", name)]
        up = Gauge(label: "upnode_client_up", dimensions: link, factory: factory)
        reconnects = Counter(
            label: "upnode_client_reconnects_total", dimensions: link, factory: factory)
        pingRoundTrip = Timer(
            label: "upnode_client_ping_rtt_seconds", dimensions: link,
            preferredDisplayUnit: .seconds, factory: factory)
        pingTimeouts = Counter(
            label: "upnode_client_ping_timeouts_total", dimensions: link, factory: factory)
        queueDepth = Gauge(label: "upnode_client_queue_depth", dimensions: link, factory: factory)
        var calls: [String: Counter] = [:]
        for result in Self.callResults {
            calls[result] = Counter(
                label: "upnode_client_calls_total", dimensions: link + [("result", result)],
                factory: factory)
        }
        self.calls = calls
        otherCalls = Counter(
            label: "upnode_client_calls_total", dimensions: link + [("result", "other")],
            factory: factory)
        bytesReceived = Counter(
            label: "upnode_client_received_bytes_total", dimensions: link, factory: factory)
        bytesSent = Counter(
            label: "upnode_client_sent_bytes_total", dimensions: link, factory: factory)
    }

    func observe(_ event: UpnodeEvent) {
        switch event {
        case .state(let from, let to, _):
            if to == .up { up.record(1) } else if from == .up { up.record(0) }
        case .reconnectScheduled:
            reconnects.increment()
        case .ping(let rtt):
            pingRoundTrip.record(duration: rtt)
        case .pingTimeout:
            pingTimeouts.increment()
        case .queue(let stats):
            queueDepth.record(stats.depth)
        case .remoteMethods, .warning:
            break
        }
    }

    /// Counts one finished request by its result code (`ok` or an error's `code`).
    func countCall(_ result: String) {
        (calls[result] ?? otherCalls).increment()
    }
}
