import CoreMetrics
import Logging
import Synchronization

/// Where a client or server reports its life: a swift-log `Logger` and a swift-metrics
/// factory. Both are off unless the app asks: the default logger discards everything, and
/// metrics go to `MetricsSystem.factory`, which is a no-op until the app bootstraps a backend.
public struct UpnodeTelemetry: Sendable {
    /// Link life (connect, up, down with the reason, reconnects, auth and TLS failures,
    /// oversize lines) at `info`…`error`; nothing per message above `trace`.
    public var logger: Logger
    /// Reconnects, ping round trips, queue depth, calls by result; nil: `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?

    /// A logger that discards everything: the default, so a library stays quiet unless asked.
    public static let loggingDisabled = Logger(
        label: "upnode",
        factory: { _ in
            SwiftLogNoOpLogHandler()
        })

    /// Telemetry that logs to `logger` and reports metrics to `metricsFactory`
    /// (`nil`: `MetricsSystem.factory`).
    public init(logger: Logger = loggingDisabled, metricsFactory: (any MetricsFactory)? = nil) {
        self.logger = logger
        self.metricsFactory = metricsFactory
    }

    /// The factory to report to, or nil when metrics would go nowhere (saves the bookkeeping).
    var activeMetricsFactory: (any MetricsFactory)? {
        let factory = metricsFactory ?? MetricsSystem.factory
        return factory is NOOPMetricsHandler ? nil : factory
    }
}

/// A client's log lines and metrics, derived from its events on the link's event loop.
final class LinkTelemetry: Sendable {
    let logger: Logger
    let metrics: LinkMetrics?
    /// The reason of the last connect failure logged at `warning`: repeats of the same failure
    /// while the link keeps retrying go to `debug`, so a dead peer is one line, not one a second.
    let lastFailure = Mutex<String?>(nil)

    init(name: String, endpoint: Endpoint, telemetry: UpnodeTelemetry) {
        var logger = telemetry.logger
        logger[metadataKey: "upnode.link"] = "\(name)"
        logger[metadataKey: "upnode.endpoint"] = "\(endpoint)"
        self.logger = logger
        self.metrics = telemetry.activeMetricsFactory.map { LinkMetrics(name: name, factory: $0) }
    }

    func observe(_ event: UpnodeEvent) {
        metrics?.observe(event)
        switch event {
        case .state(let from, let to, let reason):
            logTransition(from: from, to: to, reason: reason)
        case .reconnectScheduled(let attempt, let delay):
            logger.debug(
                "reconnect scheduled",
                metadata: [
                    "upnode.attempt": "\(attempt)", "upnode.delay": "\(delay.shortDescription)",
                ])
        case .pingTimeout(let after, let consecutive):
            logger.warning(
                "ping unanswered",
                metadata: [
                    "upnode.after": "\(after.shortDescription)",
                    "upnode.consecutive": "\(consecutive)",
                ])
        case .warning(let text):
            logger.warning("\(text)")
        case .remoteMethods(let methods):
            logger.debug("remote methods", metadata: ["upnode.methods": "\(methods)"])
        case .ping(let rtt):
            logger.trace("ping", metadata: ["upnode.rtt": "\(rtt.shortDescription)"])
        case .queue(let stats):
            logger.trace("queue", metadata: ["upnode.queue.depth": "\(stats.depth)"])
        }
    }

    private func logTransition(from: LinkState, to: LinkState, reason: LinkReason) {
        var metadata: Logger.Metadata = ["upnode.reason": "\(reason.code)"]
        if let detail = reason.detail { metadata["upnode.detail"] = "\(detail)" }
        switch to {
        case .up:
            lastFailure.withLock { $0 = nil }
            logger.info("link up", metadata: metadata)
        case .down, .reconnecting:
            let wasUp = from == .up
            let message: Logger.Message = wasUp ? "link down" : "connect failed"
            if Self.isRefusal(reason) {
                logger.error(message, metadata: metadata)
            } else if wasUp {
                logger.warning(message, metadata: metadata)
            } else if reason.detail != nil {
                let text = reason.description
                let isRepeat = lastFailure.withLock { last in
                    defer { last = text }
                    return last == text
                }
                logger.log(level: isRepeat ? .debug : .warning, message, metadata: metadata)
            } else {
                logger.debug("link \(to)", metadata: metadata)
            }
        case .closed:
            logger.info("link closed", metadata: metadata)
        case .connecting, .idle:
            logger.debug("link \(to)", metadata: metadata)
        }
    }

    /// Failures a retry will not fix: the operator must act (credentials, certificates, limits).
    static func isRefusal(_ reason: LinkReason) -> Bool {
        switch reason {
        case .authFailed, .authEnvMissing, .tlsError, .frameTooLong: true
        default: false
        }
    }
}
