import DnodeProtocol
import Foundation
import NIOCore
import NIOPosix
import ProcessTestSupport
import Synchronization
import Testing

@testable import Upnode
@testable import UpnodeServe

// Chaos tests: break the link on purpose (server restarts, a faulty proxy, a refusing port)
// and check that nothing queued is lost or run twice, and that the client notices and recovers.
//
//   swift build --build-tests --scratch-path .build-chaos
//   swift test --skip-build --scratch-path .build-chaos --filter Chaos
//   UPMON_CHAOS_LONG=1 swift test --skip-build --scratch-path .build-chaos --filter Chaos   # + 100-cycle variant
//
// Loopback only. Every wait is a poll with a generous deadline (`eventually`); nothing asserts
// on elapsed time except the reconnect-storm guard, which only bounds the attempt count from
// above by what the policy allows (a loaded machine can only make that count smaller).
// Each test prints one `CHAOS:` summary line with its figures.

/// The result of one `mark` call as a submitter saw it.
enum MarkOutcome: Sendable {
    case ok(tag: String, reply: [JSONValue])
    case linkLost(tag: String)
    case failed(tag: String, String)
}

/// Figures of a close/relisten run.
struct RelistenFigures: Sendable, CustomStringConvertible {
    var cycles = 0
    var submitted = 0
    var ok = 0
    var linkLost = 0
    var otherFailures = 0
    var duplicates = 0
    /// Calls that never ran and never will: ended with a queue timeout or `closed`, or answered
    /// without the server having run them.
    var lost = 0
    /// linkLost calls the server never ran (not sent yet, or still in a socket buffer at the close).
    var linkLostNotRun = 0
    /// linkLost calls beyond one per submitter per close: issued after the close was known, never sent.
    var linkLostUnsent: Int { max(0, linkLost - 4 * cycles) }
    var slowLinkLost = 0
    var description: String {
        "cycles=\(cycles) submitted=\(submitted) ok=\(ok) otherFailures=\(otherFailures) linkLost=\(linkLost) "
            + "(never ran: \(linkLostNotRun), beyond 4 per close: \(linkLostUnsent)) duplicates=\(duplicates) lost=\(lost) slowInFlightLinkLost=\(slowLinkLost)"
    }
}

/// Listens on `endpoint`, retrying briefly on a transient bind error (a loaded machine should not
/// fail the test on one).
func listenRetrying(_ endpoint: Endpoint, methods: @escaping UpnodeServer.MethodsFactory)
    async throws -> UpnodeServer
{
    var lastError: (any Error)?
    for _ in 0..<100 {
        do {
            return try await UpnodeServer.listen(endpoint, methods: methods)
        } catch {
            lastError = error
            try await Task.sleep(for: .milliseconds(20))
        }
    }
    throw lastError ?? UpnodeError.badEndpoint("\(endpoint)")
}

/// Closes and relistens an in-process server `cycles` times while four submitters keep calling
/// `mark` with unique tags through `up(timeout:)` and a fifth keeps a `slow` call in flight.
func closeRelistenRun(cycles: Int) async throws -> RelistenFigures {
    let serveState = ServeMethods()
    let serverLog = Locked<[String]>([])
    let factory: UpnodeServer.MethodsFactory = { peer in
        var methods = serveState.methods(for: peer)
        // Record the order in which the server runs marks (the shared ServeMethods counts them).
        if case .function(.local(let mark))? = methods["mark"] {
            methods["mark"] = .function(label: "mark") { arguments in
                serverLog.withLock { $0.append(arguments.first?.stringValue ?? "?") }
                mark.invoke(arguments)
            }
        }
        return methods
    }
    // A unix socket: a freed TCP port could be taken by a parallel test's port-0 bind mid-run.
    let endpoint = Endpoint.unix(path: try temporaryDirectory() + "/chaos.sock")
    var server = try await listenRetrying(endpoint, methods: factory)
    let client = UpnodeClient(endpoint: endpoint, configuration: testConfiguration())
    client.start()
    defer { client.close() }

    let stop = Locked(false)
    // Also when a cycle throws: no submitter outlives the test.
    defer { stop.withLock { $0 = true } }
    let okCount = Locked(0)
    let submitters = (0..<4).map { submitter in
        Task { () -> [MarkOutcome] in
            var outcomes: [MarkOutcome] = []
            var sequence = 0
            while !stop.value {
                let tag = "s\(submitter)-\(sequence)"
                sequence += 1
                do {
                    let reply = try await client.up(timeout: .seconds(60)) {
                        try await $0.request("mark", [.string(tag)])
                    }
                    outcomes.append(.ok(tag: tag, reply: reply.json))
                    okCount.withLock { $0 += 1 }
                } catch UpnodeError.linkLost(method: "mark") {
                    outcomes.append(.linkLost(tag: tag))
                } catch {
                    outcomes.append(.failed(tag: tag, "\(error)"))
                    if case UpnodeError.closed = error { break }
                }
            }
            return outcomes
        }
    }
    // Keeps one call in flight at (almost) every close: each must end with linkLost.
    let slowCaller = Task { () -> (lost: Int, other: [String]) in
        var lost = 0
        var other: [String] = []
        while !stop.value {
            do {
                _ = try await client.up(timeout: .seconds(60)) {
                    try await $0.request("slow", [.int(60_000)])
                }
                other.append("slow call answered")
            } catch UpnodeError.linkLost(method: "slow") {
                lost += 1
            } catch UpnodeError.closed {
                if !stop.value { other.append("closed") }
                break  // queued when the test closed the client at the end
            } catch {
                other.append("\(error)")
            }
        }
        return (lost, other)
    }

    var figures = RelistenFigures()
    for cycle in 0..<cycles {
        let before = okCount.value
        let progressed = await eventually(timeout: .seconds(60)) { okCount.value >= before + 3 }
        #expect(progressed, "cycle \(cycle): no calls completed after the restart")
        if !progressed { break }
        await server.close()
        #expect(
            await eventually(timeout: .seconds(30)) { await client.state != .up },
            "cycle \(cycle): client never saw the close")
        server = try await listenRetrying(endpoint, methods: factory)
        figures.cycles += 1
    }
    let before = okCount.value
    #expect(
        await eventually(timeout: .seconds(60)) { okCount.value >= before + 3 },
        "no calls completed after the last restart")
    stop.withLock { $0 = true }
    var outcomes: [[MarkOutcome]] = []
    for submitter in submitters { outcomes.append(await submitter.value) }
    await server.close()  // ends the last slow call (linkLost)
    client.close()  // or fails it with `closed` if it was still queued
    let slow = await slowCaller.value

    // Every task ended (we are here) with a value or an error; classify.
    let log = serverLog.value
    var runs: [String: Int] = [:]
    for tag in log { runs[tag, default: 0] += 1 }
    for (submitter, list) in outcomes.enumerated() {
        figures.submitted += list.count
        for outcome in list {
            switch outcome {
            case .ok(let tag, let reply):
                figures.ok += 1
                #expect(reply == [.string(tag), .int(1)], "mark \(tag) answered \(reply)")
                if runs[tag] == nil { figures.lost += 1 }
            case .linkLost(let tag):
                figures.linkLost += 1
                #expect((runs[tag] ?? 0) <= 1, "in-flight \(tag) ran \(runs[tag] ?? 0) times")
                if runs[tag] == nil { figures.linkLostNotRun += 1 }
            case .failed(let tag, let error):
                figures.otherFailures += 1
                if error.contains("timed out") || error.contains("closed") { figures.lost += 1 }
                Issue.record("mark \(tag) failed with \(error) (only linkLost is allowed)")
            }
        }
        // Order per submitter: the server ran its calls in submission order.
        let sequence = log.filter { $0.hasPrefix("s\(submitter)-") }.compactMap {
            Int($0.split(separator: "-").last ?? "")
        }
        #expect(
            sequence == sequence.sorted() && Set(sequence).count == sequence.count,
            "submitter \(submitter) calls ran out of order or twice: \(sequence)")
    }
    figures.duplicates = runs.values.filter { $0 > 1 }.count
    let counts = serveState.marks.withLock { $0 }
    figures.duplicates = max(figures.duplicates, counts.values.filter { $0 != 1 }.count)
    figures.slowLinkLost = slow.lost
    #expect(
        slow.other.isEmpty, "slow calls in flight at a close must end with linkLost: \(slow.other)")
    #expect(slow.lost >= 1, "no slow call was in flight at any close")
    #expect(figures.duplicates == 0, "marks run twice: \(counts.filter { $0.value != 1 })")
    // Each submitter has at most one call in flight at a close, so at most 4 linkLost per close
    // are calls really in flight. Any more would be calls issued after their submitter had seen
    // linkLost that failed without being sent (DnodeConnection.finish reports the close first).
    #expect(
        figures.linkLost <= 4 * figures.cycles,
        "\(figures.linkLost - 4 * figures.cycles) calls failed unsent")
    #expect(figures.lost == 0)
    #expect(figures.otherFailures == 0)
    #expect(figures.cycles == cycles)
    return figures
}

/// Reserves a loopback port nobody listens on (bind, read the port, close).
func refusingPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 1
    try await channel.close()
    return port
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
        usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

@Suite("Chaos: faults on loopback", .serialized, .timeLimit(.minutes(5)))
struct ChaosTests {
    @Test(
        "30 server close/relisten cycles while calls queue: none lost, none run twice, order kept, in-flight → linkLost"
    )
    func closeRelisten30() async throws {
        let figures = try await closeRelistenRun(cycles: 30)
        print("CHAOS: close/relisten \(figures)")
    }

    @Test(
        "100 close/relisten cycles (UPMON_CHAOS_LONG=1)",
        .enabled(if: ProcessInfo.processInfo.environment["UPMON_CHAOS_LONG"] == "1"),
        .timeLimit(.minutes(15)))
    func closeRelisten100() async throws {
        let figures = try await closeRelistenRun(cycles: 100)
        print("CHAOS: close/relisten long \(figures)")
    }

    @Test(
        "1-byte writes (inside multi-byte UTF-8): echo of é€😀 round-trips exactly, both directions")
    func splitEveryByte() async throws {
        var split = ChaosSettings()
        split.splitBytes = true
        split.delay = .milliseconds(1)  // one byte per segment, so reads really end mid-character

        // 1. UpnodeClient → proxy → UpnodeServer (our own lines are ASCII, escapes split too).
        let server = try await serve()
        guard case .tcp(_, let serverPort) = server.boundEndpoint else { return }
        let (proxy, proxyPort) = try await ChaosProxy.start(
            upstreamPort: serverPort, settings: split)
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: proxyPort), configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let echoed = try await client.up(timeout: .seconds(60)) {
            try await $0.request("echo", [.string("é€😀"), .int(1)])
        }
        #expect(echoed.json == [.string("é€😀"), .int(1)])
        #expect(
            echoed.first?.stringValue.map { Array($0.unicodeScalars) }
                == Array("é€😀".unicodeScalars))

        // 2. Raw UTF-8 from a Node-like peer into our server, cut inside every character.
        let (raw, rawReader) = try await RawClient.connect(port: proxyPort)
        try await raw.send(
            "{\"method\":0,\"arguments\":[\"é€😀\",\"[Function]\"],\"callbacks\":{\"7\":[\"1\"]},\"links\":[]}\n"
        )
        #expect(
            await eventually(timeout: .seconds(60)) {
                rawReader.text.contains("\"method\":7") && rawReader.text.hasSuffix("\n")
            })
        let replyLine =
            rawReader.text.split(separator: "\n").first { $0.contains("\"method\":7") }.map(
                String.init) ?? ""
        let reply = try DnodeMessage(decoding: Array(replyLine.utf8))
        #expect(
            reply.arguments == [.string("é€😀")], "server decoded split UTF-8 wrong: \(replyLine)")
        try await raw.channel.close()

        // 3. Raw UTF-8 from a Node-like server into our client, cut inside every character.
        let nodeLike = try await RawUTF8Server.start()
        let (proxy2, proxyPort2) = try await ChaosProxy.start(
            upstreamPort: nodeLike.port, settings: split)
        let client2 = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: proxyPort2), configuration: testConfiguration())
        client2.start()
        defer { client2.close() }
        let fromNode = try await client2.up(timeout: .seconds(60)) {
            try await $0.request("echo", [.string("x")])
        }
        #expect(fromNode.json == [.string(RawUTF8Server.reply)])
        let stats = proxy.stats.withLock { $0 }
        let stats2 = proxy2.stats.withLock { $0 }
        // Every forwarded write was a single byte.
        #expect(
            stats.writes[.toClient] == stats.bytes[.toClient]
                && stats.writes[.toServer] == stats.bytes[.toServer])
        #expect(stats2.writes[.toClient] == stats2.bytes[.toClient])
        print("CHAOS: split writes: server path \(stats.writes), node-like path \(stats2.writes)")
        client.close()
        client2.close()
        await proxy.close()
        await proxy2.close()
        await nodeLike.close()
        await server.close()
    }

    @Test("delayed proxy: calls still answered in order")
    func delayed() async throws {
        var slow = ChaosSettings()
        slow.delay = .milliseconds(30)
        let server = try await serve()
        guard case .tcp(_, let serverPort) = server.boundEndpoint else { return }
        let (proxy, proxyPort) = try await ChaosProxy.start(
            upstreamPort: serverPort, settings: slow)
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: proxyPort), configuration: testConfiguration())
        client.start()
        defer { client.close() }
        let order = Locked<[Int64]>([])
        for index in 0..<10 {
            client.whenUp(timeout: .seconds(60)) { remote in
                try? remote.call(
                    "mark",
                    [
                        .string("delay-\(index)"),
                        .function { args in
                            if case .int(let n)? = args.last, n == 1 {
                                order.withLock { $0.append(Int64(index)) }
                            }
                        },
                    ])
            }
        }
        #expect(await eventually(timeout: .seconds(60)) { order.value.count == 10 })
        #expect(order.value == Array(0..<10))
        client.close()
        await proxy.close()
        await server.close()
    }

    @Test("stalled proxy (half-open): ping timeout → down; recovers when the proxy resumes")
    func stall() async throws {
        let server = try await serve()
        guard case .tcp(_, let serverPort) = server.boundEndpoint else { return }
        let (proxy, proxyPort) = try await ChaosProxy.start(upstreamPort: serverPort)
        var configuration = testConfiguration()
        configuration.pingInterval = .milliseconds(200)
        configuration.pingTimeout = .milliseconds(500)
        configuration.connectTimeout = .seconds(2)
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: proxyPort), configuration: configuration)
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        _ = try await client.up(timeout: .seconds(30)) { try await $0.request("time") }
        #expect(
            await eventually(timeout: .seconds(30)) { log.pings >= 1 },
            "heartbeat never answered through the proxy")

        proxy.stall()
        let stalledAt = ContinuousClock.now
        #expect(
            await eventually(timeout: .seconds(30)) {
                log.reasons(to: .down).contains(.pingTimeout)
            })
        let detected = ContinuousClock.now - stalledAt
        let timeouts = log.events.withLock { events in
            events.compactMap { if case .pingTimeout(let after, _) = $0 { after } else { nil } }
        }
        // The heartbeat (not TCP) noticed: its timer, armed at most one interval after the stall.
        #expect(timeouts.first == .milliseconds(500))
        let upsBefore = log.upCount

        proxy.resume()
        #expect(
            await eventually(timeout: .seconds(30)) {
                let state = await client.state
                return log.upCount > upsBefore && state == .up
            })
        let sum = try await client.up(timeout: .seconds(30)) {
            try await $0.request("add", [.int(20), .int(22)])
        }
        #expect(sum.json == [.int(42)])
        print(
            "CHAOS: stall detected after \(detected.shortDescription) (interval 200 ms + timeout 500 ms), recovered"
        )
        client.close()
        await proxy.close()
        await server.close()
    }

    @Test(
        "connection dropped mid-line (either direction): in-flight call → linkLost, reconnect, later calls succeed"
    )
    func dropMidLine() async throws {
        let serveState = ServeMethods()
        let server = try await serve(methods: serveState)
        guard case .tcp(_, let serverPort) = server.boundEndpoint else { return }
        let (proxy, proxyPort) = try await ChaosProxy.start(upstreamPort: serverPort)
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: proxyPort), configuration: testConfiguration())
        let log = EventLog(client)
        client.start()
        defer { client.close() }
        _ = try await client.up(timeout: .seconds(30)) { try await $0.request("time") }

        // Server → client: the reply is cut after "CUT-" and the connection closed.
        proxy.dropMidLine(after: "CUT-", direction: .toClient)
        await #expect(throws: UpnodeError.linkLost(method: "echo")) {
            try await client.up(timeout: .seconds(30)) {
                try await $0.request("echo", [.string("CUT-me-please")])
            }
        }
        // Wait until the client noticed: a transaction started between the cut and the client
        // seeing the close would run on the dead connection and fail with linkLost too.
        #expect(await eventually(timeout: .seconds(30)) { log.reasons(to: .down).count >= 1 })
        let after1 = try await client.up(timeout: .seconds(30)) {
            try await $0.request("echo", [.string("after")])
        }
        #expect(after1.json == [.string("after")])

        // Client → server: the call line is cut, so the server must not run it.
        proxy.dropMidLine(after: "CUT2-", direction: .toServer)
        await #expect(throws: UpnodeError.linkLost(method: "mark")) {
            try await client.up(timeout: .seconds(30)) {
                try await $0.request("mark", [.string("CUT2-tag")])
            }
        }
        #expect(await eventually(timeout: .seconds(30)) { log.reasons(to: .down).count >= 2 })
        let again = try await client.up(timeout: .seconds(30)) {
            try await $0.request("mark", [.string("CUT2-tag")])
        }
        #expect(
            again.json == [.string("CUT2-tag"), .int(1)], "the half line was run by the server")

        #expect(proxy.stats.withLock { $0.drops } == 2)
        #expect(log.upCount >= 3)
        let malformed = log.events.withLock { events in
            events.filter {
                if case .warning(let text) = $0 { text.contains("malformed") } else { false }
            }.count
        }
        #expect(malformed == 0, "a half line was decoded")
        print("CHAOS: mid-line drops=2, ups=\(log.upCount), later calls ok")
        client.close()
        await proxy.close()
        await server.close()
    }

    @Test(
        "a hostile 36 KB line whose links chain copies ~7000 levels deep does not take the server down"
    )
    func deepLinkChain() async throws {
        let server = try await serve()
        guard case .tcp(_, let port) = server.boundEndpoint else { return }
        let chain =
            String(repeating: #"{"a":"#, count: 250) + "1" + String(repeating: "}", count: 250)
        var links: [String] = []
        for k in 1...26 {
            let to = ([String(k)] + Array(repeating: "a", count: 255)).map { "\"\($0)\"" }.joined(
                separator: ",")
            links.append(#"{"from":["\#(k - 1)"],"to":[\#(to)]}"#)
        }
        let placeholders = Array(repeating: "{}", count: 26).joined(separator: ",")
        // echo(tree, {}, …, cb): the reply would re-send the whole tree.
        let line =
            #"{"method":0,"arguments":["# + chain + "," + placeholders
            + #","[Function]"],"callbacks":{"1":["27"]},"links":["#
            + links.joined(separator: ",") + "]}\n"
        let (raw, reader) = try await RawClient.connect(port: port)
        try await raw.send(line)
        // The server is still there and still answers this connection.
        try await raw.send(
            #"{"method":1,"arguments":[40,2,"[Function]"],"callbacks":{"2":["2"]},"links":[]}"#
                + "\n")
        #expect(
            await eventually(timeout: .seconds(30)) {
                reader.text.contains(#"{"method":2,"arguments":[42]"#)
            })
        #expect(!reader.isClosed)
        try await raw.channel.close()
        await server.close()
    }

    @Test(
        "reconnect storm guard: a refusing port with a 50 ms delay is dialled ~20 times a second, not thousands"
    )
    func reconnectStorm() async throws {
        let port = try await refusingPort()
        let client = UpnodeClient(
            endpoint: .tcp(host: "127.0.0.1", port: port), configuration: testConfiguration())
        let log = EventLog(client)
        let cpuBefore = cpuSeconds()
        let start = ContinuousClock.now
        client.start()
        defer { client.close() }
        // Observe for about a second (and at least a few attempts on a slow machine).
        let dials: @Sendable () -> Int = { log.states.filter { $0 == .connecting(.dial) }.count }
        #expect(
            await eventually(timeout: .seconds(60)) {
                ContinuousClock.now - start >= .seconds(1) && dials() >= 3
            })
        client.hold()
        let elapsed = ContinuousClock.now - start
        let cpu = cpuSeconds() - cpuBefore
        #expect(await eventually { (await client.state) == .down })
        let attempts = dials()
        let scheduled = log.events.withLock { events in
            events.compactMap {
                if case .reconnectScheduled(_, let delay) = $0 { delay } else { nil }
            }
        }
        // Each retry waits the configured delay, so at most elapsed / 50 ms (+1 first dial, +1 slack).
        let allowed = Int(elapsed.milliseconds / 50) + 2
        #expect(
            attempts <= allowed,
            "\(attempts) dials in \(elapsed.shortDescription): a reconnect storm")
        #expect(attempts >= 3)
        #expect(
            scheduled.allSatisfy { $0 == .milliseconds(50) }, "delays off policy: \(Set(scheduled))"
        )
        let reasons = log.reasons(to: .down)
        // A channel that never became active reports nothing; the dial's failure names the reason.
        #expect(reasons.allSatisfy { $0.code == "refused" || $0.code == "held" }, "\(reasons)")
        print(
            "CHAOS: refusing port: \(attempts) dials in \(elapsed.shortDescription) (policy allows \(allowed)), process CPU \(String(format: "%.3f", cpu)) s"
        )
    }
}
