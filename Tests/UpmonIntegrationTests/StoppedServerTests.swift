import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real `upmon serve` process frozen with SIGSTOP: its socket stays open and the kernel
/// keeps accepting, but nothing answers — the half-open case only the heartbeat can notice.
@Suite(
    "A stopped serve process (SIGSTOP)", .enabled(if: UpmonBinary.isAvailable),
    .timeLimit(.minutes(1)))
struct StoppedServerTests {
    @Test(
        "SIGSTOP the real serve process: down with ping_timeout (the 500 ms timer); SIGCONT: up again"
    )
    func sigstop() async throws {
        let directory = NSTemporaryDirectory() + "upmon-stop-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/s.sock"
        let server = try ChildProcess(UpmonBinary.path, ["serve", "--unix", socketPath, "--quiet"])
        // Whatever happens, the child is resumed and killed: a stopped child would outlive us.
        defer { server.terminate() }
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socketPath)
            }, "serve never listened")

        let interval = Duration.milliseconds(200)
        let timeout = Duration.milliseconds(500)
        var configuration = LinkConfiguration()
        configuration.pingInterval = interval
        configuration.pingTimeout = timeout
        configuration.reconnect = .fixed(.milliseconds(100))
        configuration.connectTimeout = .seconds(2)
        let client = UpnodeClient(endpoint: .unix(path: socketPath), configuration: configuration)
        let log = ClientLog(client)
        client.start()
        defer { client.close() }

        let sum = try await client.up(timeout: .seconds(30)) {
            try await $0.request("add", [.int(2), .int(3)])
        }
        #expect(sum.map(\.json) == [.int(5)])
        // A healthy heartbeat first: at least two answered pings (the immediate one and one on the interval).
        #expect(
            await eventually(timeout: .seconds(30)) { log.pings >= 2 },
            "the heartbeat never answered")

        let downsBefore = log.downs(reason: .pingTimeout)
        kill(server.pid, SIGSTOP)
        let stoppedAt = ContinuousClock.now
        let noticed = await eventually(timeout: .seconds(30)) {
            log.downs(reason: .pingTimeout) > downsBefore
        }
        let detected = ContinuousClock.now - stoppedAt
        #expect(noticed, "no ping_timeout after SIGSTOP: \(log.summary)")
        // The timer that fired is the ping timeout. That it fires within interval + timeout is
        // proved on a virtual clock (LinkStateMachineTests, "a half-open peer…"); here the
        // wall-clock time is only printed: on a loaded machine the test's own tasks can wait
        // seconds for a thread, which says nothing about the protocol.
        #expect(log.pingTimeouts.first == timeout, "the timer that fired: \(log.pingTimeouts)")
        // While stopped the link must not claim to be up.
        #expect(await client.state != .up)

        let upsBefore = log.ups
        kill(server.pid, SIGCONT)
        let resumedAt = ContinuousClock.now
        let back = await eventually(timeout: .seconds(30)) {
            let state = await client.state
            return log.ups > upsBefore && state == .up
        }
        let recovered = ContinuousClock.now - resumedAt
        #expect(back, "not up again after SIGCONT: \(log.summary)")
        let after = try await client.up(timeout: .seconds(30)) {
            try await $0.request("add", [.int(20), .int(22)])
        }
        #expect(after.map(\.json) == [.int(42)])
        print(
            "SIGSTOP: ping_timeout after \(ms(detected)) ms (interval \(ms(interval)) + timeout \(ms(timeout)) ms); up again \(ms(recovered)) ms after SIGCONT"
        )
        client.close()
    }
}

func ms(_ duration: Duration) -> Int {
    Int(
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    )
}

/// Everything one client reported, collected from its event stream.
final class ClientLog: Sendable {
    let events = Locked<[UpnodeEvent]>([])
    let task: Task<Void, Never>

    init(_ client: UpnodeClient) {
        let stream = client.events()
        let events = self.events
        task = Task { for await event in stream { events.withLock { $0.append(event) } } }
    }

    deinit { task.cancel() }

    var pings: Int { events.value.filter { if case .ping = $0 { true } else { false } }.count }
    var ups: Int {
        events.value.filter { if case .state(_, .up, _) = $0 { true } else { false } }.count
    }
    var pingTimeouts: [Duration] {
        events.value.compactMap { if case .pingTimeout(let after, _) = $0 { after } else { nil } }
    }
    func downs(reason: LinkReason) -> Int {
        events.value.filter { if case .state(_, .down, reason) = $0 { true } else { false } }.count
    }
    var summary: String {
        events.value.compactMap {
            if case .state(let from, let to, let reason) = $0 {
                "\(from)→\(to) \(reason.code)"
            } else {
                nil
            }
        }
        .joined(separator: ", ")
    }
}

/// A child process (posix_spawn, stdio on /dev/null, default signal handling).
final class ChildProcess: Sendable {
    let pid: pid_t

    init(_ path: String, _ arguments: [String]) throws {
        pid = try Spawn.start(path, arguments)
    }

    /// SIGCONT (so nothing is left stopped even if the kill fails) and SIGKILL, then reaps it.
    func terminate() {
        kill(pid, SIGCONT)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
