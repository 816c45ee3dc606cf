import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SGR mouse reports sent into the pane as the terminal would send them (`send-keys -H`).
@Suite("mouse (tmux)", .enabled(if: TmuxSession.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct MouseEndToEndTests {
    /// Three links to a port where nothing listens: they stay down, the screen stays put.
    static func command(_ extra: String = "") throws -> String {
        let port = try ServeProcess.freePort()
        return "\(UpmonBinary.path) \(extra) --log-file /tmp/upmon-e2e-mouse-\(getpid()).log "
            + "alpha=127.0.0.1:\(port) beta=127.0.0.1:\(port) gamma=127.0.0.1:\(port)"
    }

    /// Where `text` first shows on `screen` (0-based column and row), at or below row `from`.
    static func find(_ text: String, in screen: String, from: Int = 0) -> (x: Int, y: Int)? {
        for (y, line) in screen.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated() where y >= from
        {
            if let range = line.range(of: text) {
                return (line.distance(from: line.startIndex, to: range.lowerBound), y)
            }
        }
        return nil
    }

    /// Sends `ESC [ < text` as raw bytes.
    static func report(_ tmux: TmuxSession, _ text: String) {
        let bytes = Array("\u{1b}[<\(text)".utf8).map { String($0, radix: 16) }
        _ = try? tmux.run(["send-keys", "-t", "t", "-H"] + bytes)
    }

    /// A left press and release at 0-based cell (x, y).
    static func click(_ tmux: TmuxSession, x: Int, y: Int) {
        report(tmux, "0;\(x + 1);\(y + 1)M")
        report(tmux, "0;\(x + 1);\(y + 1)m")
    }

    @Test("press + release selects a row, the wheel moves on, footer hints and panes answer clicks")
    func clicks() async throws {
        let tmux = try TmuxSession(command: try Self.command())
        defer { tmux.close() }
        let first = await tmux.waitForScreen {
            $0.contains("Detail · alpha") && $0.contains("gamma")
        }
        #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "1 1", "\(first)")

        let header = try #require(Self.find("NAME", in: first))
        let beta = try #require(Self.find(" beta ", in: first, from: header.y + 1))
        Self.click(tmux, x: beta.x + 1, y: beta.y)
        let selected = await tmux.waitForScreen {
            $0.contains("Detail · beta") && $0.contains("▶ beta")
        }
        #expect(selected.contains("▶ beta"), "the click did not select beta:\n\(selected)")

        Self.report(tmux, "65;\(beta.x + 2);\(beta.y + 1)M")  // wheel down over the table
        let wheeled = await tmux.waitForScreen {
            $0.contains("Detail · gamma") && $0.contains("▶ gamma")
        }
        #expect(wheeled.contains("▶ gamma"), "the wheel did not move on:\n\(wheeled)")

        // A click on the events pane focuses it: the footer shows the log's hints.
        let events = try #require(Self.find("Events", in: wheeled))
        Self.click(tmux, x: 40, y: events.y + 1)
        let focused = await tmux.waitForScreen { $0.contains("TabFocus") }
        #expect(focused.contains("TabFocus"), "\(focused)")
        Self.click(tmux, x: beta.x + 1, y: beta.y)  // back to the table
        let table = await tmux.waitForScreen {
            $0.contains("Detail · beta") && $0.contains("cCall")
        }
        #expect(table.contains("cCall"), "\(table)")

        // A click on the footer's ?Help opens the help, as ? does; a click outside it closes it.
        let help = try #require(Self.find("?Help", in: table, from: 34))
        Self.click(tmux, x: help.x + 2, y: help.y)
        let opened = await tmux.waitForScreen {
            $0.contains("select link") && $0.contains("Shift+drag")
        }
        #expect(opened.contains("Shift+drag"), "the help does not mention Shift:\n\(opened)")
        Self.click(tmux, x: 0, y: 10)
        let closed = await tmux.waitForScreen { !$0.contains("select link") }
        #expect(!closed.contains("select link"), "\(closed)")

        // Bad input: half a report then a key (the key still works), absurd numbers, cells
        // outside the screen. Nothing crashes, nothing sticks, no stray key.
        Self.report(tmux, "0;12")
        tmux.send("?")
        let afterHalf = await tmux.waitForScreen { $0.contains("select link") }
        #expect(afterHalf.contains("select link"), "? after half a report:\n\(afterHalf)")
        tmux.send("Escape")
        _ = await tmux.waitForScreen { !$0.contains("select link") }
        Self.report(tmux, String(repeating: "9", count: 300) + ";1;1M")
        Self.report(tmux, "0;500;500M")
        Self.report(tmux, "0;;M")
        tmux.send("j")
        let moved = await tmux.waitForScreen { $0.contains("Detail · gamma") }
        #expect(moved.contains("▶ gamma"), "j after garbage reports:\n\(moved)")
        #expect(!moved.contains("filter:  "), "\(moved)")

        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0, "\(tmux.screen())")
        #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "0 0")
    }

    @Test("replay: a click on the progress bar seeks there; q restores the terminal")
    func replaySeek() async throws {
        let example = packageRoot.appendingPathComponent("Tests/Fixtures/recordings/example.upmon")
        let tmux = try TmuxSession(
            command: "\(UpmonBinary.path) replay \(example.path) --paused "
                + "--log-file /tmp/upmon-e2e-mouse-replay-\(getpid()).log")
        defer { tmux.close() }
        let start = await tmux.waitForScreen { $0.contains("00:00 / 00:06") }
        #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "1 1", "\(start)")
        // The last cell of the bar, just left of its closing ▏.
        let end = try #require(Self.find("▏ 00:00 / 00:06", in: start))
        Self.click(tmux, x: end.x - 1, y: end.y)
        let sought = await tmux.waitForScreen { $0.contains("00:06 / 00:06") }
        #expect(sought.contains("00:06 / 00:06"), "the click did not seek:\n\(sought)")
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
        #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "0 0")
    }

    @Test("--no-mouse: the pane's mouse flags stay 0 and the keys work as before")
    func noMouse() async throws {
        let tmux = try TmuxSession(command: try Self.command("--no-mouse"))
        defer { tmux.close() }
        let first = await tmux.waitForScreen {
            $0.contains("Detail · alpha") && $0.contains("gamma")
        }
        #expect(tmux.format("#{mouse_any_flag} #{mouse_sgr_flag}") == "0 0", "\(first)")
        tmux.send("j")
        let moved = await tmux.waitForScreen { $0.contains("Detail · beta") }
        #expect(moved.contains("▶ beta"), "\(moved)")
        tmux.send("?")
        let help = await tmux.waitForScreen { $0.contains("select link") }
        #expect(help.contains("off (--no-mouse"), "\(help)")
        tmux.send("Escape")
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
    }
}
