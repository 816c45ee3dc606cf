import CoreMetrics
import Logging

/// A server's log lines and metrics, derived from its connection notices.
final class ServerTelemetry: Sendable {
    let logger: Logger
    let factory: (any MetricsFactory)?
    let open: Meter?
    let accepted: Counter?
    /// Bytes on the wire, all connections together.
    let bytes: (received: Counter, sent: Counter)?

    init(endpoint: Endpoint?, telemetry: UpnodeTelemetry) {
        var logger = telemetry.logger
        if let endpoint { logger[metadataKey: "upnode.listen"] = "\(endpoint)" }
        self.logger = logger
        let factory = telemetry.activeMetricsFactory
        self.factory = factory
        open = factory.map { Meter(label: "upnode_server_connections", factory: $0) }
        accepted = factory.map { Counter(label: "upnode_server_connections_total", factory: $0) }
        bytes = factory.map {
            (
                Counter(label: "upnode_server_received_bytes_total", factory: $0),
                Counter(label: "upnode_server_sent_bytes_total", factory: $0)
            )
        }
    }

    /// Whether anyone listens: otherwise the server skips calling `observe`.
    var isActive: Bool { logger.logLevel <= .error || factory != nil }

    /// `report`, preceded by logging and counting the notice when anyone listens.
    func wrap(
        _ report: @escaping @Sendable (UpnodeServer.ConnectionNotice) -> Void
    ) -> @Sendable (UpnodeServer.ConnectionNotice) -> Void {
        guard isActive else { return report }
        return { notice in
            self.observe(notice)
            report(notice)
        }
    }

    func observe(_ notice: UpnodeServer.ConnectionNotice) {
        switch notice {
        case .connected(let id, let peer):
            open?.increment()
            accepted?.increment()
            logger.debug(
                "client connected",
                metadata: ["upnode.connection": "\(id)", "upnode.peer": "\(peer)"])
        case .disconnected(let id, let reason):
            open?.decrement()
            if let factory {
                Counter(
                    label: "upnode_server_disconnects_total", dimensions: [("reason", reason.code)],
                    factory: factory
                ).increment()
            }
            var metadata: Logger.Metadata = [
                "upnode.connection": "\(id)", "upnode.reason": "\(reason.code)",
            ]
            if let detail = reason.detail { metadata["upnode.detail"] = "\(detail)" }
            logger.log(level: Self.level(of: reason), "client disconnected", metadata: metadata)
        case .warning(let id, let text):
            logger.warning("\(text)", metadata: ["upnode.connection": "\(id)"])
        }
    }

    /// Ordinary goodbyes are `debug` (a busy server has many); a client the server had to
    /// drop, or one that broke the protocol, is a `warning`.
    static func level(of reason: LinkReason) -> Logger.Level {
        switch reason {
        case .remoteClosed, .closed: .debug
        default: .warning
        }
    }
}
