import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import ProcessTestSupport
import Synchronization
import Testing
import UpnodeServe

@testable import Upnode

/// A value shared between a test and the closures it hands out.
final class Locked<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R {
        mutex.withLock(body)
    }
    var value: Value { mutex.withLock { $0 } }
}

/// Collects a client's events for assertions.
final class EventLog: Sendable {
    let events = Locked<[UpnodeEvent]>([])
    init(_ client: UpnodeClient) {
        let stream = client.events(bufferingNewest: 100_000)
        let events = self.events
        Task {
            for await event in stream { events.withLock { $0.append(event) } }
        }
    }
    var states: [LinkState] {
        events.withLock { $0.compactMap { if case .state(_, let to, _) = $0 { to } else { nil } } }
    }
    var upCount: Int { states.filter { $0 == .up }.count }
    var pings: Int {
        events.withLock { $0.filter { if case .ping = $0 { true } else { false } }.count }
    }
    func reasons(to state: LinkState) -> [LinkReason] {
        events.withLock {
            $0.compactMap {
                if case .state(_, let to, let reason) = $0, to == state { reason } else { nil }
            }
        }
    }
}

/// What a link keeps per call, read on its event loop: none of it may outlive a cancellation.
struct LinkTables: Equatable {
    var pendingRequests: Int
    var callbacks: Int
}

func tables(of client: UpnodeClient) async throws -> LinkTables {
    struct NoConnection: Error {}
    guard let handle = await client.handle else { throw NoConnection() }
    return try await handle.eventLoop.submit {
        let connection = handle.connection.value
        return LinkTables(
            pendingRequests: connection.pending.count, callbacks: connection.session.callbackCount)
    }.get()
}

/// How long a test waits for a link before failing: generous, because a full parallel run on
/// two cores can stall every test for half a minute; the wait ends as soon as the link is up.
let upGuard: Duration = .seconds(45)

/// A fast link configuration for tests: pings every second, quick reconnects. The ping and
/// connect timeouts are long, so that a loaded machine starving the process for seconds does
/// not take links down that a test expects to stay up (tests of timeouts set their own).
func testConfiguration() -> LinkConfiguration {
    var configuration = LinkConfiguration()
    configuration.pingInterval = .seconds(1)
    configuration.pingTimeout = .seconds(30)
    configuration.reconnect = .fixed(.milliseconds(50))
    configuration.connectTimeout = .seconds(30)
    return configuration
}

func serve(
    _ endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 0),
    options: ServeMethods.Options = .init(),
    serverOptions: UpnodeServer.Options = .init(), methods: ServeMethods? = nil
) async throws -> UpnodeServer {
    try await UpnodeServer.listen(
        endpoint, options: serverOptions,
        methods: (methods ?? ServeMethods(options: options)).factory)
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "upmon-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

extension [DnodeValue] {
    var json: [JSONValue] { map(\.json) }
}

/// A raw TCP client for sending exact bytes.
struct RawClient {
    let channel: any Channel

    static func connect(port: Int) async throws -> (RawClient, Collector) {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return (RawClient(channel: channel), collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text))
    }
}

final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Locked<[UInt8]>([])
    let closed = Locked(false)
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += buffer.readableBytesView }
    }
    func channelInactive(context: ChannelHandlerContext) { closed.withLock { $0 = true } }
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    var isClosed: Bool { closed.withLock { $0 } }
}

/// A started client whose link was up once and is down now: its server, on a unix socket of
/// its own (no parallel test can take the path), has closed. Relisten with `serve(endpoint)`.
func clientWhoseServerWentAway() async throws -> (endpoint: Endpoint, client: UpnodeClient) {
    let endpoint = Endpoint.unix(path: try temporaryDirectory() + "/gone.sock")
    let server = try await serve(endpoint)
    let client = UpnodeClient(endpoint: endpoint, configuration: testConfiguration())
    client.start()
    _ = try await client.up(timeout: upGuard) { try await $0.request("time") }
    await server.close()
    #expect(await eventually { await client.state != .up })
    return (endpoint, client)
}
