import DnodeProtocol
import Foundation
import OrderedCollections
import ProcessTestSupport
import Testing
import Upnode
import UpnodeMonitor

@testable import UpnodeMonitorEndpoint

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A server exporting `add(a, b, cb)` → `cb(a + b)`, `fail(cb)` → `cb({message})` and
/// `auth(user, pass, cb)` → `cb(null)`, on a free TCP port.
func testServer() async throws -> UpnodeServer {
    try await UpnodeServer.listen(.tcp(host: "127.0.0.1", port: 0)) { peer in
        [
            "add": .function(label: "add") { arguments in
                guard case .function(let cb)? = arguments.last else { return }
                let sum =
                    (arguments.first?.json.intValue ?? 0)
                    + (arguments.dropFirst().first?.json.intValue ?? 0)
                peer.invoke(cb, [.int(Int64(sum))])
            },
            "fail": .function(label: "fail") { arguments in
                guard case .function(let cb)? = arguments.last else { return }
                peer.invoke(cb, [.object(["message": .string("no such account")])])
            },
            "auth": .function(label: "auth") { arguments in
                guard case .function(let cb)? = arguments.last else { return }
                peer.invoke(cb, [.null])
            },
        ]
    }
}

@Suite("Monitor endpoint", .timeLimit(.minutes(1)))
struct EndpointTests {
    @Test("a reader gets the header, a snapshot, then the links' events as they happen")
    func headerSnapshotThenEvents() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await testServer()
        defer { Task { await server.close() } }
        let endpoint = try await UpnodeMonitorEndpoint(path: directory + "/app.sock")
        let client = UpnodeClient(endpoint: server.boundEndpoint)
        endpoint.register(client, name: "billing")
        let reader = try LineReader(path: endpoint.path)

        let header = try await offPool { try reader.json() }
        #expect(header?["upmon"]?.stringValue == "recording")
        let links = header?["connections"]?.arrayValue ?? []
        #expect(links.map { $0["name"]?.stringValue } == ["billing"])
        #expect(links.first?["endpoint"]?.stringValue == server.boundEndpoint.normalized)
        let snap = try await offPool { try reader.json() }
        #expect(snap?["kind"]?.stringValue == "snap")
        #expect(snap?["state"]?["connections"]?["c1"]?["state"]?.stringValue == "idle")

        client.start()
        let up = try await offPool {
            try reader.until { $0["kind"]?.stringValue == "state" && $0["to"]?.stringValue == "up" }
        }
        #expect(up?["conn"]?.stringValue == "c1")
        #expect(up?["reason"]?.stringValue == "ready")

        let sum = try await client.up { remote in
            try await remote.request("add", [.int(2), .int(3)])
        }
        #expect(sum.map(\.json) == [.int(5)])
        let call = try await offPool { try reader.until { $0["kind"]?.stringValue == "call" } }
        #expect(call?["method"]?.stringValue == "add")
        #expect(call?["args"] == ["<int>", "<int>"])
        #expect(call?["redacted"] == true)
        let result = try await offPool { try reader.until { $0["kind"]?.stringValue == "result" } }
        #expect(result?["id"]?.stringValue == call?["id"]?.stringValue)
        #expect(result?["ok"] == true)
        #expect(result?["value"] == ["<int>"])

        client.close()
        await endpoint.close()
        let end = try await offPool { try reader.until { $0["kind"]?.stringValue == "end" } }
        #expect(end?["reason"]?.stringValue == "stopped")
        #expect(SocketFile.lookUp(endpoint.path) == .nothing, "close removes the socket file")
    }

    @Test("the socket file is 0600 whatever the umask, and a reader of our own uid is admitted")
    func socketMode() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let endpoint = try await UpnodeMonitorEndpoint(path: directory + "/mode.sock")
        #expect(SocketFile.mode(endpoint.path) == 0o600)
        let reader = try LineReader(path: endpoint.path)
        #expect(try await offPool { try reader.json() }?["upmon"]?.stringValue == "recording")
        #expect(endpoint.statistics.subscriptions == 1)
        #expect(endpoint.statistics.refusedSubscribers == 0)
        await endpoint.close()
    }

    @Test("a stale socket is replaced; a regular file and a live endpoint are refused")
    func whatIsAtThePath() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // A socket bound and closed without anyone listening: what a crashed app leaves.
        let stale = directory + "/stale.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in stale.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        #expect(bound == 0)
        #expect(SocketFile.lookUp(stale) == .socket)
        let replaced = try await UpnodeMonitorEndpoint(path: stale)
        #expect(SocketFile.mode(stale) == 0o600)

        // A live endpoint at the path is never taken over.
        await #expect(throws: MonitorEndpointError(path: stale, problem: .inUse)) {
            _ = try await UpnodeMonitorEndpoint(path: stale)
        }
        await replaced.close()

        // A regular file is never replaced.
        let file = directory + "/notes.txt"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
        await #expect(throws: MonitorEndpointError(path: file, problem: .notASocket)) {
            _ = try await UpnodeMonitorEndpoint(path: file)
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me")
    }

    @Test("a registered server is a row that is up, with its clients coming and going as notes")
    func registeredServer() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await testServer()
        defer { Task { await server.close() } }
        let endpoint = try await UpnodeMonitorEndpoint(path: directory + "/srv.sock")
        endpoint.register(server, name: "api")
        let reader = try LineReader(path: endpoint.path)
        let header = try await offPool { try reader.json() }
        let links = header?["connections"]?.arrayValue ?? []
        #expect(links.map { $0["name"]?.stringValue } == ["api"])
        #expect(links.first?["endpoint"]?.stringValue == server.boundEndpoint.normalized)
        let snap = try await offPool { try reader.json() }
        #expect(snap?["state"]?["connections"]?["c1"]?["state"]?.stringValue == "up")

        let client = UpnodeClient(endpoint: server.boundEndpoint)
        client.start()
        _ = try await client.up { remote in try await remote.request("add", [.int(1), .int(2)]) }
        let connected = try await offPool {
            try reader.until { $0["kind"]?.stringValue == "note" }
        }
        #expect(connected?["conn"]?.stringValue == "c1")
        #expect(connected?["text"]?.stringValue?.hasPrefix("client 1 connected from") == true)
        client.close()
        let gone = try await offPool {
            try reader.until { $0["kind"]?.stringValue == "note" }
        }
        #expect(gone?["text"]?.stringValue?.hasPrefix("client 1 disconnected") == true)
        await endpoint.close()
    }

    @Test("a reader that never reads is dropped at its buffer; the endpoint goes on")
    func slowSubscriber() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = UpnodeMonitorEndpoint.Options()
        options.subscriberBufferBytes = 64 << 10
        let endpoint = try await UpnodeMonitorEndpoint(
            path: directory + "/slow.sock", options: options)
        let stalled = try LineReader(path: endpoint.path)  // connects, never reads
        #expect(await eventually(timeout: .seconds(30)) { endpoint.statistics.subscribers == 1 })

        // Far more than the buffer and the kernel's socket buffers hold: 8 MiB of notes.
        let text = String(repeating: "x", count: 1000)
        let count = 8 << 10
        for _ in 0..<count { endpoint.feed.emit(.note(level: .info, text: text), conn: nil) }
        #expect(
            await eventually(timeout: .seconds(30)) { endpoint.statistics.events == count },
            "every event was published")
        #expect(endpoint.statistics.droppedSubscribers == 1)
        #expect(endpoint.statistics.subscribers == 0)

        // The endpoint still serves: a new reader starts from a snapshot.
        let reader = try LineReader(path: endpoint.path)
        let opening = try await offPool { (try reader.json(), try reader.json()) }
        #expect(opening.0?["upmon"]?.stringValue == "recording")
        #expect(opening.1?["kind"]?.stringValue == "snap")
        withExtendedLifetime(stalled) {}
        await endpoint.close()
    }

    @Test("only a peer of our own uid is admitted; an unknown uid only where the OS cannot tell")
    func peerPolicy() {
        #expect(PeerPolicy.allows(peer: 1000, own: 1000, systemReportsPeers: true))
        #expect(!PeerPolicy.allows(peer: 1001, own: 1000, systemReportsPeers: true))
        #expect(!PeerPolicy.allows(peer: 0, own: 1000, systemReportsPeers: true))
        #expect(!PeerPolicy.allows(peer: nil, own: 1000, systemReportsPeers: true))
        #expect(PeerPolicy.allows(peer: nil, own: 1000, systemReportsPeers: false))
        #if os(Linux)
            #expect(PeerPolicy.systemReportsPeers)
        #endif
    }

    @Test("what is at the path decides: nothing or a stale socket go, anything else stays")
    func pathDecision() {
        #expect(SocketFile.decision(existing: .nothing, isLive: false) == nil)
        #expect(SocketFile.decision(existing: .socket, isLive: false) == nil)
        #expect(SocketFile.decision(existing: .socket, isLive: true) == .inUse)
        #expect(SocketFile.decision(existing: .other, isLive: false) == .notASocket)
    }

    @Test("requests become call and result events; shapes unless the app opts in")
    func callEvents() {
        let sent = UpnodeCallEvent.sent(
            id: 7, method: "charge", arguments: [.string("card-4242"), .int(10)], queued: true)
        #expect(
            UpnodeMonitorEndpoint.kind(of: sent, recordsArguments: false)
                == .call(
                    id: "a7", method: "charge", origin: .queued, args: ["<string>", "<int>"],
                    redacted: true))
        #expect(
            UpnodeMonitorEndpoint.kind(of: sent, recordsArguments: true)
                == .call(
                    id: "a7", method: "charge", origin: .queued, args: ["card-4242", 10],
                    redacted: false))
        let ok = UpnodeCallEvent.finished(
            id: 7, duration: .milliseconds(12), result: .success([.null, .string("done")]))
        #expect(
            UpnodeMonitorEndpoint.kind(of: ok, recordsArguments: false)
                == .result(
                    id: "a7", n: 1, ok: true, durMs: 12, payload: [nil, "<string>"],
                    redacted: true))
        let refused = UpnodeCallEvent.finished(
            id: 8, duration: .milliseconds(3),
            result: .success([.object(["message": .string("declined")])]))
        #expect(
            UpnodeMonitorEndpoint.kind(of: refused, recordsArguments: false)
                == .result(
                    id: "a8", n: 1, ok: false, durMs: 3,
                    payload: ["remote": [["message": "<string>"]]], redacted: true))
        let lost = UpnodeCallEvent.finished(
            id: 9, duration: .seconds(1), result: .failure(UpnodeError.linkLost(method: "charge")))
        #expect(
            UpnodeMonitorEndpoint.kind(of: lost, recordsArguments: false)
                == .result(
                    id: "a9", n: 1, ok: false, durMs: 1000, payload: ["code": "link_down"],
                    redacted: false))
    }

    @Test("the connect hook's auth call is never published, even with arguments recorded")
    func authNeverPublished() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await testServer()
        defer { Task { await server.close() } }
        var options = UpnodeMonitorEndpoint.Options()
        options.recordsArguments = true
        let endpoint = try await UpnodeMonitorEndpoint(
            path: directory + "/auth.sock", options: options)
        let client = UpnodeClient(endpoint: server.boundEndpoint) { remote in
            _ = try await remote.request("auth", [.string("ops"), .string("hunter2")])
            return remote
        }
        endpoint.register(client, name: "billing")
        let reader = try LineReader(path: endpoint.path)
        client.start()
        _ = try await client.up { remote in try await remote.request("add", [.int(1), .int(1)]) }
        client.close()
        await endpoint.close()
        let lines = try await offPool {
            var lines: [String] = []
            while let line = try reader.line() { lines.append(line) }
            return lines
        }
        #expect(lines.contains { $0.contains(#""method":"add""#) }, "the app's call is there")
        #expect(!lines.contains { $0.contains("hunter2") || $0.contains(#""method":"auth""#) })
    }
}
