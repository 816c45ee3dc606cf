import NIOPosix
import Synchronization
import Upnode
import UpnodeMonitor
import UpnodeTap

/// `upmon tap` in the middle of a link: the round trip it adds, and how many dnode messages
/// one tapped connection carries, each measured against the same link without the tap in
/// the same run. The tap's events go to a sink that only counts them (the decoder, pairing
/// and event building all run; the dashboard's reducer does not).
func tapCase() async throws {
    print("tap — echo through upmon tap vs direct, same server, measured alternately")
    let server = try await UpnodeServer.listen(
        .tcp(host: "127.0.0.1", port: 0), options: .quiet, group: serverGroup,
        methods: echoMethods)
    // Its own thread, as the tap is its own process in real use.
    let tapGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let events = Counter()
    let sink = TapSink(
        emit: { _, _ in _ = events.next() }, now: { now() })
    let tap = try await TapServer.start(
        TapRoute(
            id: "c1", name: "tap", listen: .tcp(host: "127.0.0.1", port: 0),
            target: server.boundEndpoint),
        sink: sink, group: tapGroup)
    let direct = UpnodeClient(
        endpoint: server.boundEndpoint, configuration: .bench, group: clientGroup)
    let tapped = UpnodeClient(
        endpoint: tap.boundEndpoint, configuration: .bench, group: clientGroup)
    direct.start()
    tapped.start()
    let directRemote = try await direct.up(timeout: .seconds(10)) { $0 }
    let tappedRemote = try await tapped.up(timeout: .seconds(10)) { $0 }

    // Round trip: batches of sequential calls, direct and tapped in turn.
    var directTimes: [Double] = []
    var tappedTimes: [Double] = []
    let batch = settings.quick ? 200 : 2_000
    for _ in 0..<(settings.quick ? 3 : 5) {
        for (remote, isTapped) in [(directRemote, false), (tappedRemote, true)] {
            for _ in 0..<batch {
                let start = now()
                _ = try await remote.request("echo", [.int(1)])
                let elapsed = (now() - start) * 1e6
                if isTapped { tappedTimes.append(elapsed) } else { directTimes.append(elapsed) }
            }
        }
    }
    let added = median(tappedTimes) - median(directTimes)
    report(
        "tap", "round trip p50 through the tap (µs)", value: fmt(median(tappedTimes), 1),
        baseline: "\(fmt(median(directTimes), 1)) µs direct",
        ratio: "+\(fmt(added, 1)) µs", target: "≤ +50 µs", pass: added <= 50)
    report(
        "tap", "round trip p99 through the tap (µs)", value: fmt(percentile(tappedTimes, 0.99), 1),
        baseline: "\(fmt(percentile(directTimes, 0.99), 1)) µs direct",
        ratio: "\(fmt(percentile(tappedTimes, 0.99) / percentile(directTimes, 0.99), 2))×",
        target: "(diagnostic)")

    // Throughput: 64 calls in flight on one connection; a call is two messages.
    let before = events.value.load(ordering: .relaxed)
    let rates = try await pairedThroughput(
        warmup: 5_000, maxOps: 500_000,
        { n in try await Link.pipelinedDirect(directRemote, n, width: 64) },
        { n in try await Link.pipelinedDirect(tappedRemote, n, width: 64) })
    let messages = rates.b * 2
    report(
        "tap", "dnode messages/s through one tapped connection", value: fmt(messages),
        baseline: "\(fmt(rates.a * 2)) direct", ratio: "\(fmt(rates.ratio * 100, 1)) %",
        target: "≥ 50,000", pass: messages >= 50_000)
    note(
        "\(fmt(Double(events.value.load(ordering: .relaxed) - before))) tap events emitted during the throughput runs"
    )
    direct.close()
    tapped.close()
    await tap.close()
    await server.close()
    try await tapGroup.shutdownGracefully()
}
