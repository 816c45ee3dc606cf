import DnodeProtocol
import Synchronization
import Testing
import UpnodeMonitor
import UpnodeMonitorEndpoint

@testable import UpmonApp

/// The feed hands events over a batch at a time, and the headless modes apply a batch under
/// one lock: neither may change what comes out.
@Suite("Feed batches and the shared snapshot")
struct FeedBatchTests {
    @Test("batches hold every event once, in order; the feed ends after the last")
    func batchesInOrder() async {
        let feed = MonitorFeed()
        for index in 0..<50 { feed.emit(.mark(label: "m\(index)"), conn: nil) }
        var iterator = feed.batches.makeAsyncIterator()
        let first = await iterator.next() ?? []
        for index in 50..<80 { feed.emit(.mark(label: "m\(index)"), conn: nil) }
        feed.finish()
        feed.emit(.mark(label: "late"), conn: nil)  // after finish: not delivered
        var all = first
        while let batch = await iterator.next() {
            #expect(!batch.isEmpty)
            all += batch
        }
        #expect(first.count == 50)
        #expect(all.map(\.kind) == (0..<80).map { .mark(label: "m\($0)") })
        #expect(all.map(\.t) == all.map(\.t).sorted())
    }

    @Test("a consumer waiting for events wakes for the next one, and cancelling it ends it")
    func waitingConsumer() async {
        let feed = MonitorFeed()
        let received = Task {
            var iterator = feed.events.makeAsyncIterator()
            return await iterator.next()
        }
        feed.emit(.note(level: .info, text: "hello"), conn: "c1")
        #expect(await received.value?.kind == .note(level: .info, text: "hello"))

        let cancelled = Task {
            var iterator = MonitorFeed().events.makeAsyncIterator()
            return await iterator.next()
        }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }

    @Test(
        "applying random batches in place gives the lines and state of one event at a time",
        arguments: [11, 12, 13] as [UInt64])
    func batchedApplyEqualsSingles(seed: UInt64) {
        let infos = (0..<4).map { feedTestInfo(ConnectionID(index: $0)) }
        var generator = SplitMix(seed: seed)
        let events = RandomEvents.make(count: 600, links: infos.map(\.id), using: &generator)
        let header = RecordingHeader(
            started: "2026-12-04T00:00:00.000Z", host: "h", upmonVersion: "0",
            settings: RecordingSettings(snapEverySeconds: 5), connections: infos)

        // One event at a time, as the modes did before batches.
        var state = MonitorState(connections: infos)
        var exporter = JSONLinesExporter(header: header, snapEvery: 5)
        var expected: [UInt8] = []
        for event in events {
            state.apply(event)
            expected += exporter.line(for: event)
            if let snap = exporter.snapIfDue(state, t: event.t) { expected += snap }
        }

        let snapshot = StateSnapshot(MonitorState(connections: infos))
        var batchedExporter = JSONLinesExporter(header: header, snapEvery: 5)
        var output: [UInt8] = []
        var rest = events[...]
        while !rest.isEmpty {
            let size = Int(generator.next() % 30) + 1
            output += snapshot.applyEach(Array(rest.prefix(size))) { state, event in
                var bytes = batchedExporter.line(for: event)
                if batchedExporter.isSnapDue(at: event.t) {
                    bytes += batchedExporter.wroteSnap(
                        RecordingEncoder.snapLine(state, t: event.t), at: event.t)
                }
                return bytes
            }
            rest = rest.dropFirst(size)
        }
        #expect(output == expected)
        #expect(snapshot.current.state == state)
        #expect(snapshot.current.now == events.last?.t)
    }

    @Test("headless readers get the state at once; the dashboard's wait for its next tick")
    func freshReads() {
        let infos = [feedTestInfo("c1")]
        let headless = StateSnapshot(MonitorState(connections: infos))
        headless.apply(MonitorEvent(t: 1, conn: "c1", kind: .ping(rttMs: 3)))
        let seen = Seen()
        headless.withFresh { state, _ in
            state["c1"]?.pingCount ?? -1
        } then: { count in
            seen.values.withLock { $0.append(count) }
        }
        #expect(seen.values.withLock { $0 } == [1])

        let dashboard = StateSnapshot(MonitorState(connections: infos))
        dashboard.publishOnRequest()
        dashboard.serveRequests {
            Issue.record("evaluated with nobody waiting")
            return (MonitorState(connections: infos), 0)
        }
        dashboard.withFresh { state, now in
            (state["c1"]?.pingCount ?? -1, now)
        } then: { read in
            seen.values.withLock { $0.append(read.0 * 100 + Int(read.1)) }
        }
        #expect(seen.values.withLock { $0 } == [1])
        #expect(dashboard.isRequested)
        var model = MonitorState(connections: infos)
        model.apply(MonitorEvent(t: 2, conn: "c1", kind: .ping(rttMs: 3)))
        model.apply(MonitorEvent(t: 3, conn: "c1", kind: .ping(rttMs: 4)))
        dashboard.serveRequests { (model, 7) }
        #expect(seen.values.withLock { $0 } == [1, 207])
        #expect(!dashboard.isRequested)
    }
}

/// Values the readers saw.
final class Seen: Sendable {
    let values = Mutex<[Int]>([])
}

func feedTestInfo(_ id: ConnectionID) -> ConnectionInfo {
    ConnectionInfo(
        id: id, name: "l-\(id.rawValue)", endpoint: "unix:/s",
        options: ConnectionOptions(
            pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))
}

/// Random but plausible events over `links` (times at millisecond precision, non-decreasing).
enum RandomEvents {
    static func make(count: Int, links: [ConnectionID], using generator: inout SplitMix)
        -> [MonitorEvent]
    {
        var events: [MonitorEvent] = []
        var milliseconds = 0
        var states = Dictionary(uniqueKeysWithValues: links.map { ($0, LinkStateName.idle) })
        for number in 0..<count {
            milliseconds += Int(generator.next() % 700)
            let t = Double(milliseconds) / 1000
            let conn = links[Int(generator.next() % UInt64(links.count))]
            let kind: MonitorEvent.Kind
            switch generator.next() % 8 {
            case 0:
                let to = LinkStateName.allCases[Int(generator.next() % 6)]
                kind = .state(
                    from: states[conn] ?? .idle, to: to, reason: "start", detail: nil, phase: nil)
                states[conn] = to
            case 1:
                kind = .pingTimeout(afterMs: 800, consecutive: 1)
            case 2:
                kind = .reconnect(attempt: 1, delayMs: 250)
            case 3:
                kind = .queue(
                    depth: Int(generator.next() % 3), oldestMs: 12, enqueued: number, flushed: 0,
                    expired: 0, failed: nil)
            case 4:
                kind = .note(level: .warning, text: "n\(number)")
            default:
                kind = .ping(rttMs: Double(generator.next() % 400_000) / 1000)
            }
            let global: Bool
            if case .note = kind { global = generator.next() % 2 == 0 } else { global = false }
            events.append(MonitorEvent(t: t, conn: global ? nil : conn, kind: kind))
        }
        return events
    }
}
