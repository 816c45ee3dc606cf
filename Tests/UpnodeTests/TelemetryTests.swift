import DnodeProtocol
import InMemoryLogging
import Logging
import MetricsTestKit
import ProcessTestSupport
import ServiceLifecycle
import Testing
import UpnodeServe

@testable import Upnode

/// A logger whose entries the test can read, at `level` and above.
private func recordingLogger(level: Logger.Level = .trace) -> (Logger, InMemoryLogHandler) {
    let handler = InMemoryLogHandler()
    var logger = Logger(label: "test", factory: { _ in handler })
    logger.logLevel = level
    return (logger, handler)
}

private func entries(
    _ handler: InMemoryLogHandler, _ message: String
) -> [InMemoryLogHandler.Entry] {
    handler.entries.filter { $0.message.description == message }
}

@Suite("swift-log, swift-metrics and service-lifecycle", .timeLimit(.minutes(1)))
struct TelemetryTests {
    @Test("link life is logged with metadata; a dead peer is one warning, repeats are debug")
    func linkLogging() async throws {
        // A unix socket of its own: a freed TCP port may be taken by a parallel test.
        let server = try await serve(.unix(path: try temporaryDirectory() + "/log.sock"))
        let (logger, log) = recordingLogger()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration(), name: "api",
            telemetry: UpnodeTelemetry(logger: logger))
        client.start()
        defer { client.close() }
        _ = try await client.up(timeout: upGuard) { try await $0.request("time") }
        let up = try #require(entries(log, "link up").first)
        #expect(up.level == .info)
        #expect(up.metadata["upnode.link"] == "api")
        #expect(up.metadata["upnode.endpoint"] == "\(server.boundEndpoint)")

        await server.close()
        #expect(await eventually { entries(log, "connect failed").count >= 3 })
        let down = try #require(entries(log, "link down").first)
        #expect(down.level == .warning)
        // Closed or reset, as the kernel reports the server going away.
        #expect(down.metadata["upnode.reason"] != nil)
        let failures = entries(log, "connect failed")
        #expect(failures.first?.level == .warning)
        #expect(failures.dropFirst().allSatisfy { $0.level == .debug })
        #expect(
            Set(failures.compactMap { $0.metadata["upnode.reason"]?.description }) == ["refused"])
        #expect(!entries(log, "reconnect scheduled").isEmpty)

        // Per-message events never log above trace.
        let chatty = log.entries.filter { ["ping", "queue"].contains($0.message.description) }
        #expect(chatty.allSatisfy { $0.level == .trace })
    }

    @Test("a refused auth is an error, not a retry warning")
    func authRefusedIsError() async throws {
        var options = ServeMethods.Options()
        options.credentials = ("moo", "hax")
        options.authOnly = true
        let server = try await serve(options: options)
        let (logger, log) = recordingLogger(level: .info)
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration(),
            telemetry: UpnodeTelemetry(logger: logger)
        ) { remote in
            let reply = try await remote.request("auth", [.string("moo"), .string("nope")])
            guard reply.first?.isNull == true, let session = reply.dropFirst().first else {
                throw UpnodeError.remote(reply.first?.json ?? .null)
            }
            return remote.object(session)
        }
        client.start()
        defer { client.close() }
        // On a loaded machine an attempt may time out first; the refusal is what counts.
        let isRefusal: @Sendable (InMemoryLogHandler.Entry) -> Bool = {
            $0.metadata["upnode.reason"] == "auth_failed"
        }
        #expect(
            await eventually(timeout: .seconds(30)) {
                entries(log, "connect failed").contains(where: isRefusal)
            })
        let refused = try #require(entries(log, "connect failed").first(where: isRefusal))
        #expect(refused.level == .error)
        #expect(entries(log, "link up").isEmpty)
        await server.close()
    }

    @Test("metrics: calls by result, ping round trips, up, queue depth, reconnects")
    func clientMetrics() async throws {
        let metrics = TestMetrics()
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration(), name: "api",
            telemetry: UpnodeTelemetry(metricsFactory: metrics))
        client.start()
        defer { client.close() }
        for index in 0..<3 {
            _ = try await client.up(timeout: upGuard) {
                try await $0.request("add", [.int(Int64(index)), .int(1)])
            }
        }
        await #expect(throws: UpnodeError.self) {
            try await client.up {
                try await $0.request("slow", [.int(5000)], timeout: .milliseconds(50))
            }
        }
        let link = [("link", "api")]
        #expect(
            metrics.counterTotal(
                label: "upnode_client_calls_total", dimensions: link + [("result", "ok")]) == 3)
        #expect(
            metrics.counterTotal(
                label: "upnode_client_calls_total", dimensions: link + [("result", "timeout")])
                == 1)
        #expect(try metrics.expectGauge("upnode_client_up", link).lastValue == 1)
        #expect(metrics.counterTotal(label: "upnode_client_sent_bytes_total", dimensions: link) > 0)
        #expect(
            metrics.counterTotal(label: "upnode_client_received_bytes_total", dimensions: link) > 0)
        #expect(
            await eventually {
                (try? metrics.expectTimer("upnode_client_ping_rtt_seconds", link).values.isEmpty)
                    == false
            })

        await server.close()
        #expect(
            await eventually { (try? metrics.expectGauge("upnode_client_up", link).lastValue) == 0 }
        )
        #expect(
            await eventually {
                metrics.counterTotal(label: "upnode_client_reconnects_total", dimensions: link) >= 2
            })
        let queued = Task { try await client.up(timeout: .seconds(30)) { _ in 1 } }
        #expect(
            await eventually {
                (try? metrics.expectGauge("upnode_client_queue_depth", link).lastValue) == 1
            })
        client.close()
        await #expect(throws: UpnodeError.closed) { try await queued.value }
    }

    @Test("server metrics and logs: connections open, accepted, disconnects by reason")
    func serverMetrics() async throws {
        let metrics = TestMetrics()
        let (logger, log) = recordingLogger(level: .debug)
        var serverOptions = UpnodeServer.Options()
        serverOptions.maxLineBytes = 1024
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), options: serverOptions,
            telemetry: UpnodeTelemetry(logger: logger, metricsFactory: metrics),
            methods: ServeMethods().factory)
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        client.start()
        _ = try await client.up(timeout: upGuard) { try await $0.request("time") }
        #expect(try metrics.expectMeter("upnode_server_connections").lastValue == 1)
        #expect(metrics.counterTotal(label: "upnode_server_received_bytes_total") > 0)
        #expect(metrics.counterTotal(label: "upnode_server_sent_bytes_total") > 0)
        guard case .tcp(_, let port) = server.boundEndpoint else { return }
        let (oversize, reader) = try await RawClient.connect(port: port)
        try await oversize.send(String(repeating: "x", count: 5000))
        #expect(await eventually { reader.isClosed })
        #expect(
            await eventually {
                metrics.counterTotal(
                    label: "upnode_server_disconnects_total",
                    dimensions: [("reason", "frame_too_long")]) == 1
            })
        let dropped = try #require(
            log.entries.first { $0.metadata["upnode.reason"] == "frame_too_long" })
        #expect(dropped.level == .warning)
        client.close()
        #expect(
            await eventually { metrics.counterTotal(label: "upnode_server_connections_total") == 2 }
        )
        #expect(
            await eventually {
                (try? metrics.expectMeter("upnode_server_connections").lastValue) == 0
            })
        await server.close()
    }

    @Test("client and server run in a ServiceGroup; graceful shutdown closes both")
    func serviceGroup() async throws {
        let server = try await serve(.unix(path: try temporaryDirectory() + "/service.sock"))
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: testConfiguration())
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server), .init(service: client),
                ], logger: UpnodeTelemetry.loggingDisabled))
        let running = Task { try await group.run() }
        let sum = try await client.up(timeout: upGuard) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.json == [.int(5)])

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await client.state == .closed)
        #expect(server.connectionCount == 0)
        await #expect(throws: UpnodeError.closed) { try await client.up { _ in 1 } }
        #expect(!server.serverChannel.isActive, "still listening")
    }
}
