import DnodeProtocol
import Foundation
import Testing
import UpnodeMonitor
import UpnodeMonitorEndpoint

@testable import UpmonApp

@Suite("recording order")
struct RecordingOrderTests {
    /// Four links, each fed by its own thread, as the event loops of four clients would.
    static let infos = (1...4).map {
        Fixture.info($0, "link\($0)", "tcp://127.0.0.1:\(40_000 + $0)")
    }

    static func events(for conn: ConnectionID, count: Int) -> [MonitorEvent.Kind] {
        var kinds: [MonitorEvent.Kind] = [
            .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial),
            .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil),
        ]
        var depth = 0
        while kinds.count < count {
            switch kinds.count % 10 {
            case 0:
                depth += 1
                kinds.append(
                    .queue(
                        depth: depth % 5, oldestMs: 1, enqueued: depth, flushed: depth - depth % 5,
                        expired: 0, failed: 0))
            case 5:
                kinds.append(.pingTimeout(afterMs: 800, consecutive: 1))
            default:
                kinds.append(.ping(rttMs: Double(kinds.count % 37) + 0.5))
            }
        }
        return kinds
    }

    /// `t` and `kind` of a recording line, which the encoder writes first:
    /// `{"t":1.25,"kind":"ping",…`.
    static func leadingFields(_ line: ArraySlice<UInt8>) -> (t: Double?, kind: String?) {
        let text = String(decoding: line.prefix(64), as: UTF8.self)
        guard text.hasPrefix(#"{"t":"#), let comma = text.firstIndex(of: ",") else {
            return (nil, nil)
        }
        let t = Double(text[text.index(text.startIndex, offsetBy: 5)..<comma])
        let rest = text[comma...]
        guard rest.hasPrefix(#","kind":""#) else { return (t, nil) }
        let kind = rest.dropFirst(9).prefix { $0 != "\"" }
        return (t, String(kind))
    }

    @Test("100,000 events from four threads and the keyframes between them reach the file in order")
    func liveOrder() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/order.upmon"
        var driver = SessionDriver.live(Self.infos, snapEvery: 0.002)
        let feed = MonitorFeed()
        driver.send(.tick(now: feed.now()))
        driver.send(.recordRequested(path: path, overwrite: false))
        #expect(driver.model.recording != nil)

        let perLink = 25_000
        // Producers on their own threads while the test consumes, as the runtime does.
        let producers = Self.infos.map { info in
            let kinds = Self.events(for: info.id, count: perLink)
            return Task.detached {
                for kind in kinds { feed.emit(kind, conn: info.id) }
            }
        }
        let finisher = Task.detached {
            for producer in producers { await producer.value }
            feed.finish()
        }
        var applied = 0
        var outOfOrder = 0
        var previousT = -Double.infinity
        for await event in feed.events {
            // The feed stamps and queues under one lock: its order is the order of t.
            if event.t < previousT { outOfOrder += 1 }
            previousT = event.t
            driver.send(.monitor(event))
            applied += 1
            if applied % 200 == 0 {
                driver.send(.tick(now: event.t + 0.01 * Double(applied / 200)))
            }
        }
        await finisher.value
        #expect(outOfOrder == 0)
        #expect(applied == Self.infos.count * perLink)
        let live = driver.model.monitor.shifted(by: -(driver.model.recording?.startedT ?? 0))
        driver.send(.key(.char("R")))  // stop: the end line
        #expect(driver.model.recording == nil)
        #expect(await driver.recording.drained().isEmpty)

        // The file: t never decreases, every event is there, keyframes sit between them.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var lastT = -Double.infinity
        var eventLines = 0
        var snapLines = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")).dropFirst() {
            let fields = Self.leadingFields(line)
            let t = try #require(
                fields.t, "no t in \(String(decoding: line.prefix(80), as: UTF8.self))")
            #expect(t >= lastT, "t went back from \(lastT) to \(t)")
            lastT = t
            switch fields.kind {
            case "snap": snapLines += 1
            case "end": break
            default: eventLines += 1
            }
        }
        #expect(eventLines == Self.infos.count * perLink)
        #expect(snapLines > 100)

        // Replaying the file ends in the live state (plus the end line's log entry).
        let replayer = try Replayer(path: path)
        let replayed = replayer.state(at: replayer.lastT)
        let sameLinks = replayed.connections == live.connections
        #expect(sameLinks)
        #expect(replayed.totals == live.totals)
        // The log keeps the newest entries: the end line's pushed the oldest out.
        let replayedLog = Array(replayed.log.elements.dropLast())
        let liveLog = Array(live.log.elements.suffix(replayedLog.count))
        let firstDifference = zip(replayedLog, liveLog).enumerated().first {
            $0.element.0 != $0.element.1
        }?.offset
        #expect(
            firstDifference == nil,
            "\(firstDifference.map { "\(replayedLog[$0]) vs \(liveLog[$0])" } ?? "")")
        #expect(replayedLog.count == liveLog.count)
    }
}
