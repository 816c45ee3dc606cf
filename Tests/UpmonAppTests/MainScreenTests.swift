import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("main screen")
struct MainScreenTests {
    @Test(
        "120x35 shows every region",
        arguments: [
            (120, 35, "main-120x35"), (80, 24, "main-80x24"), (60, 15, "main-60x15"),
            (59, 14, "main-59x14"), (100, 30, "main-100x30"), (120, 27, "main-120x27"),
        ])
    func sizes(width: Int, height: Int, name: String) {
        let buffer = Fixture.render(Fixture.model(), width: width, height: height)
        assertSnapshot(screenText(buffer), named: name)
    }

    @Test("ASCII glyphs draw no non-ASCII character")
    func ascii() {
        let buffer = Fixture.render(Fixture.model(), glyphs: .ascii)
        let text = screenText(buffer)
        assertSnapshot(text, named: "main-120x35-ascii")
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test("role map at 120x35")
    func roleMap() {
        let buffer = Fixture.render(Fixture.model(), theme: Themes.roleMap)
        assertSnapshot(Themes.roleMapText(buffer), named: "roles-120x35")
    }
}
