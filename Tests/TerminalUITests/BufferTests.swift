import Testing

@testable import TerminalUI

@Suite("Buffer")
struct BufferTests {
    @Test("writes are clipped and report columns written")
    func clipped() {
        var b = Buffer(width: 5, height: 2)
        #expect(b.set(x: 3, y: 0, "hello") == 2)
        #expect(b.set(x: 0, y: 5, "x") == 0)
        #expect(b.set(x: -2, y: 1, "abcd") == 2)
        #expect(b.text == "   he\ncd")
        #expect(b.set(x: 0, y: 0, "abc", maxWidth: 2) == 2)
        #expect(b.lines[0] == "ab he")
    }

    @Test("wide graphemes take two cells and a continuation")
    func wide() {
        var b = Buffer(width: 5, height: 1)
        #expect(b.set(x: 0, y: 0, "中文x") == 5)
        #expect(b[0, 0].width == 2)
        #expect(b[1, 0].isContinuation)
        #expect(b.text == "中文x")
        // A wide grapheme that would hang off the edge is not written.
        var c = Buffer(width: 3, height: 1)
        #expect(c.set(x: 0, y: 0, "a中文") == 3)
        #expect(c.text == "a中")
        #expect(c.set(x: 2, y: 0, "中") == 0)
    }

    @Test("overwriting half a wide grapheme blanks the other half")
    func overwriteWide() {
        var b = Buffer(width: 4, height: 1)
        b.set(x: 0, y: 0, "中文")
        b.set(x: 1, y: 0, "x")
        #expect(b.lines[0] == " x文")
        b.set(x: 2, y: 0, "y")
        #expect(b.lines[0] == " xy ")
    }

    @Test("control characters are drawn as escapes")
    func controls() {
        var b = Buffer(width: 10, height: 1)
        b.set(x: 0, y: 0, "a\u{1b}b")
        #expect(b.text == "a\\x1bb")
    }

    @Test("combining marks stay with their base")
    func combining() {
        var b = Buffer(width: 4, height: 1)
        #expect(b.set(x: 0, y: 0, "e\u{301}x") == 2)
        #expect(b.text == "e\u{301}x")
    }

    @Test("fill, setStyle and spans")
    func fillAndStyle() {
        var b = Buffer(width: 4, height: 2)
        let red = Style(fg: .ansi(1))
        b.fill(Rect(x: 1, y: 0, width: 2, height: 2), with: "#", style: red)
        #expect(b.text == " ##\n ##")
        #expect(b[1, 1].style == red)
        b.setStyle(.plain, in: Rect(x: 0, y: 0, width: 4, height: 1))
        #expect(b[1, 0].style == .plain)
        var c = Buffer(width: 6, height: 1)
        c.set(x: 0, y: 0, Line([Span("ab", style: red), Span("cd")]))
        #expect(c.text == "abcd")
        #expect(c[1, 0].style == red)
        #expect(c[2, 0].style == .plain)
    }

    @Test("line truncation keeps span styles")
    func lineTruncation() {
        let red = Style(fg: .ansi(1))
        let line = Line([Span("abc", style: red), Span("defg")]).truncated(to: 5)
        #expect(line.plainText == "abcd…")
        #expect(line.spans[0].style == red)
    }
}
