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

    @Test("M on the tap's row lists the methods of its connections; Enter lists a method's calls")
    func methodsView() async throws {
        let server = try ServeProcess()
        let tapPort = try ServeProcess.freePort()
        let tmux = try TmuxSession(
            command:
                "\(upmon) tap 127.0.0.1:\(tapPort) 127.0.0.1:\(server.port) --log-file /tmp/upmon-e2e-methods-\(getpid()).log"
        )
        defer { tmux.close() }
        let listening = await tmux.waitForScreen { $0.contains("LIVE") && $0.contains("● up") }
        #expect(listening.contains(" tap "), "\(listening)")
        for _ in 0..<5 {
            #expect(await runToEnd(upmon, ["call", "127.0.0.1:\(tapPort)", "add", "2", "3"]) == 0)
        }
        for _ in 0..<2 {
            #expect(await runToEnd(upmon, ["call", "127.0.0.1:\(tapPort)", "fail"]) == 1)
        }
        // Every answer is in once the seventh connection has closed.
        let rows = await tmux.waitForScreen { screen in
            screen.split(separator: "\n").contains { $0.contains("tap#7") && $0.contains("closed") }
        }
        #expect(rows.contains("tap#7"), "\(rows)")

        // `tap` sorts first by name: the tap's own row.
        tmux.send("g")
        tmux.send("M")
        func cells(_ screen: String, _ method: String) -> [String] {
            for line in screen.split(separator: "\n") {
                // Borders and the selection marker (`│▶`) are not cells.
                let words = line.split(separator: " ").map(String.init).filter {
                    !$0.allSatisfy { "│▶".contains($0) }
                }
                if words.first == method, words.count > 8 { return words }
            }
            return []
        }
        // The whole view, not a frame caught half drawn.
        let methods = await tmux.waitForScreen {
            $0.contains("Methods of tap (") && cells($0, "add").count > 9
                && cells($0, "fail").count > 9
        }
        #expect(methods.contains("7 connections"), "\(methods)")
        // METHOD CALLER CALLS CALLS/S IN-FLIGHT P50 P95 P99 ERRORS UNANSWERED LAST
        let add = cells(methods, "add")
        #expect(add.count > 9 && add[2] == "5" && add[8] == "0", "\(methods)")
        let fail = cells(methods, "fail")
        #expect(fail.count > 9 && fail[2] == "2" && fail[8] == "2", "\(methods)")

        tmux.send("Down")
        tmux.send("Enter")
        func errorLines(_ screen: String) -> Int {
            screen.split(separator: "\n").filter { $0.contains(" error ") && $0.contains("tap#") }
                .count
        }
        let calls = await tmux.waitForScreen {
            $0.contains("Calls of fail on tap") && errorLines($0) >= 2
        }
        #expect(errorLines(calls) == 2, "\(calls)")
        tmux.send("Escape")
        let back = await tmux.waitForScreen { $0.contains("Methods of tap (") }
        #expect(back.contains("Methods of tap ("), "\(back)")
        tmux.send("Escape")
        let table = await tmux.waitForScreen { !$0.contains("Methods of") }
        #expect(table.contains("NAME") && table.contains("tap#7"), "\(table)")
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
