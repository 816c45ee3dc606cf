import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension EndToEndTests {
    /// The terminal misbehaving under a running dashboard: job control, resize storms, huge
    /// pastes, the terminal disappearing. Nested, so it is serialized with the other tmux tests.
    @Suite("upmon end to end: suspend, resize storm, paste, terminal gone (tmux)")
    struct TerminalResilienceTests {
        let upmon = UpmonBinary.path

        /// A whole dashboard frame: header, table heads, the lower panes and the hint bar.
        static func isWholeFrame(_ screen: String) -> Bool {
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            guard let header = lines.first,
                let hints = lines.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
            else { return false }
            return header.contains("upmon") && header.contains("LIVE") && screen.contains("NAME")
                && screen.contains("ENDPOINT")
                && screen.contains("Latency") && screen.contains("Events")
                && hints.contains("?Help") && hints.contains("qQuit")
        }

        @Test(
            "SIGTSTP (kill -TSTP, then Ctrl-Z) and fg: the terminal is given back while stopped, fully redrawn after SIGCONT, keys work, q exits 0"
        )
        func suspendAndResume() async throws {
            let tmux = try TmuxSession.interactiveShell()
            defer { tmux.close() }
            await tmux.waitForScreen(containing: TmuxSession.prompt)
            tmux.typeCommand(
                "\(upmon) --demo --demo-seed 7 --log-file /tmp/upmon-e2e-\(getpid())-tstp.log")
            let first = await tmux.waitForScreen { Self.isWholeFrame($0) && $0.contains("▶ api") }
            #expect(Self.isWholeFrame(first), "\(first)")
            let pid = try #require(tmux.upmonPID())
            // A failure must not leave a stopped upmon behind.
            defer { if ProcStat.state(pid) == "T" { kill(pid, SIGCONT) } }
            #expect(tmux.format("#{alternate_on} #{keypad_flag}") == "1 1")
            #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "1 1")

            for way in ["kill -TSTP", "Ctrl-Z"] {
                if way == "kill -TSTP" { kill(pid, SIGTSTP) } else { tmux.send("C-z") }
                // Stopped, and curses gave the terminal back: normal screen, keypad mode off.
                let stopped = await eventually(timeout: .seconds(20)) {
                    ProcStat.state(pid) == "T"
                        && tmux.format("#{alternate_on} #{keypad_flag}") == "0 0"
                        && tmux.format("#{mouse_any_flag}") == "0"
                        && tmux.screen().contains("Stopped")
                }
                #expect(
                    stopped,
                    "\(way): state \(ProcStat.state(pid).map(String.init) ?? "?"), \(tmux.format("#{alternate_on} #{keypad_flag}")):\n\(tmux.screen())"
                )
                #expect(
                    !tmux.screen().contains("LIVE"),
                    "\(way): the dashboard stayed on the screen while stopped")
                // Clear the normal screen and scrollback; the alternate screen upmon re-enters
                // starts blank, so everything seen after fg was drawn after SIGCONT.
                _ = try? tmux.run(["clear-history", "-t", "t"])
                let resumedAt = ContinuousClock.now
                tmux.typeCommand("clear && fg")
                let back = await tmux.waitForScreen {
                    Self.isWholeFrame($0) && !$0.contains("Stopped")
                }
                let redrawn = ContinuousClock.now - resumedAt
                #expect(Self.isWholeFrame(back), "\(way): not redrawn after fg:\n\(back)")
                #expect(ProcStat.state(pid) != "T")
                #expect(
                    tmux.format("#{alternate_on} #{keypad_flag}") == "1 1",
                    "\(way): curses modes not restored")
                #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "1 1")
                print("SIGTSTP (\(way)): stopped, whole frame again \(redrawn) after fg")
            }
            // Keys still work, arrows included (they need keypad transmit mode back).
            tmux.send("Down")
            let moved = await tmux.waitForScreen { $0.contains("▶ auth") }
            #expect(moved.contains("▶ auth"), "Down did nothing after the resume:\n\(moved)")
            tmux.send("q")
            let status = await tmux.waitForShellExit(pid: pid)
            #expect(status == 0)
        }

        @Test(
            "a resize storm (50 a second for 3 s, through sizes below 60×15): upmon keeps running, the last frame fits the last size, q exits 0"
        )
        func resizeStorm() async throws {
            let server = try ServeProcess()
            let tmux = try TmuxSession(command: "\(upmon) api=127.0.0.1:\(server.port)")
            defer { tmux.close() }
            await tmux.waitForScreen(containing: "● up")
            let pid = try #require(tmux.upmonPID())
            let cpuBefore = ProcStat.cpuSeconds(pid) ?? 0
            let sizes = [
                (120, 35), (59, 14), (80, 24), (40, 10), (200, 50), (60, 15), (30, 8), (61, 16),
                (100, 30),
            ]
            // Paced against a clock: resize n goes out at start + n × 20 ms (no sleeping when behind).
            let start = ContinuousClock.now
            var sent = 0
            while ContinuousClock.now - start < .seconds(3) {
                let (width, height) = sizes[sent % sizes.count]
                tmux.resize(width: width, height: height)
                sent += 1
                let next = start + .milliseconds(20 * sent)
                if next > ContinuousClock.now {
                    try await Task.sleep(until: next, clock: .continuous)
                }
            }
            let stormTime = ContinuousClock.now - start
            tmux.resize(width: 100, height: 30)
            let settledFrom = ContinuousClock.now
            let cpuStorm = (ProcStat.cpuSeconds(pid) ?? 0) - cpuBefore
            #expect(!ProcStat.isGone(pid), "upmon died in the storm:\n\(tmux.screen())")
            #expect(!tmux.paneStatus().dead, "upmon exited in the storm:\n\(tmux.screen())")

            func fits(_ screen: String) -> Bool {
                let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(
                    String.init)
                guard lines.count >= 30 else { return false }
                return lines[0].hasPrefix(" upmon") && lines[0].contains("LIVE")
                    && lines[1].hasPrefix("┌ Connections")
                    && lines[1].hasSuffix("┐") && lines[1].count == 100 && lines[2].contains("NAME")
                    && lines[2].contains("STATE")
                    && lines[3].contains("api") && lines[3].contains("● up")
                    && lines[28].hasPrefix("└") && lines[28].count == 100
                    && lines[29].hasPrefix(" ?Help") && !screen.contains("too small")
            }
            let final = await tmux.waitForScreen(fits)
            #expect(fits(final), "the last frame does not fit 100×30:\n\(final)")
            print(
                "RESIZE STORM: \(sent) resizes in \(stormTime) (\(Int(Double(sent) / stormTime.seconds)) a second), upmon CPU \(String(format: "%.2f", cpuStorm)) s, a correct 100×30 frame \(ContinuousClock.now - settledFrom) after the last"
            )
            tmux.send("q")
            let exit = await tmux.waitForExit()
            #expect(exit.dead && exit.status == 0)
            server.kill()
        }

        @Test(
            "pasting 10 KB of invalid JSON into the call dialog: a clear error with its column, Esc closes, other links keep pinging, q exits 0"
        )
        func pasteIntoCallDialog() async throws {
            let server = try ServeProcess()
            let metricsPort = try ServeProcess.freePort()
            let config = NSTemporaryDirectory() + "upmon-e2e-paste-\(UUID().uuidString).conf"
            let payloadPath = config + ".paste"
            defer {
                try? FileManager.default.removeItem(atPath: config)
                try? FileManager.default.removeItem(atPath: payloadPath)
            }
            let link = "endpoint = 127.0.0.1:\(server.port)\nping = 300ms\ntimeout = 2s\n"
            try "[api]\n\(link)[web]\n\(link)".write(
                toFile: config, atomically: true, encoding: .utf8)
            // Over 10 KB of array items with one bad value in the middle (multi-byte é included).
            let items = (0..<400).map { #"{"n":\#($0),"s":"abcdefghé"}"# }
            let head = "[" + items[..<200].joined(separator: ",") + #",{"bad":"#
            let payload = head + "nope}," + items[200...].joined(separator: ",") + "]"
            let badColumn = head.count + 1
            #expect(payload.utf8.count >= 10_240)
            try payload.write(toFile: payloadPath, atomically: true, encoding: .utf8)

            let tmux = try TmuxSession(
                command: "\(upmon) --config \(config) --metrics :\(metricsPort)")
            defer { tmux.close() }
            await tmux.waitForScreen { $0.components(separatedBy: "● up").count > 2 }
            let pid = try #require(tmux.upmonPID())
            tmux.send("c")
            await tmux.waitForScreen(containing: "Pick a method")
            tmux.type("add")
            tmux.send("Enter")
            await tmux.waitForScreen(containing: "Args")

            let pingsBefore = Self.pings(port: metricsPort, conn: "web")
            let cpuBefore = ProcStat.cpuSeconds(pid) ?? 0
            _ = try tmux.run(["load-buffer", "-b", "paste", payloadPath])
            let pastedAt = ContinuousClock.now
            _ = try tmux.run(["paste-buffer", "-d", "-b", "paste", "-t", "t"])
            let error = "unexpected 'n' at col \(badColumn)"
            let tail = String(payload.suffix(40))
            let shown = await tmux.waitForScreen(timeout: .seconds(60)) {
                $0.contains(error) && $0.contains(tail)
            }
            let pasteTime = ContinuousClock.now - pastedAt
            let pasteCPU = (ProcStat.cpuSeconds(pid) ?? 0) - cpuBefore
            #expect(shown.contains(error), "no column error for the paste:\n\(shown)")
            #expect(shown.contains(tail), "the field does not end with the pasted text:\n\(shown)")
            // The dashboard kept working meanwhile: the other link's pings still reach the metrics.
            let pinging = await eventually(timeout: .seconds(20)) {
                (Self.pings(port: metricsPort, conn: "web") ?? 0) > (pingsBefore ?? .max)
            }
            #expect(
                pinging,
                "web stopped pinging: \(String(describing: pingsBefore)) → \(String(describing: Self.pings(port: metricsPort, conn: "web")))"
            )
            // Enter with invalid arguments sends nothing; Esc closes the dialog.
            tmux.send("Enter")
            tmux.send("Escape")
            let closed = await tmux.waitForScreen { !$0.contains("Args") && $0.contains("NAME") }
            #expect(!closed.contains("Args") && !closed.contains("Call m1"), "\(closed)")
            print(
                "PASTE: \(payload.utf8.count) bytes (\(payload.count) characters) shown with its error \(pasteTime) after paste-buffer, upmon CPU \(String(format: "%.2f", pasteCPU)) s"
            )
            tmux.send("q")
            let exit = await tmux.waitForExit()
            #expect(exit.dead && exit.status == 0)
            server.kill()
        }

        /// `upnode_ping_seconds_count` of `conn` from the metrics endpoint.
        static func pings(port: Int, conn: String) -> Int? {
            let prefix = "upnode_ping_seconds_count{conn=\"\(conn)\"} "
            return httpGet(port: port, path: "/metrics")?.split(separator: "\n")
                .first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
        }

        @Test(
            "the terminal goes away mid-run while recording: upmon exits within seconds without spinning, the recording ends with its end line",
            arguments: ["kill-pane", "kill-server"])
        func terminalGone(how: String) async throws {
            let server = try ServeProcess()
            let path = NSTemporaryDirectory() + "upmon-e2e-gone-\(UUID().uuidString).upmon"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let tmux = try TmuxSession(
                command: "\(upmon) --record \(path) api=127.0.0.1:\(server.port)")
            defer { tmux.close() }
            await tmux.waitForScreen { $0.contains("REC") && $0.contains("● up") }
            let pid = try #require(tmux.upmonPID())
            _ = try? tmux.run(how == "kill-pane" ? ["kill-pane", "-t", "t"] : ["kill-server"])
            let goneFrom = ContinuousClock.now
            let gone = await eventually(timeout: .seconds(10)) { ProcStat.isGone(pid) }
            let exitTime = ContinuousClock.now - goneFrom
            if !gone {
                // Still there: it must at least not spin a core.
                let before = ProcStat.cpuSeconds(pid) ?? 0
                try await Task.sleep(for: .seconds(2))
                let used = (ProcStat.cpuSeconds(pid) ?? 0) - before
                Issue.record(
                    "upmon still runs 10 s after \(how) (state \(ProcStat.state(pid).map(String.init) ?? "?"), \(String(format: "%.2f", used)) s CPU in 2 s)"
                )
                kill(pid, SIGKILL)
            }
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            #expect(text.hasPrefix("{\"upmon\":\"recording\""))
            #expect(
                last.contains("\"kind\":\"end\""),
                "the recording does not end with an end line:\n\(text.suffix(300))")
            print("TERMINAL GONE (\(how)): upmon exited \(exitTime) later; last line \(last)")
            server.kill()
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
