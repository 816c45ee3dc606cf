import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The help overlay of the real binary at the smallest size it supports.
@Suite(
    "help scrolls (tmux)", .enabled(if: TmuxSession.isAvailable), .timeLimit(.minutes(2)),
    .serialized)
struct HelpScrollTests {
    @Test("at 60×15 the help scrolls to its last line and back to its first")
    func helpAt60x15() async throws {
        let port = try ServeProcess.freePort()  // nothing listens: the link stays down
        let tmux = try TmuxSession(
            command: "\(UpmonBinary.path) --log-file /tmp/upmon-e2e-help-\(getpid()).log "
                + "api=127.0.0.1:\(port)",
            width: 60, height: 15)
        defer { tmux.close() }
        _ = await tmux.waitForScreen(containing: "api")
        tmux.send("?")
        let top = await tmux.waitForScreen { $0.contains("Help") && $0.contains("select link") }
        #expect(top.contains("↓ 1-"), "no scroll indicator:\n\(top)")
        // The last line says the mode: scroll with End until it shows.
        func showsLastLine(_ screen: String) -> Bool {
            screen.split(separator: "\n").contains {
                $0.contains(" mode ") && $0.contains(" live ")
            }
        }
        #expect(!showsLastLine(top), "the last line is already in sight:\n\(top)")
        tmux.send("End")
        let bottom = await tmux.waitForScreen(showsLastLine)
        #expect(showsLastLine(bottom), "did not reach the last line:\n\(bottom)")
        #expect(bottom.contains("↑"), "no indicator at the end:\n\(bottom)")
        tmux.send("Home")
        let back = await tmux.waitForScreen { $0.contains("select link") }
        #expect(back.contains("select link"), "\(back)")
        tmux.send("j")
        let down = await tmux.waitForScreen { !$0.contains("select link") && $0.contains("Help") }
        #expect(!down.contains("select link"), "j did not scroll:\n\(down)")
        tmux.send("Escape")
        _ = await tmux.waitForScreen { !$0.contains("upmon › help") }
        tmux.send("q")
        let exit = await tmux.waitForExit()
        #expect(exit.dead && exit.status == 0)
    }
}
