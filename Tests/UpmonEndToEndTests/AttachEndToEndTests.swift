import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The example app (`Examples/AttachDemo`), built next to the `upmon` binary.
private let demoBinary =
    (UpmonBinary.path as NSString).deletingLastPathComponent + "/upmon-attach-demo"

/// `upmon attach` under tmux, watching the example app's two links to two `upmon serve`s.
@Suite(
    "upmon attach end to end (tmux)",
    .enabled(
        if: TmuxSession.isAvailable && FileManager.default.isExecutableFile(atPath: demoBinary)),
    .timeLimit(.minutes(3)), .serialized)
struct AttachEndToEndTests {
    /// The detail pane's queue line: `N waiting · E in F out X expired`.
    static func queue(_ screen: String) -> (waiting: Int, enqueued: Int, flushed: Int)? {
        for line in screen.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "waiting"), at > 0,
                let waiting = Int(words[at - 1].filter(\.isNumber)),
                let into = words.firstIndex(of: "in"), into > 0,
                let enqueued = Int(words[into - 1]),
                let out = words.firstIndex(of: "out"), out > 0,
                let flushed = Int(words[out - 1])
            else { continue }
            return (waiting, enqueued, flushed)
        }
        return nil
    }

    @Test(
        "kill one of the app's servers: its link goes down, calls queue, and flush after the restart"
    )
    func serverKilledAndRestarted() async throws {
        let directory = "/tmp/upmon-ae-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var billing = try ServeProcess()
        let search = try ServeProcess()
        let socket = directory + "/app.sock"
        let demo = try Spawn.start(
            demoBinary,
            [
                socket, "billing=127.0.0.1:\(billing.port)", "search=127.0.0.1:\(search.port)",
            ])
        defer {
            _ = posixKill(demo, SIGKILL)
            var status: Int32 = 0
            waitpid(demo, &status, 0)
        }
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socket)
            }, "the demo never opened its endpoint")

        let tmux = try TmuxSession(
            command: "\(UpmonBinary.path) attach unix:\(socket) --log-file \(directory)/upmon.log")
        defer { tmux.close() }
        let both = await tmux.waitForScreen { screen in
            screen.contains(" billing ") && screen.contains(" search ")
                && screen.components(separatedBy: "● up").count > 2
        }
        #expect(both.contains("2 links: ● 2 up"), "\(both)")

        // Actions that need the link belong to the app.
        tmux.send("r")
        let refused = await tmux.waitForScreen(containing: "not available for attached links")
        #expect(refused.contains("not available for attached links"), "\(refused)")

        // The first row (billing) is selected: its server goes away.
        billing.kill()
        let down = await tmux.waitForScreen(timeout: .seconds(30)) { screen in
            (Self.queue(screen)?.waiting ?? 0) > 0
        }
        #expect((Self.queue(down)?.waiting ?? 0) > 0, "no queued calls while down:\n\(down)")
        #expect(down.contains("retry") || down.contains("down"), "\(down)")

        billing = try ServeProcess(port: billing.port)
        let flushed = await tmux.waitForScreen(timeout: .seconds(30)) { screen in
            guard let queue = Self.queue(screen) else { return false }
            return queue.waiting == 0 && queue.flushed > 0 && queue.flushed == queue.enqueued
        }
        let queue = Self.queue(flushed)
        #expect(queue?.waiting == 0, "\(flushed)")
        #expect((queue?.flushed ?? 0) > 0, "\(flushed)")
        #expect(queue?.flushed == queue?.enqueued, "every queued call ran:\n\(flushed)")

        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
        billing.kill()
    }
}
