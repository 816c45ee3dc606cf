import Foundation
import Testing
import Upnode
import UpnodeMonitor
import UpnodeServe

@testable import UpmonApp

/// `LiveSession.start` with pacing: every link is watched once and started once, and no
/// more than the window dial at a time (in the feed's order of events).
@Suite("starting a paced session", .timeLimit(.minutes(1)))
struct SessionStartTests {
    @Test("each link's events come once, and at most `window` links are connecting at a time")
    func eachLinkOnce() async throws {
        let directory = try lateLinkDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let endpoint = Endpoint.unix(path: directory + "/start.sock")
        let server = try await UpnodeServer.listen(endpoint, methods: ServeMethods().factory)
        let specs = (0..<6).map { index in
            var spec = ConnectionSpec(name: "l\(index)", endpoint: endpoint)
            spec.link.pingInterval = .zero  // no heartbeat: only the bring-up's events
            return spec
        }
        // A long maxWait: a slow handshake on a loaded machine never frees a place early.
        let window = 2
        let session = LiveSession(specs: specs, pacing: ConnectPacing(window: window, maxWait: 60))
        session.start()
        var starts: [ConnectionID: Int] = [:]
        var ups: [ConnectionID: Int] = [:]
        var connecting: Set<ConnectionID> = []
        var mostConnecting = 0
        for await event in session.feed.events {
            guard let conn = event.conn, case .state(let from, let to, _, _, _) = event.kind
            else { continue }
            if from == .idle, to == .connecting {
                starts[conn, default: 0] += 1
                connecting.insert(conn)
                mostConnecting = max(mostConnecting, connecting.count)
            }
            if from == .connecting, to != .connecting { connecting.remove(conn) }
            if to == .up { ups[conn, default: 0] += 1 }
            if ups.count == specs.count { break }
        }
        await session.close()
        await server.close()
        #expect(starts.count == specs.count)
        #expect(starts.values.allSatisfy { $0 == 1 }, "starts per link: \(starts)")
        #expect(ups.values.allSatisfy { $0 == 1 }, "ups per link: \(ups)")
        #expect(mostConnecting <= window)
    }
}
