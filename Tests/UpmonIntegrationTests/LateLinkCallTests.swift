import DnodeProtocol
import Foundation
import Testing
import Upnode
import UpnodeMonitor
import UpnodeServe

@testable import UpmonApp

/// What the dashboard's `.call` effect runs (`LiveSession.call`) against a link that has
/// never connected: it queues, and runs exactly once when the server appears.
@Suite("a call to a link that never connected", .timeLimit(.minutes(1)))
struct LateLinkCallTests {
    @Test("queued while nothing listens; runs exactly once when the server comes up")
    func runsOnceWhenUp() async throws {
        // A unix socket path of our own: nothing listens there yet, and no other test can
        // take it (a TCP port freed for later could be).
        let directory = try lateLinkDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let endpoint = Endpoint.unix(path: directory + "/late.sock")
        var spec = ConnectionSpec(name: "late", endpoint: endpoint)
        spec.link.pingInterval = .milliseconds(200)
        spec.link.pingTimeout = .seconds(2)
        spec.link.reconnect = .fixed(.milliseconds(50))
        let session = LiveSession(specs: [spec])
        session.start()
        let conn = session.infos[0].id

        func call(
            _ tag: String, started: (@Sendable () async -> Void)? = nil
        ) async -> [LiveSession.CallUpdate] {
            let (stream, continuation) = AsyncStream.makeStream(of: LiveSession.CallUpdate.self)
            session.call(conn: conn, method: "mark", args: [.string(tag)], wait: .seconds(20)) {
                continuation.yield($0)
            }
            var updates: [LiveSession.CallUpdate] = []
            for await update in stream {
                updates.append(update)
                if case .queued = update, let started { await started() }
                if case .invocation = update { break }
                if case .failed = update { break }
            }
            return updates
        }

        // `mark` answers [tag, how many times this server saw tag].
        let methods = ServeMethods()
        let server = ServerBox()
        let first = await call("once") {
            // Only once the call is known to be queued does the server start.
            await server.start(endpoint, methods: methods)
        }
        #expect(first.first.map { if case .queued = $0 { true } else { false } } == true)
        guard case .invocation("cb", 1, _, let result)? = first.last else {
            Issue.record("no result: \(first)")
            await session.close()
            await server.close()
            return
        }
        #expect(result == ["once", 1])
        // Calls on one link run in order, so a second call sees the first ran exactly once.
        let second = await call("once")
        guard case .invocation("cb", 1, _, let again)? = second.last else {
            Issue.record("no second result: \(second)")
            await session.close()
            await server.close()
            return
        }
        #expect(again == ["once", 2])
        await session.close()
        await server.close()
    }
}

/// The server started from inside the call's update loop.
actor ServerBox {
    var server: UpnodeServer?
    var failure: (any Error)?

    func start(_ endpoint: Endpoint, methods: ServeMethods) async {
        do {
            server = try await UpnodeServer.listen(endpoint, methods: methods.factory)
        } catch {
            failure = error
        }
    }

    func close() async {
        await server?.close()
        #expect(failure == nil, "server: \(String(describing: failure))")
    }
}

func lateLinkDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "upmon-late-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
