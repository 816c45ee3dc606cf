import DnodeProtocol
import Synchronization
import Upnode

/// Server closed and relistened on the same port; 100 `up` transactions queued while the link
/// is down; time until all are answered, from the new connection's acceptance and end to end.
func reconnectCase() async throws {
    let restarts = settings.quick ? 5 : 20
    print(
        "reconnect — 100 queued calls answered after a server restart (reconnect delay 100 ms, p50 of \(restarts))"
    )
    var server = try await UpnodeServer.listen(
        .tcp(host: "127.0.0.1", port: 0), options: .quiet, group: serverGroup, methods: echoMethods)
    guard case .tcp(_, let port) = server.boundEndpoint else { return }
    let client = UpnodeClient(
        endpoint: server.boundEndpoint, configuration: .bench, group: clientGroup)
    let downAt = Mutex<Double?>(nil)
    let events = client.events()
    let watcher = Task {
        for await event in events {
            if case .state(let from, _, _) = event, from == .up {
                downAt.withLock { if $0 == nil { $0 = now() } }
            }
        }
    }
    client.start()
    _ = try await client.up(timeout: .seconds(5)) { remote in
        try await remote.request("echo", [.int(1)])
    }

    var fromConnect: [Double] = []
    var endToEnd: [Double] = []
    var connectAfterDown: [Double] = []
    for round in 0...restarts {
        downAt.withLock { $0 = nil }
        await server.close()
        while downAt.withLock({ $0 }) == nil { try await Task.sleep(for: .microseconds(200)) }
        let down = downAt.withLock { $0 }!
        let work = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        _ = try await client.up(timeout: .seconds(5)) { remote in
                            try await remote.request("echo", [.int(1)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            return now()
        }
        try await Task.sleep(for: .milliseconds(5))  // let the 100 transactions queue
        let connectedAt = Mutex<Double?>(nil)
        server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: port), options: .quiet, group: serverGroup,
            onNotice: { notice in
                if case .connected = notice { connectedAt.withLock { if $0 == nil { $0 = now() } } }
            }, methods: echoMethods)
        let done = try await work.value
        guard round > 0 else { continue }  // round 0 is the warm-up
        let connected = connectedAt.withLock { $0 } ?? done
        fromConnect.append((done - connected) * 1000)
        endToEnd.append((done - down) * 1000)
        connectAfterDown.append((connected - down) * 1000)
    }
    watcher.cancel()
    client.close()
    await server.close()
    let p50c = percentile(fromConnect, 0.5)
    let p50e = percentile(endToEnd, 0.5)
    note(
        "p50 accept-after-down \(fmt(percentile(connectAfterDown, 0.5), 2)) ms; from-connect max \(fmt(fromConnect.max()!, 2)) ms; end-to-end max \(fmt(endToEnd.max()!, 2)) ms"
    )
    report(
        "reconnect", "100 queued calls answered, from new connection (p50)",
        value: "\(fmt(p50c, 2)) ms",
        baseline: "Node 147 ms total at reconnect=100", ratio: "—", target: "≤ 5 ms",
        pass: p50c <= 5)
    report(
        "reconnect", "100 queued calls answered, end to end from link down (p50)",
        value: "\(fmt(p50e, 2)) ms",
        baseline: "100 ms reconnect delay", ratio: "\(fmt(p50e - 100, 2)) ms over the delay",
        target: "≤ 105 ms", pass: p50e <= 105)
}
