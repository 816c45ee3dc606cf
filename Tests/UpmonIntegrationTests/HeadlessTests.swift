import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import Upnode
import UpnodeMonitor
import UpnodeServe

@testable import UpmonApp

/// Loopback tests of the headless modes against real `serve` servers.
@Suite("Headless modes on loopback", .timeLimit(.minutes(1)))
struct HeadlessTests {
    func fastSpec(_ name: String, _ endpoint: Endpoint) -> ConnectionSpec {
        var spec = ConnectionSpec(name: name, endpoint: endpoint)
        spec.link.pingInterval = .milliseconds(200)
        spec.link.pingTimeout = .seconds(2)
        spec.link.reconnect = .fixed(.milliseconds(100))
        return spec
    }

    func closedPort() async throws -> Endpoint {
        let probe = try await UpnodeServer.listen(.tcp(host: "127.0.0.1", port: 0)) { _ in [:] }
        await probe.close()
        return probe.boundEndpoint
    }

    @Test("--once --json: a snapshot with every link; exit 0 only when all are up")
    func once() async throws {
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods().factory)
        let upOnly = LiveSession(specs: [fastSpec("api", server.boundEndpoint)])
        let (text, code) = await Headless.once(
            session: upOnly, wait: .seconds(30), configName: "test")  // settles sooner
        let json = try JSONValue(parsing: text)
        let link = json["connections"]?.arrayValue?.first
        #expect(code == 0)
        #expect(link?["name"] == "api")
        #expect(link?["state"] == "up")
        #expect(link?["rtt"]?["last"]?.doubleValue != nil)

        let mixed = LiveSession(specs: [
            fastSpec("api", server.boundEndpoint), fastSpec("gone", try await closedPort()),
        ])
        let (mixedText, mixedCode) = await Headless.once(
            session: mixed, wait: .seconds(30), configName: "test")
        #expect(mixedCode == 1)
        let states = try JSONValue(parsing: mixedText)["connections"]?.arrayValue?.compactMap {
            $0["state"]?.stringValue
        }
        #expect(states?.first == "up")
        #expect(states?.last != "up")
        await server.close()
    }

    @Test(
        "manual call: result, error-first failure, streaming callbacks, unknown method, timeout while down"
    )
    func calls() async throws {
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods().factory)
        let session = LiveSession(specs: [
            fastSpec("api", server.boundEndpoint), fastSpec("gone", try await closedPort()),
        ])
        session.start()
        let api = session.infos[0].id
        func run(
            _ conn: ConnectionID, _ method: String, _ args: [JSONValue],
            wait: Duration = .seconds(5), until count: Int = 1
        ) async -> [LiveSession.CallUpdate] {
            let (stream, continuation) = AsyncStream.makeStream(of: LiveSession.CallUpdate.self)
            session.call(conn: conn, method: method, args: args, wait: wait) {
                continuation.yield($0)
            }
            var updates: [LiveSession.CallUpdate] = []
            var invocations = 0
            for await update in stream {
                updates.append(update)
                if case .invocation = update { invocations += 1 }
                if invocations >= count { break }
                if case .failed = update { break }
            }
            return updates
        }
        let add = await run(api, "add", [2, 3])
        guard case .invocation("cb", 1, _, let args)? = add.last else {
            Issue.record("add: \(add)")
            return
        }
        #expect(args == [5])

        let fail = await run(api, "fail", [])
        guard case .invocation(_, _, _, let failArgs)? = fail.last else {
            Issue.record("fail: \(fail)")
            return
        }
        #expect(LiveSession.isErrorResult(failArgs))

        let stream = await run(api, "subscribe", [["$cb": "tick"], 20, 3], until: 3)
        let ticks = stream.compactMap {
            if case .invocation("tick", _, _, let a) = $0 { a } else { nil }
        }
        #expect(ticks == [[1], [2], [3]])

        let missing = await run(api, "nope", [])
        guard case .failed("no_such_method", _)? = missing.last else {
            Issue.record("nope: \(missing)")
            return
        }

        let down = await run(session.infos[1].id, "time", [], wait: .milliseconds(300))
        #expect(down.first.map { if case .queued = $0 { true } else { false } } == true)
        guard case .failed("timeout", _)? = down.last else {
            Issue.record("down: \(down)")
            return
        }
        await session.close()
        await server.close()
    }

    @Test("--metrics: Prometheus text over HTTP from the live state")
    func metrics() async throws {
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods().factory)
        let session = LiveSession(specs: [fastSpec("api", server.boundEndpoint)])
        let snapshot = StateSnapshot(MonitorState(connections: session.infos))
        let metrics = try await MetricsServer.start(host: "127.0.0.1", port: 0, snapshot: snapshot)
        let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
        let running = Task {
            await Headless.serveMetricsOnly(session: session, snapshot: snapshot, stop: stop)
        }
        var body = ""
        for _ in 0..<200 {
            body = try await httpGet(metrics.address, path: "/metrics")
            if body.contains("upnode_ping_seconds_count{conn=\"api\"} ")
                && !body.contains("_count{conn=\"api\"} 0")
            {
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        let lines = body.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE upnode_link_up gauge"))
        #expect(
            lines.contains { $0.hasPrefix("upnode_link_up{conn=\"api\"") && $0.hasSuffix(" 1") })
        let quantile = lines.first {
            $0.hasPrefix("upnode_ping_seconds{conn=\"api\",quantile=\"0.5\"}")
        }
        #expect(
            quantile.flatMap { Double($0.split(separator: " ").last ?? "") }.map {
                $0 > 0 && $0 < 1
            } == true)
        #expect(lines.contains("upnode_queue_depth{conn=\"api\"} 0"))
        #expect(
            try await httpGet(metrics.address, path: "/other").contains("upmon serves /metrics"))
        stopper.yield()
        await running.value
        await metrics.close()
        await server.close()
    }

    @Test("the metrics address defaults to loopback")
    func metricsAddress() throws {
        #expect(try MetricsServer.parseAddress(":9464") == ("127.0.0.1", 9464))
        #expect(try MetricsServer.parseAddress("0.0.0.0:1") == ("0.0.0.0", 1))
        #expect(throws: ConfigError.self) { try MetricsServer.parseAddress("9464") }
    }

    @Test(
        "record then replay --json gives the same events; default recordings hold no argument text")
    func recordReplay() async throws {
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods().factory)
        let session = LiveSession(specs: [fastSpec("api", server.boundEndpoint)])
        let path = NSTemporaryDirectory() + "upmon-rec-\(UUID().uuidString).upmon"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = SystemFacts.header(
            connections: session.infos, thresholds: Thresholds(), argsRecorded: false,
            epochMilliseconds: 0)
        let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
        let recording = Task {
            try await Headless.record(
                session: session, path: path, header: header, overwrite: false, stop: stop)
        }
        try await Task.sleep(for: .milliseconds(300))
        let (answers, answered) = AsyncStream.makeStream(of: LiveSession.CallUpdate.self)
        session.call(
            conn: session.infos[0].id, method: "echo", args: ["SECRET-ARGUMENT-TEXT"],
            wait: .seconds(30)
        ) { answered.yield($0) }
        // The answer first (however loaded the machine), then time for the recorder to write it.
        for await update in answers {
            if case .invocation = update { break }
            if case .failed = update { break }
        }
        try await Task.sleep(for: .milliseconds(500))
        stopper.yield()
        try await recording.value
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("SECRET-ARGUMENT-TEXT"))
        #expect(text.contains("\"kind\":\"call\""))
        #expect(text.contains("\"kind\":\"end\""))
        let (lines, notes) = try Headless.replayLines(path: path)
        #expect(notes.isEmpty)
        let recordedEvents = text.split(separator: "\n").filter {
            !$0.contains("\"kind\":\"snap\"")
        }.count
        #expect(lines.count == recordedEvents)
        var replayer = try Replayer(path: path)
        _ = replayer.advance(to: .infinity)
        #expect(replayer.state.connections.first?.pingCount ?? 0 > 0)
        await server.close()
    }
}

extension HeadlessTests {
    @Test("credentials from the environment never reach --json output or metrics")
    func credentialsStayOut() async throws {
        var options = ServeMethods.Options()
        options.credentials = ("moo", "hax-SECRET-VALUE")
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods(options: options).factory)
        var spec = fastSpec("api", server.boundEndpoint)
        spec.auth = AuthSpec(
            method: "auth", arguments: [.environment("T_USER"), .environment("T_PASS")])
        let session = LiveSession(
            specs: [spec], environment: ["T_USER": "moo", "T_PASS": "hax-SECRET-VALUE"])
        let header = SystemFacts.header(
            connections: session.infos, thresholds: Thresholds(), argsRecorded: true,
            epochMilliseconds: 0)
        let output = Locked<[UInt8]>([])
        let snapshot = StateSnapshot(MonitorState(connections: session.infos))
        let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
        let streaming = Task {
            await Headless.stream(
                session: session, header: header, snaps: true, snapshot: snapshot, stop: stop
            ) { bytes in
                output.withLock { $0 += bytes }
            }
        }
        var sawUp = false
        for _ in 0..<200 where !sawUp {
            sawUp = String(decoding: output.value, as: UTF8.self).contains("\"to\":\"up\"")
            try await Task.sleep(for: .milliseconds(25))
        }
        stopper.yield()
        await streaming.value
        let text = String(decoding: output.value, as: UTF8.self)
        #expect(sawUp, "the link never came up through auth:\n\(text.suffix(500))")
        #expect(!text.contains("hax-SECRET-VALUE"))
        let (state, now) = snapshot.current
        #expect(!PrometheusExporter.render(state, now: now).contains("hax-SECRET-VALUE"))
        await server.close()
    }
}

final class Locked<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R {
        mutex.withLock(body)
    }
    var value: Value { mutex.withLock { $0 } }
}

/// A minimal HTTP/1.0 GET over a raw NIO socket (loopback only): the body.
func httpGet(_ address: String, path: String) async throws -> String {
    let response = try await httpRaw(address, method: "GET", path: path)
    guard let split = response.range(of: "\r\n\r\n") else { return response }
    return String(response[split.upperBound...])
}

final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Mutex<[UInt8]>([])
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += buffer.readableBytesView }
    }
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
