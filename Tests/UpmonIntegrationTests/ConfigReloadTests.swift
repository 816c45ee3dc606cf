import Foundation
import ProcessTestSupport
import Testing
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGHUP in a headless `watch --json` against real `upmon serve` processes: the config file
/// is read again, kept links go on with their statistics, a bad file changes nothing.
@Suite("config reload on SIGHUP", .timeLimit(.minutes(3)))
struct ConfigReloadTests {
    /// `upmon serve --unix PATH`, once it listens.
    func startServe() async throws -> (InstalledRun, String) {
        let path = NSTemporaryDirectory() + "upmon-reload-\(UUID().uuidString.prefix(8)).sock"
        let run = try InstalledRun(["serve", "--unix", path])
        #expect(await eventually(timeout: .seconds(30)) { run.stdout.contains("listening on") })
        return (run, path)
    }

    func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test(
        "SIGHUP: unchanged link keeps pinging with its statistics, one leaves, one joins; a bad file is refused"
    )
    func headlessReload() async throws {
        let (serveA, a) = try await startServe()
        let (serveB, b) = try await startServe()
        let (serveC, c) = try await startServe()
        defer {
            for serve in [serveA, serveB, serveC] { kill(serve.process.processIdentifier, SIGTERM) }
        }
        let config = NSTemporaryDirectory() + "upmon-reload-\(UUID().uuidString.prefix(8)).conf"
        defer { try? FileManager.default.removeItem(atPath: config) }
        func write(_ text: String) throws {
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(
            "[a]\nendpoint = unix:\(a)\nping = 100ms\n[b]\nendpoint = unix:\(b)\nping = 100ms\n")
        let watch = try InstalledRun(["watch", "--json", "--config", config])
        let pid = watch.process.processIdentifier
        let c1Ping = #""kind":"ping","conn":"c1""#
        #expect(
            await eventually(timeout: .seconds(60)) {
                self.count(c1Ping, in: watch.stdout) >= 3
                    && watch.stdout.contains(#""conn":"c2","from":"connecting","to":"up""#)
            }, "\(watch.stdout.suffix(2000))")

        try write(
            "[a]\nendpoint = unix:\(a)\nping = 100ms\n[c]\nendpoint = unix:\(c)\nping = 100ms\n")
        kill(pid, SIGHUP)
        #expect(
            await eventually(timeout: .seconds(60)) {
                watch.stdout.contains("config reloaded: 1 added (c), 1 removed (b), 1 unchanged")
                    && watch.stdout.contains(#""conn":"c3","from":"connecting","to":"up""#)
            }, "\(watch.stdout.suffix(2000))")
        #expect(
            watch.stdout.contains(
                #""kind":"link_removed","conn":"c2","reason":"removed_from_config""#))
        #expect(watch.stdout.contains(#""kind":"link_added","conn":"c3","name":"c""#))
        #expect(!watch.stdout.contains(#""kind":"link_removed","conn":"c1""#))

        // A mistake in the file: reported, nothing changes, links go on.
        try write("[a]\nendpoint = unix:\(a)\nping = soon\n")
        kill(pid, SIGHUP)
        #expect(
            await eventually(timeout: .seconds(60)) {
                watch.stdout.contains(
                    "config reload failed, links unchanged: \(config):3: ping: 'soon' is not a duration"
                )
            }, "\(watch.stdout.suffix(2000))")
        let pingsBefore = count(c1Ping, in: watch.stdout)
        let c3Pings = count(#""kind":"ping","conn":"c3""#, in: watch.stdout)
        #expect(
            await eventually(timeout: .seconds(60)) {
                self.count(c1Ping, in: watch.stdout) > pingsBefore + 2
                    && self.count(#""kind":"ping","conn":"c3""#, in: watch.stdout) > c3Pings + 2
            })
        // A vanished file: the same.
        try FileManager.default.removeItem(atPath: config)
        kill(pid, SIGHUP)
        #expect(
            await eventually(timeout: .seconds(60)) {
                watch.stdout.contains(
                    "config reload failed, links unchanged: \(config): config file: no such file")
            }, "\(watch.stdout.suffix(2000))")
        #expect(watch.process.isRunning)

        kill(pid, SIGTERM)
        #expect(await watch.exitCode() == 0, "\(watch.stderr)")
        // The output is a recording: replayed, c1 kept every ping and connected once.
        var replayer = try Replayer(bytes: Array(watch.stdout.utf8), file: "stdout")
        #expect(replayer.index.damagedCount == 0)
        replayer.advance(to: .infinity)
        #expect(replayer.state.connections.map(\.info.name) == ["a", "c"])
        #expect(replayer.state["c1"]?.pingCount == count(c1Ping, in: watch.stdout))
        #expect(replayer.state["c1"]?.connects == 1)
        #expect(replayer.state.departed == ["c2"])
    }
}
