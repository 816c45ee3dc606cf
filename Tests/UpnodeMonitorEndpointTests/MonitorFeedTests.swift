import Testing
import UpnodeMonitor

@testable import UpnodeMonitorEndpoint

/// The live feed never loses events silently.
@Suite("Monitor feed")
struct MonitorFeedTests {
    @Test("overflow is counted and reported by an error note before the next event")
    func overflow() async {
        let feed = MonitorFeed(capacity: 3)
        for label in ["a", "b", "c", "d", "e", "f"] { feed.emit(.mark(label: label), conn: nil) }
        #expect(feed.droppedCount == 3)
        var iterator = feed.events.makeAsyncIterator()
        var delivered: [MonitorEvent.Kind] = []
        for _ in 0..<3 { if let event = await iterator.next() { delivered.append(event.kind) } }
        feed.emit(.mark(label: "g"), conn: nil)
        feed.emit(.mark(label: "h"), conn: nil)
        feed.finish()
        while let event = await iterator.next() { delivered.append(event.kind) }
        #expect(
            delivered == [
                .mark(label: "a"), .mark(label: "b"), .mark(label: "c"),
                .note(level: .error, text: "3 events dropped: the dashboard fell behind"),
                .mark(label: "g"), .mark(label: "h"),
            ])
        #expect(feed.droppedCount == 3)
    }

    @Test("while the stream stays full the count grows; one note reports it all")
    func stillFull() async {
        let feed = MonitorFeed(capacity: 1)
        feed.emit(.mark(label: "a"), conn: "c1")
        feed.emit(.mark(label: "b"), conn: "c1")
        feed.emit(.mark(label: "c"), conn: "c1")  // the note does not fit either
        #expect(feed.droppedCount == 2)
        var iterator = feed.events.makeAsyncIterator()
        let first = await iterator.next()
        feed.emit(.mark(label: "d"), conn: "c1")
        feed.finish()
        var rest: [MonitorEvent] = []
        while let event = await iterator.next() { rest.append(event) }
        #expect(first?.kind == .mark(label: "a"))
        let note = MonitorEvent.Kind.note(
            level: .error, text: "2 events dropped: the dashboard fell behind")
        #expect(rest.map(\.kind) == [note])
        #expect(rest.first?.conn == nil)
        // "d" did not fit behind the note: it is counted for the next note.
        #expect(feed.droppedCount == 3)
    }

    @Test(
        "the note's words",
        arguments: [
            (1, "1 event dropped: the dashboard fell behind"),
            (250, "250 events dropped: the dashboard fell behind"),
        ])
    func lossText(count: Int, expected: String) {
        #expect(MonitorFeed.lossText(count) == expected)
    }
}
