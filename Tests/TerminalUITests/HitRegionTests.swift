import Testing

@testable import TerminalUI

@Suite("Hit regions: where widgets draw, for mouse clicks")
struct HitRegionTests {
    @Test("HintBar regions cover exactly the drawn hints; hints that do not fit have none")
    func hintBar() {
        let bar = HintBar(hints: [
            Hint(key: "?", label: "Help", event: .char("?")), Hint(key: "↑↓", label: "Select"),
            Hint(key: "q", label: "Quit", event: .char("q")),
            Hint(key: "x", label: "Does not fit"),
        ])
        let area = Rect(x: 2, y: 1, width: 26, height: 1)
        var buffer = Buffer(width: 30, height: 3)
        #expect(bar.render(into: &buffer, area: area) == 3)
        let regions = bar.regions(in: area)
        #expect(
            regions == [
                Rect(x: 2, y: 1, width: 5, height: 1), Rect(x: 9, y: 1, width: 8, height: 1),
                Rect(x: 19, y: 1, width: 5, height: 1),
            ])
        let line = Array(buffer.line(1))
        for (hint, region) in zip(bar.hints, regions) {
            #expect(String(line[region.x..<region.maxX]) == hint.key + hint.label)
        }
        #expect(bar.hint(at: Position(x: 6, y: 1), area: area)?.event == .char("?"))
        #expect(bar.hint(at: Position(x: 7, y: 1), area: area) == nil)  // the gap
        #expect(bar.hint(at: Position(x: 19, y: 1), area: area)?.label == "Quit")
        #expect(bar.hint(at: Position(x: 25, y: 1), area: area) == nil)  // past the last
        #expect(bar.hint(at: Position(x: 6, y: 0), area: area) == nil)
        #expect(bar.regions(in: Rect(x: 0, y: 0, width: 0, height: 1)) == [])
    }

    @Test(
        "ListPicker.matchIndex follows the filter and the scrolled list; the query row is no item")
    func listPicker() {
        var state = ListPickerState(items: (0..<20).map { "item\($0)" })
        let area = Rect(x: 1, y: 1, width: 20, height: 6)  // query row + 5 rows of items
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 1), area: area) == nil)
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 2), area: area) == 0)
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 0, y: 2), area: area) == nil)
        state.select(index: 12)  // the list scrolls so 12 is on the last row
        var buffer = Buffer(width: 22, height: 8)
        ListPicker(state: state).render(into: &buffer, area: area)
        #expect(buffer.line(6).contains("item12"))
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 6), area: area) == 12)
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 2), area: area) == 8)
        state.query.text = "item1"  // item1, item10…item19
        state.select(index: 0)
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 3), area: area) == 1)
        state.select(index: 99)
        #expect(state.selectedItem == "item19")
        #expect(ListPicker(state: state).matchIndex(at: Position(x: 3, y: 7), area: area) == nil)
    }

    @Test("MouseEvent from SGR numbers: ranges are checked, never trapping")
    func sgr() {
        #expect(
            MouseEvent(sgrCode: 0, column: 1, row: 1, final: "M")?.position == Position(x: 0, y: 0))
        #expect(MouseEvent(sgrCode: -1, column: 1, row: 1, final: "M") == nil)
        #expect(MouseEvent(sgrCode: 0, column: 0, row: 1, final: "M") == nil)
        #expect(MouseEvent(sgrCode: 0, column: 1, row: 1, final: "x") == nil)
        #expect(MouseEvent(sgrCode: 0, column: Int.max, row: Int.max, final: "m")?.kind == .release)
        #expect(MouseEvent(sgrCode: 195, column: 1, row: 1, final: "M")?.button == .other(15))
        #expect(MouseEvent(sgrCode: 35, column: 1, row: 1, final: "M")?.kind == .motion)
    }
}
