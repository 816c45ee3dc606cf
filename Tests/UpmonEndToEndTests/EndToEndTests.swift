import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real `upmon` binary under tmux, asserting on the visible screen.
@Suite(
    "upmon end to end (tmux)", .enabled(if: TmuxSession.isAvailable), .timeLimit(.minutes(2)),
    .serialized)
struct EndToEndTests {
    let upmon = UpmonBinary.path

    @Test("the demo shows every link with state words, and latency numbers move")
    func demo() async throws {
        let tmux = try TmuxSession(
            command: "\(upmon) --demo --demo-seed 7 --log-file /tmp/upmon-e2e-\(getpid()).log")
        defer { tmux.close() }
        let names = ["api", "auth", "flappy", "local", "lossy", "refused", "slow"]
        // Poll until the whole frame is there: a capture can catch a frame half drawn.
        let first = await tmux.waitForScreen { screen in
            screen.contains("LIVE") && screen.contains("● up")
                && names.allSatisfy { screen.contains(" \($0) ") }
                && (screen.contains("◐ retry") || screen.contains("◌ dial"))
        }
        for name in names {
            #expect(first.contains(" \(name) "), "missing \(name):\n\(first)")
        }
        #expect(
            first.contains("◐ retry") || first.contains("◌ dial"),
            "refused link is not retrying:\n\(first)")
        let later = await tmux.waitForScreen { $0 != first && $0.contains("ms") }
        #expect(later != first, "the screen did not change")
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
        #expect(!tmux.screen().contains("LIVE"), "q left the dashboard on the screen")
    }

    @Test("a serve instance killed and restarted: down → retry → up, with the reconnect count")
    func killAndRestart() async throws {
        var server = try ServeProcess()
        let port = server.port
        let tmux = try TmuxSession(command: "\(upmon) api=127.0.0.1:\(port)")
        defer { tmux.close() }
        await tmux.waitForScreen(containing: "● up")
        server.kill()
        let retrying = await tmux.waitForScreen { $0.contains("◐ retry") }
        #expect(retrying.contains("◐ retry"), "\(retrying)")
        server = try ServeProcess(port: port)
        let back = await tmux.waitForScreen { $0.contains("● up") && $0.contains("reconnects 1") }
        #expect(back.contains("● up"), "\(back)")
        #expect(back.contains("reconnects 1"), "\(back)")
        #expect(back.contains("retry_scheduled") || back.contains("→ retry"), "\(back)")
        tmux.send("q")
        _ = await tmux.waitForExit()
        server.kill()
    }

    @Test("the call dialog calls add and shows the result")
    func callDialog() async throws {
        let server = try ServeProcess()
        let tmux = try TmuxSession(command: "\(upmon) api=127.0.0.1:\(server.port)")
        defer { tmux.close() }
        await tmux.waitForScreen(containing: "● up")
        tmux.send("c")
        await tmux.waitForScreen(containing: "Pick a method")
        tmux.type("add")
        tmux.send("Enter")
        await tmux.waitForScreen(containing: "Args")
        tmux.type("2, 3")
        tmux.send("Enter")
        let result = await tmux.waitForScreen { $0.contains("ok ") && $0.contains("cb(5)") }
        #expect(result.contains("cb(5)"), "\(result)")
        tmux.send("Escape")
        tmux.send("q")
        _ = await tmux.waitForExit()
        server.kill()
    }

    @Test("record the demo, then replay it: same links, pause and seek work")
    func recordAndReplay() async throws {
        let path = NSTemporaryDirectory() + "upmon-e2e-\(UUID().uuidString).upmon"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let live = try TmuxSession(command: "\(upmon) --demo --demo-seed 7 --record \(path)")
        defer { live.close() }
        await live.waitForScreen { $0.contains("REC") && $0.contains("● up") }
        try await Task.sleep(for: .seconds(3))
        live.send("q")
        await live.waitForScreen(containing: "Stop recording and quit")
        live.send("y")
        let exit = await live.waitForExit()
        #expect(exit.dead && exit.status == 0)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("{\"upmon\":\"recording\""))
        #expect(text.contains("\"kind\":\"end\""), "no end line:\n\(text.suffix(300))")

        let replay = try TmuxSession(command: "\(upmon) replay \(path) --paused")

        defer { replay.close() }
        let paused = await replay.waitForScreen { $0.contains("REPLAY") && $0.contains("api ") }
        for name in ["api", "auth", "flappy", "local", "lossy", "refused", "slow"] {
            #expect(paused.contains(" \(name) "), "missing \(name) in replay:\n\(paused)")
        }
        let atStart = replay.screen()
        replay.send("End")
        let atEnd = await replay.waitForScreen { $0 != atStart }
        #expect(atEnd.contains("● up"), "\(atEnd)")
        replay.send("Home")
        let home = await replay.waitForScreen { $0 != atEnd }
        #expect(home != atEnd)
        replay.send("q")
        _ = await replay.waitForExit()
    }

    @Test("NO_COLOR=1 draws without colour; the light theme renders")
    func colourAndThemes() async throws {
        let server = try ServeProcess()
        let plain = try TmuxSession(
            command: "\(upmon) api=127.0.0.1:\(server.port)", environment: ["NO_COLOR": "1"])
        defer { plain.close() }
        let screen = await plain.waitForScreen(containing: "● up")
        #expect(screen.contains("● up"))
        let escapes = plain.screenWithColours()
        #expect(
            !escapes.contains("[38;") && !escapes.contains("[48;"), "colour escapes with NO_COLOR")
        plain.send("q")
        _ = await plain.waitForExit()

        let light = try TmuxSession(command: "\(upmon) --theme light api=127.0.0.1:\(server.port)")

        defer { light.close() }
        let lit = await light.waitForScreen(containing: "● up")
        #expect(lit.contains("LIVE"))
        #expect(light.screenWithColours().contains("[38;"), "no colour with the light theme")
        light.send("t")
        let cycled = await light.waitForScreen(containing: "theme:")
        #expect(cycled.contains("theme:"), "\(cycled)")
        light.send("q")
        _ = await light.waitForExit()
        server.kill()
    }

    @Test("TERM unset: a clear message and exit code 3, no curses abort")
    func termUnset() async throws {
        let tmux = try TmuxSession(command: "\(upmon) 127.0.0.1:9", environment: ["TERM": ""])
        defer { tmux.close() }
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 3)
        let screen = tmux.screen()
        #expect(screen.contains("TERM"), "\(screen)")
    }

    @Test(
        "TERM=dumb and an unknown TERM: refused with exit 3 and what to do, before curses starts",
        arguments: ["dumb", "no-such-term-xyz"])
    func termRefused(term: String) async throws {
        let tmux = try TmuxSession(command: "\(upmon) 127.0.0.1:9", environment: ["TERM": term])
        defer { tmux.close() }
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 3)
        let screen = tmux.screen()
        #expect(screen.contains(term), "\(screen)")
        #expect(screen.contains("TERM=xterm-256color"), "\(screen)")
        if term == "dumb" {
            #expect(screen.contains("--json or --once"), "\(screen)")
        }
        // Curses never took the screen: no alternate screen, keypad mode off, cursor shown.
        #expect(tmux.format("#{alternate_on} #{keypad_flag} #{cursor_flag}") == "0 0 1")
    }

    @Test(
        "a tiny terminal shows 'terminal too small' and q still quits; resizing back restores the table"
    )
    func tinyTerminal() async throws {
        let server = try ServeProcess()
        let tmux = try TmuxSession(
            command: "\(upmon) api=127.0.0.1:\(server.port)", width: 50, height: 12)
        defer { tmux.close() }
        let small = await tmux.waitForScreen(containing: "too small")
        #expect(small.contains("terminal too small: 50×12 (need 60×15)"), "\(small)")
        tmux.resize(width: 100, height: 30)
        let big = await tmux.waitForScreen(containing: "● up")
        #expect(big.contains("NAME"), "\(big)")
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead)
        server.kill()
    }

    @Test("SIGTERM restores the terminal and exits")
    func sigterm() async throws {
        let server = try ServeProcess()
        let tmux = try TmuxSession(command: "\(upmon) api=127.0.0.1:\(server.port)")
        defer { tmux.close() }
        await tmux.waitForScreen(containing: "● up")
        let pid = try #require(tmux.upmonPID())
        kill(pid, SIGTERM)
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
        #expect(!tmux.screen().contains("LIVE"), "SIGTERM left the dashboard on the screen")
        server.kill()
    }

    @Test("stdin that is not a terminal: a clear error on stderr and exit code 3")
    func stdinNotTerminal() throws {
        let errors = NSTemporaryDirectory() + "upmon-e2e-stderr-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: errors) }
        // stdin and stdout are /dev/null and a file here: no terminal at all.
        let status = try Spawn.run(
            upmon, ["127.0.0.1:9"], stdoutPath: errors + ".out", stderrPath: errors)
        try? FileManager.default.removeItem(atPath: errors + ".out")
        #expect(status == 3)
        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        #expect(text.contains("stdin and stdout must be a terminal"), "\(text)")
    }
}
