import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension EndToEndTests {
    /// `:reload`, SIGHUP and `:connect` in the real dashboard, asserting on the screen. Nested,
    /// so it is serialized with the other tmux tests.
    @Suite("live link changes (tmux)")
    struct LiveChangeTests {
        let upmon = UpmonBinary.path

        /// The table rows of link `name` (`│▶ name …` or `│  name …`).
        func rows(_ screen: String, containing name: String) -> [Substring] {
            screen.split(separator: "\n").filter {
                $0.hasPrefix("│▶ \(name) ") || $0.hasPrefix("│  \(name) ")
            }
        }

        /// `reconnects N` of the detail pane.
        func reconnects(_ screen: String) -> Substring? {
            guard let range = screen.range(of: "reconnects ") else { return nil }
            return screen[range.upperBound...].prefix { $0.isNumber }
        }

        @Test(
            "`:reload` after editing the config: one joins, one leaves, the kept one keeps its statistics; a bad edit changes nothing"
        )
        func reload() async throws {
            let alpha = try ServeProcess()
            let bravo = try ServeProcess()
            let charlie = try ServeProcess()
            defer { for server in [alpha, bravo, charlie] { server.kill() } }
            let config = NSTemporaryDirectory() + "upmon-e2e-\(UUID().uuidString.prefix(8)).conf"
            defer { try? FileManager.default.removeItem(atPath: config) }
            func write(_ text: String) throws {
                try text.write(toFile: config, atomically: true, encoding: .utf8)
            }
            let alphaSection = "[alpha]\nendpoint = 127.0.0.1:\(alpha.port)\nping = 200ms\n"
            try write(alphaSection + "[bravo]\nendpoint = 127.0.0.1:\(bravo.port)\n")
            let tmux = try TmuxSession(
                command: "\(upmon) --config \(config) --log-file /tmp/upmon-e2e-\(getpid()).log",
                width: 200, height: 50)
            defer { tmux.close() }
            await tmux.waitForScreen { screen in
                self.rows(screen, containing: "alpha").first?.contains("● up") == true
                    && self.rows(screen, containing: "bravo").first?.contains("● up") == true
            }
            // A call on alpha (the first row, selected): its detail pane counts it.
            tmux.send("c")
            await tmux.waitForScreen(containing: "Pick a method")
            tmux.type("add")
            tmux.send("Enter")
            await tmux.waitForScreen(containing: "Args")
            tmux.type("2, 3")
            tmux.send("Enter")
            await tmux.waitForScreen { $0.contains("cb(5)") }
            tmux.send("Escape")
            let before = await tmux.waitForScreen {
                $0.contains("Calls   1 ok")
            }
            let alphaRowBefore = rows(before, containing: "alpha").first.map(String.init) ?? ""
            #expect(alphaRowBefore.contains("● up"), "\(before)")

            // Edit: bravo goes, charlie comes, alpha stays as it was.
            try write(alphaSection + "[charlie]\nendpoint = 127.0.0.1:\(charlie.port)\n")
            tmux.send(":")
            tmux.type("reload")
            tmux.send("Enter")
            let after = await tmux.waitForScreen { screen in
                screen.contains("1 added (charlie), 1 removed (bravo), 1 unchanged")
                    && self.rows(screen, containing: "charlie").first?.contains("● up") == true
            }
            #expect(after.contains("1 added (charlie), 1 removed (bravo), 1 unchanged"), "\(after)")
            #expect(rows(after, containing: "charlie").count == 1, "\(after)")
            #expect(rows(after, containing: "bravo").isEmpty, "\(after)")
            #expect(after.contains("bravo left (removed from the config)"), "\(after)")
            #expect(after.contains("charlie joined"), "\(after)")
            // alpha: still up, still selected, its call still counted (nothing was reset).
            #expect(rows(after, containing: "alpha").first?.contains("● up") == true, "\(after)")
            #expect(after.contains("Calls   1 ok"), "\(after)")
            #expect(reconnects(after) == reconnects(before), "\(before)\n\(after)")

            // A bad edit: a clear message, every link still there.
            try write("[alpha]\nendpoint = 127.0.0.1:\(alpha.port)\nping = soon\n")
            tmux.send(":")
            tmux.type("reload")
            tmux.send("Enter")
            let refused = await tmux.waitForScreen { $0.contains("reload failed, links unchanged") }
            #expect(refused.contains("reload failed, links unchanged"), "\(refused)")
            #expect(refused.contains(":3: ping: 'soon' is not a duration"), "\(refused)")
            #expect(rows(refused, containing: "charlie").count == 1, "\(refused)")
            #expect(
                rows(refused, containing: "alpha").first?.contains("● up") == true, "\(refused)")

            // SIGHUP reloads too (it used to quit): charlie leaves.
            try write(alphaSection)
            if let pid = tmux.upmonPID() { posixKill(pid, SIGHUP) }
            let hup = await tmux.waitForScreen { screen in
                screen.contains("charlie left (removed from the config)")
                    && self.rows(screen, containing: "charlie").isEmpty
            }
            #expect(hup.contains("charlie left (removed from the config)"), "\(hup)")
            #expect(rows(hup, containing: "charlie").isEmpty, "\(hup)")
            #expect(hup.contains("LIVE"), "\(hup)")
            tmux.send("q")
            let exit = await tmux.waitForExit()
            #expect(exit.dead && exit.status == 0)
        }

        @Test("`:connect` adds a link that comes up; `:disconnect` removes it; junk says why")
        func connectAndDisconnect() async throws {
            let alpha = try ServeProcess()
            let delta = try ServeProcess()
            defer { for server in [alpha, delta] { server.kill() } }
            let tmux = try TmuxSession(
                command:
                    "\(upmon) alpha=127.0.0.1:\(alpha.port) --log-file /tmp/upmon-e2e-\(getpid()).log",
                width: 80, height: 24)
            defer { tmux.close() }
            await tmux.waitForScreen {
                self.rows($0, containing: "alpha").first?.contains("up") == true
            }
            tmux.send(":")
            tmux.type("connect delta=127.0.0.1:\(delta.port) ping=fast")
            tmux.send("Enter")
            let junk = await tmux.waitForScreen { $0.contains(":connect: ping: 'fast'") }
            #expect(junk.contains(":connect: ping: 'fast'"), "\(junk)")
            tmux.send(":")
            tmux.type("connect delta=127.0.0.1:\(delta.port) ping=500ms")
            tmux.send("Enter")
            let joined = await tmux.waitForScreen { screen in
                self.rows(screen, containing: "delta").first?.contains("up") == true
            }
            #expect(rows(joined, containing: "delta").count == 1, "\(joined)")
            tmux.send(":")
            tmux.type("disconnect delta")
            tmux.send("Enter")
            let left = await tmux.waitForScreen { self.rows($0, containing: "delta").isEmpty }
            #expect(rows(left, containing: "delta").isEmpty, "\(left)")
            #expect(rows(left, containing: "alpha").count == 1, "\(left)")
            tmux.send("q")
            let exit = await tmux.waitForExit()
            #expect(exit.dead && exit.status == 0)
        }
    }
}
