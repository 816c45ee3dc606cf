import Testing

@testable import TerminalUI

@Suite("TextWidth, sanitize and truncation")
struct TextWidthTests {
    @Test(
        "width table",
        arguments: [
            ("a", 1), ("é", 1), ("e\u{301}", 1), ("中", 2), ("한", 2), ("ｱ", 1), ("Ａ", 2),
            ("😀", 2), ("👍🏽", 2), ("❤️", 2), ("🇩🇪", 2), ("👨‍👩‍👧", 2), ("●", 1), ("─", 1),
            ("⣿", 1), ("\u{301}", 0), ("\u{200B}", 0),
        ] as [(String, Int)])
    func widthTable(text: String, expected: Int) {
        #expect(TextWidth.width(of: text) == expected)
    }

    @Test("string widths add up")
    func stringWidth() {
        #expect(TextWidth.width(of: "ab中文😀") == 8)
        #expect(TextWidth.width(of: "cafe\u{301}") == 4)
    }

    @Test("sanitize escapes C0, DEL, C1 and bidi overrides")
    func sanitizeControls() {
        #expect(sanitize("plain") == "plain")
        #expect(sanitize("a\u{1b}[31mb") == "a\\x1b[31mb")
        #expect(sanitize("x\ny\tz") == "x\\x0ay\\x09z")
        #expect(sanitize("\r\n") == "\\x0d\\x0a")
        #expect(sanitize("\u{7f}\u{85}\u{9b}") == "\\x7f\\x85\\x9b")
        #expect(sanitize("evil\u{202e}txt") == "evil\\u{202e}txt")
        #expect(sanitize("\u{0}") == "\\x00")
        #expect(sanitize("中文é") == "中文é")
    }

    @Test("end truncation")
    func truncateEnd() {
        #expect(TextWidth.truncate("hello", to: 5) == "hello")
        #expect(TextWidth.truncate("hello world", to: 6) == "hello…")
        #expect(TextWidth.truncate("中文中文", to: 5) == "中文…")
        #expect(TextWidth.truncate("中文中文", to: 4) == "中…")
        #expect(TextWidth.truncate("hello", to: 1) == "…")
        #expect(TextWidth.truncate("hello", to: 0) == "")
        #expect(TextWidth.truncate("hello", to: 4, ellipsis: "~") == "hel~")
    }

    @Test("middle truncation")
    func truncateMiddle() {
        #expect(TextWidth.truncateMiddle("unix:/var/run/upnode.sock", to: 12) == "unix:/….sock")
        #expect(
            TextWidth.width(of: TextWidth.truncateMiddle("unix:/var/run/upnode.sock", to: 12)) <= 12
        )
        #expect(TextWidth.truncateMiddle("abcdefghij", to: 5) == "ab…ij")
        #expect(TextWidth.truncateMiddle("short", to: 10) == "short")
    }

    @Test("fit pads and aligns")
    func fit() {
        #expect(TextWidth.fit("ab", width: 5) == "ab   ")
        #expect(TextWidth.fit("ab", width: 5, alignment: .right) == "   ab")
        #expect(TextWidth.fit("ab", width: 5, alignment: .center) == " ab  ")
        #expect(TextWidth.fit("abcdef", width: 4) == "abc…")
    }
}

@Suite("Layout")
struct LayoutTests {
    @Test("fixed, percent and fill")
    func mixed() {
        #expect(Layout.distribute([.fixed(1), .fill, .fixed(1)], total: 10) == [1, 8, 1])
        #expect(Layout.distribute([.percent(50), .fill], total: 9) == [4, 5])
        #expect(Layout.distribute([.fill, .fill, .fill], total: 10) == [4, 3, 3])
        #expect(Layout.distribute([.min(3), .fill], total: 10) == [7, 3])
        #expect(Layout.distribute([.fixed(3), .fixed(3)], total: 10) == [3, 3])
    }

    @Test("too little space cuts from the end")
    func overflow() {
        #expect(Layout.distribute([.fixed(5), .fixed(5), .fill], total: 7) == [5, 2, 0])
        #expect(Layout.distribute([.fixed(5)], total: 0) == [0])
    }

    @Test("rects are stacked and placed")
    func rects() {
        let rows = Layout.vertical(
            [.fixed(1), .fill, .fixed(1)], in: Rect(x: 2, y: 3, width: 10, height: 6))
        #expect(
            rows == [
                Rect(x: 2, y: 3, width: 10, height: 1), Rect(x: 2, y: 4, width: 10, height: 4),
                Rect(x: 2, y: 8, width: 10, height: 1),
            ])
        let cols = Layout.horizontal(
            [.percent(60), .fill], in: Rect(x: 0, y: 0, width: 10, height: 2))
        #expect(
            cols == [Rect(x: 0, y: 0, width: 6, height: 2), Rect(x: 6, y: 0, width: 4, height: 2)])
    }

    @Test("rect helpers")
    func rectHelpers() {
        let r = Rect(x: 0, y: 0, width: 10, height: 5)
        #expect(r.inset(by: 1) == Rect(x: 1, y: 1, width: 8, height: 3))
        #expect(r.centered(width: 4, height: 3) == Rect(x: 3, y: 1, width: 4, height: 3))
        #expect(
            r.intersection(Rect(x: 8, y: 4, width: 5, height: 5))
                == Rect(x: 8, y: 4, width: 2, height: 1))
        #expect(Rect(x: 0, y: 0, width: 1, height: 1).inset(by: 1).isEmpty)
    }
}
