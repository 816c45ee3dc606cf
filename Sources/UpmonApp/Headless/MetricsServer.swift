import NIOCore
import NIOHTTP1
import NIOPosix
import UpnodeMonitor

/// Serves Prometheus text exposition of the monitor state at `/metrics` (SwiftNIO HTTP/1),
/// and a short HTML page at `/` that links to it, as exporters do.
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

    /// Starts serving `snapshot` on host:port; `version` (upmon's) is shown on the `/` page.
    public static func start(
        host: String, port: Int, snapshot: StateSnapshot, version: String? = nil
    ) async throws -> MetricsServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHandler(snapshot: snapshot, version: version))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        return MetricsServer(
            channel: channel, address: "\(host.contains(":") ? "[\(host)]" : host):\(bound)")
    }

    public func close() async { try? await channel.close() }
}

/// What the endpoint answers, decided from the method and path alone.
enum MetricsRoute: Equatable {
    case metrics, index, notFound
    /// A known path with a method other than GET or HEAD (405 with `Allow`).
    case methodNotAllowed

    init(method: HTTPMethod, uri: String) {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        switch path {
        case "/metrics": self = .metrics
        case "/": self = .index
        default:
            self = .notFound
            return
        }
        if method != .GET && method != .HEAD { self = .methodNotAllowed }
    }
}

extension MetricsServer {
    /// The `/` page: title, version, the number of links watched (and up) and a link to
    /// `/metrics`.
    static func indexPage(version: String?, links: Int, up: Int) -> String {
        let shown = version.flatMap { $0.isEmpty ? nil : " " + escapeHTML($0) }
        let title = "upmon" + (shown ?? "")
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>upmon exporter</title></head>
            <body><h1>\(title)</h1>
            <p>Watching \(links) \(links == 1 ? "link" : "links"), \(up) up.</p>
            <p><a href="/metrics">Metrics</a></p>
            </body></html>

            """
    }

    static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let snapshot: StateSnapshot
    let version: String?
    var request: HTTPRequestHead?

    init(snapshot: StateSnapshot, version: String?) {
        self.snapshot = snapshot
        self.version = version
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            let route = MetricsRoute(method: head.method, uri: head.uri)
            guard route == .metrics || route == .index else {
                respond(context: context, head: head, route: route, body: nil)
                return
            }
            // The answer may come later (the dashboard's next tick); the HTTP pipeline holds
            // any next request on this connection until this answer ends.
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            let version = self.version
            snapshot.withFresh { state, now in
                route == .metrics
                    ? PrometheusExporter.render(state, now: now)
                    : MetricsServer.indexPage(
                        version: version, links: state.connections.count,
                        up: state.totals.count(in: .up))
            } then: { body in
                eventLoop.execute {
                    bound.value.handler.respond(
                        context: bound.value.context, head: head, route: route, body: body)
                }
            }
        }
    }

    /// Writes the answer; `body` is the page for `/metrics` and `/`.
    func respond(
        context: ChannelHandlerContext, head: HTTPRequestHead, route: MetricsRoute,
        body page: String?
    ) {
        let plain = "text/plain; charset=utf-8"
        var headers = HTTPHeaders()
        let (status, body, type): (HTTPResponseStatus, String, String)
        switch route {
        case .metrics:
            (status, body, type) = (.ok, page ?? "", "text/plain; version=0.0.4; charset=utf-8")
        case .index:
            (status, body, type) = (.ok, page ?? "", "text/html; charset=utf-8")
        case .notFound:
            (status, body, type) = (.notFound, "upmon serves /metrics\n", plain)
        case .methodNotAllowed:
            headers.add(name: "Allow", value: "GET, HEAD")
            (status, body, type) = (.methodNotAllowed, "only GET and HEAD\n", plain)
        }
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
            ), promise: nil)
        // HEAD: the same headers (Content-Length included), no body.
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
