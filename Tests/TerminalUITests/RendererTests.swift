import Testing

@testable import TerminalUI

@Suite("Renderer and TestBackend")
struct RendererTests {
    private func frame(_ text: [String], width: Int = 6) -> Buffer {
        var buffer = Buffer(width: width, height: text.count)
        for (row, line) in text.enumerated() { buffer.set(x: 0, y: row, line) }
        return buffer
    }

    @Test("first frame is a full redraw")
    func firstFrame() {
        let backend = TestBackend(width: 6, height: 2)
        var renderer = Renderer()
        let written = renderer.render(frame(["hello", "world"]), on: backend)
        #expect(written == 12)
        #expect(backend.cellsWritten == 12)
        #expect(backend.clearCount == 1)
        #expect(backend.flushCount == 1)
        #expect(backend.screenText == "hello\nworld")
    }

    @Test("an identical frame writes 0 cells; one changed cell writes 1")
    func diff() {
        let backend = TestBackend(width: 6, height: 2)
        var renderer = Renderer()
        renderer.render(frame(["hello", "world"]), on: backend)
        backend.resetCounters()
        renderer.render(frame(["hello", "world"]), on: backend)
        #expect(backend.cellsWritten == 0)
        #expect(backend.clearCount == 0)
        #expect(backend.flushCount == 1)
        renderer.render(frame(["hello", "wOrld"]), on: backend)
        #expect(backend.cellsWritten == 1)
        #expect(backend.screenText == "hello\nwOrld")
    }

    @Test("a style change alone is redrawn")
    func styleChange() {
        let backend = TestBackend(width: 3, height: 1)
        var renderer = Renderer()
        var a = Buffer(width: 3, height: 1)
        a.set(x: 0, y: 0, "abc")
        renderer.render(a, on: backend)
        backend.resetCounters()
        var b = a
        b.setStyle(Style(attrs: .bold), in: Rect(x: 1, y: 0, width: 2, height: 1))
        renderer.render(b, on: backend)
        #expect(backend.cellsWritten == 2)
        #expect(backend.style(atX: 2, y: 0) == Style(attrs: .bold))
    }

    @Test("runs split where the style changes and at unchanged cells")
    func runs() {
        var old = Buffer(width: 6, height: 1)
        old.set(x: 0, y: 0, "aaaaaa")
        var new = old
        new.set(x: 0, y: 0, "bb", style: Style(attrs: .bold))
        new.set(x: 2, y: 0, "c")
        new.set(x: 5, y: 0, "d")
        let runs = Renderer.diff(from: old, to: new)
        #expect(runs.map(\.text) == ["bb", "c", "d"])
        #expect(runs.map(\.x) == [0, 2, 5])
    }

    @Test("a changed wide grapheme is sent whole")
    func wideDiff() {
        let backend = TestBackend(width: 4, height: 1)
        var renderer = Renderer()
        var a = Buffer(width: 4, height: 1)
        a.set(x: 0, y: 0, "中文")
        renderer.render(a, on: backend)
        backend.resetCounters()
        var b = Buffer(width: 4, height: 1)
        b.set(x: 0, y: 0, "中字")
        renderer.render(b, on: backend)
        #expect(backend.cellsWritten == 2)
        #expect(backend.screenText == "中字")
    }

    @Test("resize and invalidate force a full redraw")
    func fullRedraw() {
        let backend = TestBackend(width: 4, height: 1)
        var renderer = Renderer()
        renderer.render(frame(["ab"], width: 4), on: backend)
        backend.resetCounters()
        renderer.invalidate()
        renderer.render(frame(["ab"], width: 4), on: backend)
        #expect(backend.cellsWritten == 4)
        #expect(backend.clearCount == 1)
        backend.resize(width: 5, height: 2)
        #expect(backend.readInput() == [.resize])
        backend.resetCounters()
        renderer.render(frame(["ab", "cd"], width: 5), on: backend)
        #expect(backend.cellsWritten == 10)
        #expect(backend.screenText == "ab\ncd")
    }

    @Test("cursor is shown or hidden per frame")
    func cursor() {
        let backend = TestBackend(width: 4, height: 1)
        var renderer = Renderer()
        renderer.render(Buffer(width: 4, height: 1), on: backend, cursor: Position(x: 2, y: 0))
        #expect(backend.cursor == Position(x: 2, y: 0))
        renderer.render(Buffer(width: 4, height: 1), on: backend)
        #expect(backend.cursor == nil)
    }

    @Test("scripted input is returned once")
    func input() {
        let backend = TestBackend(width: 1, height: 1)
        backend.enqueueInput([.char("q"), .ctrl("c")])
        #expect(backend.readInput() == [.char("q"), .ctrl("c")])
        #expect(backend.readInput().isEmpty)
    }

    @Test("screenText trims trailing spaces, screenLines keeps them")
    func trimming() {
        let backend = TestBackend(width: 4, height: 2)
        var renderer = Renderer()
        renderer.render(frame([" a", ""], width: 4), on: backend)
        #expect(backend.screenText == " a\n")
        #expect(backend.screenLines == [" a  ", "    "])
    }
}
