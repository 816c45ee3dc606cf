import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Alerts in the real dashboard under tmux: a server killed and restarted.
@Suite(
    "alerts end to end (tmux)", .enabled(if: TmuxSession.isAvailable), .timeLimit(.minutes(2)),
    .serialized)
struct AlertEndToEndTests {
    @Test(
        "a killed server fires the down alert: header, bell, title, `a` list, hook environment; a restart resolves it"
    )
    func downFiresAndResolves() async throws {
        let directory = NSTemporaryDirectory() + "upmon-e2e-alerts-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try ServeProcess()
        let port = server.port
        let config = directory + "/upmon.conf"
        // The hook writes its UPMON_* variables to a file named by the state, renamed into
        // place so that the test never reads it half written.
        try """
        env | grep '^UPMON_' | sort > "\(directory)/tmp-$UPMON_STATE"
        mv "\(directory)/tmp-$UPMON_STATE" "\(directory)/hook-$UPMON_STATE.env"
        """.write(toFile: directory + "/hook.sh", atomically: true, encoding: .utf8)
        try """
        [alerts]
        down = 2s
        p95 = off
        loss = off
        queue = off
        flap = off
        on_alert = sh \(directory)/hook.sh
        hook_min_interval = 0s

        [api]
        endpoint = 127.0.0.1:\(port)
        ping = 200ms
        timeout = 500ms
        reconnect = 300ms
        """.write(toFile: config, atomically: true, encoding: .utf8)
        // In a shell with job control, so that Ctrl-Z stops upmon.
        let tmux = try TmuxSession.interactiveShell()
        defer { tmux.close() }
        await tmux.waitForScreen(containing: TmuxSession.prompt)
        tmux.typeCommand(
            "\(UpmonBinary.path) --config \(config) --log-file \(directory)/upmon.log")
        // Each bell the pane rings appends a line (the window's bell flag would only say "once").
        _ = try tmux.run([
            "set-hook", "-g", "alert-bell", "run-shell 'echo bell >> \(directory)/bells'",
        ])
        func bells() -> Int {
            ((try? String(contentsOfFile: directory + "/bells", encoding: .utf8)) ?? "")
                .split(separator: "\n").count
        }
        // On a loaded machine the first connect can take longer than `down`: then an alert
        // fires and resolves at start. Wait for that to be over, and start from there.
        _ = await tmux.waitForScreen { $0.contains("● up") && !$0.contains("alert —") }
        #expect(
            await eventually(timeout: .seconds(10)) {
                !tmux.format("#{pane_title}").hasPrefix("upmon:")
            })
        let originalTitle = tmux.format("#{pane_title}")
        for state in ["firing", "resolved"] {
            try? FileManager.default.removeItem(atPath: directory + "/hook-\(state).env")
        }
        let bellsBefore = bells()

        server.kill()
        let firing = await tmux.waitForScreen { $0.contains("1 alert — api down") }
        #expect(firing.contains("1 alert — api down"), "\(firing)")
        #expect(
            await eventually(timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: directory + "/hook-firing.env")
            })
        let environment = try String(
            contentsOfFile: directory + "/hook-firing.env", encoding: .utf8)
        for expected in [
            "UPMON_ALERT=down", "UPMON_CONN=api", "UPMON_STATE=firing", "UPMON_THRESHOLD=2",
            "UPMON_ENDPOINT=tcp://127.0.0.1:\(port)", "UPMON_UNIT=s",
        ] {
            #expect(environment.contains(expected + "\n"), "\(expected) in\n\(environment)")
        }
        #expect(await eventually(timeout: .seconds(20)) { bells() > bellsBefore }, "no bell")
        #expect(tmux.format("#{window_bell_flag}") == "1")
        #expect(tmux.format("#{pane_title}") == "upmon: 1 alert — api down")

        // Stopped (Ctrl-Z), upmon gives the terminal its own title back; after `fg` it sets
        // its own again.
        let pid = try #require(tmux.upmonPID())
        defer { if ProcStat.state(pid) == "T" { kill(pid, SIGCONT) } }
        tmux.send("C-z")
        #expect(
            await eventually(timeout: .seconds(10)) {
                ProcStat.state(pid) == "T" && tmux.format("#{pane_title}") == originalTitle
            }, "while stopped: \(tmux.format("#{pane_title}"))")
        tmux.typeCommand("fg")
        #expect(
            await eventually(timeout: .seconds(10)) {
                tmux.format("#{pane_title}") == "upmon: 1 alert — api down"
            }, "after fg: \(tmux.format("#{pane_title}"))")
        await tmux.waitForScreen(containing: "1 alert — api down")

        tmux.send("a")
        let list = await tmux.waitForScreen { $0.contains("FIRING") && $0.contains("Alerts") }
        #expect(list.contains("1 firing,"), "\(list)")
        #expect(list.contains("api") && list.contains("down"), "\(list)")
        tmux.send("Escape")

        server = try ServeProcess(port: port)
        let resolved = await tmux.waitForScreen { $0.contains("● up") && !$0.contains("alert —") }
        #expect(!resolved.contains("1 alert —"), "\(resolved)")
        #expect(
            await eventually(timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: directory + "/hook-resolved.env")
            })
        let after = try String(contentsOfFile: directory + "/hook-resolved.env", encoding: .utf8)
        #expect(after.contains("UPMON_STATE=resolved\n"), "\(after)")
        #expect(
            await eventually(timeout: .seconds(10)) {
                tmux.format("#{pane_title}") == originalTitle
            }, "title not given back: \(tmux.format("#{pane_title}"))")

        tmux.send("a")
        let history = await tmux.waitForScreen {
            $0.contains("0 firing,") && $0.contains("resolved")
        }
        #expect(history.contains("resolved"), "\(history)")
        tmux.send("Escape")
        tmux.send("q")
        #expect(await tmux.waitForShellExit(pid: pid) == 0)
        server.kill()
    }
}
