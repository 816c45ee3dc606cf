import DnodeProtocol
import Foundation

@testable import UpnodeMonitor

/// SplitMix64: a small seeded generator so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    /// `Tests/Fixtures/recordings/<name>`.
    static func recordingPath(_ name: String) -> String {
        let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
        return testsDirectory.appendingPathComponent("Fixtures/recordings/\(name)").path
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: recordingPath(name))))
    }

    static func connection(_ index: Int, name: String? = nil) -> ConnectionInfo {
        ConnectionInfo(
            id: ConnectionID(index: index), name: name ?? "link\(index + 1)",
            endpoint: "tcp://127.0.0.1:\(7000 + index)",
            options: ConnectionOptions(
                pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))
    }

    static func header(connections: Int = 2, argsRecorded: Bool = false) -> RecordingHeader {
        RecordingHeader(
            started: "2026-03-14T09:26:53.120Z", host: "test-host", upmonVersion: "0.1.0",
            settings: RecordingSettings(argsRecorded: argsRecorded),
            connections: (0..<connections).map { connection($0) })
    }

    /// A fresh empty directory under the system temp directory.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "upmon-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

extension MonitorEvent {
    static func state(
        _ t: Double, _ conn: ConnectionID, _ from: LinkStateName, _ to: LinkStateName,
        _ reason: String, phase: ConnectPhaseName? = nil
    ) -> MonitorEvent {
        MonitorEvent(
            t: t, conn: conn,
            kind: .state(from: from, to: to, reason: reason, detail: nil, phase: phase))
    }
    static func ping(_ t: Double, _ conn: ConnectionID, _ rtt: Double) -> MonitorEvent {
        MonitorEvent(t: t, conn: conn, kind: .ping(rttMs: rtt))
    }
    static func timeout(_ t: Double, _ conn: ConnectionID, consecutive: Int = 1) -> MonitorEvent {
        MonitorEvent(t: t, conn: conn, kind: .pingTimeout(afterMs: 800, consecutive: consecutive))
    }
}

/// Random but plausible event sequences with times and durations already at file precision.
struct EventScript {
    var generator: SeededGenerator
    let connections: [ConnectionID]

    init(seed: UInt64, connections: Int) {
        generator = SeededGenerator(seed: seed)
        self.connections = (0..<connections).map { ConnectionID(index: $0) }
    }

    mutating func events(count: Int) -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        var milliseconds = 0
        var states = Dictionary(uniqueKeysWithValues: connections.map { ($0, LinkStateName.idle) })
        var callNumber = 0
        let reasons = [
            "start", "ready", "ping_timeout", "held", "retry_scheduled", "refused", "closed",
        ]
        for _ in 0..<count {
            milliseconds += Int.random(in: 0...1500, using: &generator)
            let t = Double(milliseconds) / 1000
            let conn = connections.randomElement(using: &generator) ?? "c1"
            let micros = { (range: ClosedRange<Int>, g: inout SeededGenerator) in
                Double(Int.random(in: range, using: &g)) / 1000
            }
            let kind: MonitorEvent.Kind
            switch Int.random(in: 0..<14, using: &generator) {
            case 0, 1:
                let from = states[conn] ?? .idle
                let to = LinkStateName.allCases.randomElement(using: &generator) ?? .up
                states[conn] = to
                kind = .state(
                    from: from, to: to, reason: reasons.randomElement(using: &generator) ?? "start",
                    detail: Bool.random(using: &generator) ? "detail text" : nil,
                    phase: to == .connecting
                        ? ConnectPhaseName.allCases.randomElement(using: &generator) : nil)
            case 2...5: kind = .ping(rttMs: micros(1...400_000, &generator))
            case 6:
                kind = .pingTimeout(
                    afterMs: 800, consecutive: Int.random(in: 1...3, using: &generator))
            case 7:
                kind = .reconnect(
                    attempt: Int.random(in: 1...5, using: &generator),
                    delayMs: micros(0...5_000_000, &generator))
            case 8:
                let depth = Int.random(in: 0...4, using: &generator)
                kind = .queue(
                    depth: depth, oldestMs: micros(0...20_000_000, &generator),
                    enqueued: callNumber + depth,
                    flushed: callNumber, expired: Int.random(in: 0...2, using: &generator),
                    failed: nil)
            case 9:
                callNumber += 1
                kind = .call(
                    id: "m\(callNumber)",
                    method: ["status", "time", "echo"].randomElement(using: &generator) ?? "echo",
                    origin: .manual, args: ["<string>", "<fn>"], redacted: true)
            case 10:
                let ok = Bool.random(using: &generator)
                kind = .result(
                    id: "m\(max(1, callNumber))", n: Int.random(in: 1...2, using: &generator),
                    ok: ok,
                    durMs: micros(1...900_000, &generator),
                    payload: ok ? [nil, "<int>"] : ["code": "timeout"], redacted: true)
            case 11: kind = .remoteMethods(["echo", "status", "upnode.ping"])
            case 12: kind = .mark(label: "mark \(milliseconds)")
            default: kind = .note(level: .warning, text: "note at \(milliseconds)")
            }
            let isGlobal: Bool
            if case .mark = kind { isGlobal = true } else { isGlobal = false }
            events.append(MonitorEvent(t: t, conn: isGlobal ? nil : conn, kind: kind))
        }
        return events
    }
}

/// Builds recording bytes the way the writer does: header, snap at 0, events, a snap every
/// `snapEvery` seconds after an event, and optionally an `end` line.
func recordingBytes(
    header: RecordingHeader, events: [MonitorEvent], snaps: Bool = true,
    snapEvery: Double = 30, end: Bool = true
) -> [UInt8] {
    var bytes = RecordingEncoder.line(header)
    var state = header.initialState
    var lines = 1
    var lastSnap = 0.0
    if snaps {
        bytes += RecordingEncoder.snapLine(state, t: 0)
        lines += 1
    }
    for event in events {
        bytes += RecordingEncoder.line(event)
        lines += 1
        state.apply(event)
        if snaps, event.t - lastSnap >= snapEvery {
            bytes += RecordingEncoder.snapLine(state, t: event.t)
            lines += 1
            lastSnap = event.t
        }
    }
    if end {
        let t = events.last?.t ?? 0
        bytes += RecordingEncoder.line(
            MonitorEvent(t: t, conn: nil, kind: .end(reason: .quit, lines: lines)))
    }
    return bytes
}
