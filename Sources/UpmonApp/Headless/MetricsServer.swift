import NIOCore
import NIOHTTP1
import NIOPosix
import UpnodeMonitor

/// Serves Prometheus text exposition of the monitor state at `/metrics` (SwiftNIO HTTP/1).
public final class MetricsServer: Sendable {
    let channel: any Channel
    /// The bound address (`host:port`), port 0 resolved.
    public let address: String

    init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
    }

    /// Parses `[HOST]:PORT`; an empty host means 127.0.0.1 (never all interfaces by default).
    public static func parseAddress(_ text: String) throws(ConfigError) -> (host: String, port: Int)
    {
        guard let colon = text.lastIndex(of: ":") else {
            throw ConfigError(
                file: "--metrics", line: 0,
                message: "'\(text)' is not [HOST]:PORT (e.g. :9464 or 127.0.0.1:9464)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigError(
                file: "--metrics", line: 0,
                message: "'\(text)': the port must be a number from 0 to 65535")
        }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Starts serving `snapshot` on host:port.
    public static func start(host: String, port: Int, snapshot: StateSnapshot) async throws
        -> MetricsServer
    {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHandler(snapshot: snapshot))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        return MetricsServer(
            channel: channel, address: "\(host.contains(":") ? "[\(host)]" : host):\(bound)")
    }

    public func close() async { try? await channel.close() }
}

final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let snapshot: StateSnapshot
    var request: HTTPRequestHead?

    init(snapshot: StateSnapshot) { self.snapshot = snapshot }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            let path =
                head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let (status, body, type): (HTTPResponseStatus, String, String)
            if head.method != .GET && head.method != .HEAD {
                (status, body, type) = (
                    .methodNotAllowed, "only GET\n", "text/plain; charset=utf-8"
                )
            } else if path == "/metrics" {
                let (state, now) = snapshot.current
                (status, body, type) = (
                    .ok, PrometheusExporter.render(state, now: now),
                    "text/plain; version=0.0.4; charset=utf-8"
                )
            } else {
                (status, body, type) = (
                    .notFound, "upmon serves /metrics\n", "text/plain; charset=utf-8"
                )
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
                ), promise: nil)
            if head.method != .HEAD {
                context.write(
                    wrapOutboundOut(
                        .body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                    promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !head.isKeepAlive { context.close(promise: nil) }
        }
    }
}
