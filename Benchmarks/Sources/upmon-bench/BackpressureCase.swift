import DnodeProtocol
import NIOCore
import NIOPosix
import Synchronization
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Backpressure, client role: a `UpnodeClient` whose server accepts, sends its `methods` and
/// then never reads. 60,000 `up { request("echo", [4 KB]) }` calls are started at once; RSS of
/// this process is sampled for 20 s, then the client is closed and every call must have ended.
/// Run alone (`upmon-bench backpressure-client`) so earlier cases' heap does not count.
func backpressureClientCase() async throws {
    let methods =
        #"{"method":"methods","arguments":[{"echo":"[Function]"}],"callbacks":{"0":["0","echo"]},"links":[]}"#
        + "\n"
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let accepted = Shared<[any Channel]>([])
    let silent = try await ServerBootstrap(group: serverGroup)
        .childChannelOption(.autoRead, value: false)
        .childChannelInitializer { channel in
            accepted.value.withLock { $0.append(channel) }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(SendsMethods(line: methods))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let port = silent.localAddress?.port ?? 0
    var configuration = LinkConfiguration()
    configuration.pingInterval = .zero
    let client = UpnodeClient(
        endpoint: .tcp(host: "127.0.0.1", port: port), configuration: configuration)
    client.start()
    _ = try await client.up(timeout: .seconds(10)) { _ in () }
    let before = residentBytes()

    let total = settings.quick ? 20_000 : 60_000
    let seconds = settings.quick ? 5 : 20
    let outcomes = Shared<[String: Int]>([:])
    // BP_PAD=1 is the control: the same calls without their 4 KB payload.
    let size = getenv("BP_PAD").flatMap { Int(String(cString: $0)) } ?? 4_000
    let padding = DnodeValue.string(String(repeating: "z", count: size))
    var peak = before
    var during: [String: Int] = [:]
    var state = LinkState.idle
    // The calls are started at an even pace over the whole time, as a steady writer would.
    await withDiscardingTaskGroup { group in
        let steps = seconds * 10
        for step in 0..<steps {
            for _ in (step * total / steps)..<((step + 1) * total / steps) {
                group.addTask {
                    let outcome: String
                    do {
                        _ = try await client.up { try await $0.request("echo", [padding]) }
                        outcome = "answered"
                    } catch let error as UpnodeError {
                        outcome = error.code
                    } catch {
                        outcome = "other"
                    }
                    outcomes.value.withLock { $0[outcome, default: 0] += 1 }
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
            peak = max(peak, residentBytes())
        }
        during = outcomes.value.withLock { $0 }
        state = await client.state
        client.close()
    }
    let ended = outcomes.value.withLock { $0 }
    let after = residentBytes()
    for channel in accepted.value.withLock({ $0 }) { try? await channel.close() }
    try await silent.close()
    try await serverGroup.shutdownGracefully()

    let mb = { (bytes: Int) in fmt(Double(bytes) / 1_048_576, 1) }
    print(
        "backpressure-client — \(fmt(Double(total))) up() calls of \(size) B over \(seconds) s, server never reads; after \(seconds) s: link \(state), \(fmt(Double(during["queue_full", default: 0]))) failed queue_full, \(fmt(Double(total - during.values.reduce(0, +)))) still waiting (queued or in flight); after close: \(ended.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
    )
    let waiting = total - during.values.reduce(0, +)
    report(
        "backpressure", "client facing a server that never reads: calls waiting after \(seconds) s",
        value: fmt(Double(waiting)),
        baseline:
            "\(fmt(Double(total))) started, queue limit \(configuration.maxQueuedTransactions)",
        ratio: "\(fmt(Double(during["queue_full", default: 0]))) failed queue_full",
        target: "bounded by the queue limit + what the socket took; link stays up",
        pass: state == .up && during["queue_full", default: 0] > 0
            && ended.values.reduce(0, +) == total)
    report(
        "backpressure", "client: RSS peak over \(seconds) s", value: "\(mb(peak)) MB",
        baseline: "\(mb(before)) MB before the calls",
        ratio:
            "+\(mb(peak - before)) MB, \(fmt(Double(peak - before) / Double(max(waiting, 1)) / 1024, 1)) KB per waiting call",
        target: "(diagnostic)", pass: nil)
    report(
        "backpressure", "client: RSS after close (every call ended)", value: "\(mb(after)) MB",
        baseline: "\(mb(before)) MB before the calls", ratio: "—", target: "(diagnostic)",
        pass: nil)
}

/// A mutex that closures can share.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}

/// Writes its `methods` line once the channel is active, and never reads.
final class SendsMethods: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let line: String
    init(line: String) { self.line = line }
    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: line)), promise: nil)
    }
}
