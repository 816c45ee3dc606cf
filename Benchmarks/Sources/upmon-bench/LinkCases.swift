import DnodeProtocol
import NIOCore
import NIOPosix
import Synchronization
import Upnode

/// The line the raw echo sends: the size of an upnode `echo(1, cb)` request.
let rawLine = #"{"method":0,"arguments":[1,"[Function]"],"callbacks":{"7":["1"]},"links":[]}"#

struct Link: Sendable {
    let server: UpnodeServer
    let client: UpnodeClient

    static func start(
        serverOptions: UpnodeServer.Options = .quiet, configuration: LinkConfiguration = .bench
    ) async throws -> Link {
        let server = try await UpnodeServer.listen(
            .tcp(host: "127.0.0.1", port: 0), options: serverOptions, group: serverGroup,
            methods: echoMethods)
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: configuration, group: clientGroup)
        client.start()
        _ = try await client.up(timeout: .seconds(10)) { remote in
            try await remote.request("echo", [.int(1)])
        }
        return Link(server: server, client: client)
    }

    func close() async {
        client.close()
        await server.close()
    }

    /// n sequential `up { echo }` transactions.
    func sequentialUp(_ n: Int, timeout: Duration? = nil) async throws {
        for _ in 0..<n {
            _ = try await client.up(timeout: timeout) { remote in
                try await remote.request("echo", [.int(1)])
            }
        }
    }

    /// n `up { echo }` transactions with `width` in flight.
    func pipelinedUp(_ n: Int, width: Int) async throws {
        let issued = Counter()
        let client = self.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<width {
                group.addTask {
                    while issued.next() <= n {
                        _ = try await client.up { remote in
                            try await remote.request("echo", [.int(1)])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// n `echo` requests through one `Remote` held outside `up` (no transaction per call).
    static func pipelinedDirect(_ remote: Remote, _ n: Int, width: Int) async throws {
        let issued = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<width {
                group.addTask {
                    while issued.next() <= n {
                        _ = try await remote.request("echo", [.int(1)])
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

extension UpnodeServer.Options {
    /// No server pings during throughput runs.
    static var quiet: UpnodeServer.Options {
        var options = UpnodeServer.Options()
        options.pingInterval = .zero
        return options
    }
}

extension LinkConfiguration {
    static var bench: LinkConfiguration {
        var configuration = LinkConfiguration()
        configuration.pingInterval = .seconds(60)
        configuration.pingImmediately = false
        configuration.reconnect = .fixed(.milliseconds(100))
        configuration.maxQueuedTransactions = 100_000
        return configuration
    }
}

func sequentialCase() async throws {
    print(
        "echo-seq — sequential echo calls, one link, vs raw NIO newline-echo (measured alternately)"
    )
    let raw = try await RawEcho.start(line: rawLine)
    let link = try await Link.start()
    let rawRun: (Int) async throws -> Void = { n in try await raw.run(total: n, outstanding: 1) }
    let up = try await pairedThroughput(warmup: 2_000, maxOps: 200_000, rawRun) { n in
        try await link.sequentialUp(n)
    }
    let withTimeout = try await pairedThroughput(warmup: 1_000, maxOps: 200_000, rawRun) { n in
        try await link.sequentialUp(n, timeout: .seconds(10))
    }
    let executor = link.client.taskExecutor
    let pinned = try await pairedThroughput(warmup: 2_000, maxOps: 200_000, rawRun) { n in
        try await withTaskExecutorPreference(executor) { try await link.sequentialUp(n) }
    }
    let remote = try await link.client.up { $0 }
    let direct = try await pairedThroughput(warmup: 1_000, maxOps: 200_000, rawRun) { n in
        try await Link.pipelinedDirect(remote, n, width: 1)
    }
    await raw.close()
    await link.close()
    report(
        "echo-seq", "sequential calls/s via up()", value: fmt(up.b),
        baseline: "\(fmt(up.a)) raw NIO echo/s",
        ratio: "\(fmt(up.ratio * 100, 1)) %", target: "≥ 60 % of raw (Node 5,400)",
        pass: up.ratio >= 0.6)
    report(
        "echo-seq", "sequential calls/s via up(), caller on the link's taskExecutor",
        value: fmt(pinned.b),
        baseline: "\(fmt(pinned.a)) raw NIO echo/s", ratio: "\(fmt(pinned.ratio * 100, 1)) %",
        target: "≥ 60 % of raw", pass: pinned.ratio >= 0.6)
    report(
        "echo-seq", "sequential calls/s via up(timeout: 10 s)", value: fmt(withTimeout.b),
        baseline: "\(fmt(withTimeout.a)) raw NIO echo/s",
        ratio: "\(fmt(withTimeout.ratio * 100, 1)) %", target: "(diagnostic)")
    report(
        "echo-seq", "sequential calls/s, Remote.request (no up())", value: fmt(direct.b),
        baseline: "\(fmt(direct.a)) raw NIO echo/s",
        ratio: "\(fmt(direct.ratio * 100, 1)) %", target: "(diagnostic)")
    note("ratio = median of 5 alternating raw/upnode pairs; rates are the medians of each side")
}

func pipelinedCase() async throws {
    print("echo-pipe — 100 calls outstanding vs raw NIO echo with 100 outstanding")
    let raw = try await RawEcho.start(line: rawLine)
    let rawRate = try await throughput(warmup: 20_000, maxOps: 2_000_000) { n in
        try await raw.run(total: n, outstanding: 100)
    }
    await raw.close()
    let link = try await Link.start()
    let upRate = try await throughput(warmup: 5_000, maxOps: 1_000_000) { n in
        try await link.pipelinedUp(n, width: 100)
    }
    let remote = try await link.client.up { $0 }
    let directRate = try await throughput(warmup: 5_000, maxOps: 1_000_000) { n in
        try await Link.pipelinedDirect(remote, n, width: 100)
    }
    await link.close()
    report(
        "echo-pipe", "pipelined calls/s via up(), 100 outstanding", value: fmt(upRate),
        baseline: "\(fmt(rawRate)) raw NIO echo/s",
        ratio: "\(fmt(upRate / rawRate * 100, 1)) % of raw",
        target: "≥ 15 % of raw and ≥ 73,000/s (Node 14,600)",
        pass: upRate >= 73_000 && upRate / rawRate >= 0.15)
    report(
        "echo-pipe", "pipelined calls/s, Remote.request, 100 outstanding", value: fmt(directRate),
        baseline: "\(fmt(rawRate)) raw NIO echo/s",
        ratio: "\(fmt(directRate / rawRate * 100, 1)) % of raw", target: "≥ 73,000/s",
        pass: directRate >= 73_000)
}

func agingCase() async throws {
    let total = settings.quick ? 50_000 : 1_000_000
    print(
        "aging — sequential throughput after \(fmt(Double(total))) calls on one link vs a fresh link (measured alternately)"
    )
    let fresh = try await Link.start()
    let aged = try await Link.start()
    let remote = try await aged.client.up { $0 }
    let t0 = now()
    try await Link.pipelinedDirect(remote, total, width: 100)
    note("aged one link with \(fmt(Double(total))) pipelined calls in \(fmt(now() - t0, 1)) s")
    // Warm-up both, calibrate n, then alternate fresh/aged so that machine load drifts cancel out.
    try await fresh.sequentialUp(1_000)
    let w0 = now()
    try await aged.sequentialUp(1_000)
    let n = max(1_000, min(100_000, Int(1_000 / (now() - w0) * settings.targetSeconds)))
    var freshRates: [Double] = []
    var agedRates: [Double] = []
    for _ in 0..<settings.repetitions {
        var start = now()
        try await fresh.sequentialUp(n)
        freshRates.append(Double(n) / (now() - start))
        start = now()
        try await aged.sequentialUp(n)
        agedRates.append(Double(n) / (now() - start))
    }
    await fresh.close()
    await aged.close()
    let freshRate = median(freshRates)
    let agedRate = median(agedRates)
    let ratio = agedRate / freshRate
    report(
        "aging", "sequential calls/s after \(fmt(Double(total))) calls", value: fmt(agedRate),
        baseline: "\(fmt(freshRate)) fresh link",
        ratio: "\(fmt(ratio * 100, 1)) %", target: "within 5 % (≥ 95 %)", pass: ratio >= 0.95)
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}
