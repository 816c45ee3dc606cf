import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon tap` with its dashboard under tmux, in front of a real `upmon serve`.
@Suite(
    "upmon tap end to end (tmux)", .enabled(if: TmuxSession.isAvailable),
    .timeLimit(.minutes(2)), .serialized)
struct TapEndToEndTests {
    let upmon = UpmonBinary.path

    @Test("calls through the tap become rows; a tapped row's detail lists its methods")
    func tapDashboard() async throws {
        let server = try ServeProcess()
        let tapPort = try ServeProcess.freePort()
        let tmux = try TmuxSession(
            command:
                "\(upmon) tap 127.0.0.1:\(tapPort) 127.0.0.1:\(server.port) --log-file /tmp/upmon-e2e-tap-\(getpid()).log"
        )
        defer { tmux.close() }
        let listening = await tmux.waitForScreen { $0.contains("LIVE") && $0.contains("● up") }
        #expect(listening.contains(" tap "), "\(listening)")

        let add = await runToEnd(upmon, ["call", "127.0.0.1:\(tapPort)", "add", "2", "3"])
        #expect(add == 0)
        let fail = await runToEnd(upmon, ["call", "127.0.0.1:\(tapPort)", "fail"])
        #expect(fail == 1)
        let rows = await tmux.waitForScreen { $0.contains("tap#1") && $0.contains("tap#2") }
        #expect(rows.contains("■ closed"), "\(rows)")

        // Down until the failed call's connection (tap#2) is selected, then its detail.
        var selected = false
        for _ in 0..<4 {
            tmux.send("Down")
            let screen = await tmux.waitForScreen(timeout: .seconds(5)) {
                $0.contains("Detail · tap#2")
            }
            if screen.contains("Detail · tap#2") {
                selected = true
                break
            }
        }
        #expect(selected, "\(tmux.screen())")
        tmux.send("Enter")
        let detail = await tmux.waitForScreen { $0.contains("Method") && $0.contains("fail") }
        #expect(detail.contains("Method"), "\(detail)")
        #expect(detail.contains("fail"), "\(detail)")
        #expect(detail.contains("1 err"), "\(detail)")
        tmux.send("Escape")
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
    }
}

/// Runs a command to its end and returns its exit status, polling rather than blocking a
/// thread in `waitpid` (two cores: a blocked thread starves the other tests); nil when it
/// did not end within 60 s.
func runToEnd(_ path: String, _ arguments: [String]) async -> Int32? {
    guard let pid = try? Spawn.start(path, arguments) else { return nil }
    let deadline = ContinuousClock.now + .seconds(60)
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
        if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xFF }
        try? await Task.sleep(for: .milliseconds(20))
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
    return nil
}
