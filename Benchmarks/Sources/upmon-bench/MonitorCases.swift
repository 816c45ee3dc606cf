import DnodeProtocol
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func infos(_ n: Int) -> [ConnectionInfo] {
    (0..<n).map { i in
        ConnectionInfo(
            id: ConnectionID(index: i), name: "svc\(i)",
            endpoint: "tcp://127.0.0.1:\(7000 + i % 1000)",
            options: ConnectionOptions(
                pingMilliseconds: 1000, timeoutMilliseconds: 5000, reconnect: "fixed 1000ms"))
    }
}

/// A state with every link up.
func upState(_ infos: [ConnectionInfo]) -> MonitorState {
    var state = MonitorState(connections: infos)
    for info in infos {
        state.apply(
            MonitorEvent(
                t: 0, conn: info.id,
                kind: .state(
                    from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial)))
        state.apply(
            MonitorEvent(
                t: 0.001, conn: info.id,
                kind: .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil)))
    }
    return state
}

func reducerCase() {
    print("reducer — MonitorState.apply events/s")
    for n in [10, 1_000, 10_000] {
        let links = infos(n)
        let base = upState(links)
        // 1 Hz pings from every link: the events arrive round-robin.
        let pings: [MonitorEvent] = (0..<100_000).map { i in
            MonitorEvent(
                t: 1 + Double(i / n), conn: links[i % n].id,
                kind: .ping(rttMs: 0.4 + Double(i % 7) * 0.1))
        }
        var state = base
        let rate = throughputSync(warmup: 100_000, minOps: 100_000, maxOps: 20_000_000) { count in
            for i in 0..<count { state.apply(pings[i % pings.count]) }
        }
        blackHole(state.totals)
        report(
            "reducer", "ping events/s, \(fmt(Double(n))) links", value: fmt(rate),
            baseline: "1,000,000 target",
            ratio: "\(fmt(rate / 1_000_000, 2))×", target: "≥ 1 M/s", pass: rate >= 1_000_000)
        if n == 1_000 {
            // A busier mix: calls, results and queue changes alongside the pings.
            let mixed: [MonitorEvent] = (0..<100_000).map { i in
                let conn = links[i % n].id
                let t = 1 + Double(i) / 1000
                switch i % 10 {
                case 0:
                    return MonitorEvent(
                        t: t, conn: conn,
                        kind: .call(
                            id: "k\(i)", method: "echo", origin: .direct, args: .array([.int(1)]),
                            redacted: false))
                case 1:
                    return MonitorEvent(
                        t: t, conn: conn,
                        kind: .result(
                            id: "k\(i - 1)", n: 1, ok: true, durMs: 0.5, payload: .array([.int(1)]),
                            redacted: false))
                case 2:
                    return MonitorEvent(
                        t: t, conn: conn,
                        kind: .queue(
                            depth: 0, oldestMs: 0, enqueued: i, flushed: i, expired: 0, failed: 0))
                default: return MonitorEvent(t: t, conn: conn, kind: .ping(rttMs: 0.5))
                }
            }
            var mixedState = base
            let mixedRate = throughputSync(warmup: 100_000, minOps: 100_000, maxOps: 20_000_000) {
                count in
                for i in 0..<count { mixedState.apply(mixed[i % mixed.count]) }
            }
            blackHole(mixedState.totals)
            report(
                "reducer", "mixed events/s (70 % ping, 10 % call/result/queue), 1,000 links",
                value: fmt(mixedRate),
                baseline: "1,000,000 target", ratio: "\(fmt(mixedRate / 1_000_000, 2))×",
                target: "(diagnostic)")
        }
    }
}

/// Writes a recording of `count` events over `links` links; returns (path, bytes).
func writeRecording(count: Int, links n: Int) -> (String, Int) {
    let path = "/tmp/upmon-bench-\(getpid()).upmon"
    let links = infos(n)
    let header = RecordingHeader(
        started: "2026-11-27T00:00:00.000Z", host: "bench", upmonVersion: "bench",
        connections: links)
    var exporter = JSONLinesExporter(header: header, snapEvery: 30)
    var state = header.initialState
    guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
    var pending: [UInt8] = exporter.begin(initialState: state)
    pending.reserveCapacity(1 << 20)
    var size = 0
    func emit(_ event: MonitorEvent) {
        state.apply(event)
        pending += exporter.line(for: event)
        if let snap = exporter.snapIfDue(state, t: event.t) { pending += snap }
        if pending.count > 1 << 20 {
            size += pending.count
            _ = pending.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            pending.removeAll(keepingCapacity: true)
        }
    }
    for link in links {
        emit(
            MonitorEvent(
                t: 0, conn: link.id,
                kind: .state(
                    from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial)))
        emit(
            MonitorEvent(
                t: 0.001, conn: link.id,
                kind: .state(from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil)))
    }
    let produced = 2 * n
    for i in produced..<(count - 1) {
        let t = MonitorEvent.roundedTime(0.002 + Double(i) * 0.001)
        let conn = links[i % n].id
        switch i % 20 {
        case 0:
            emit(
                MonitorEvent(
                    t: t, conn: conn,
                    kind: .call(
                        id: "k\(i)", method: "echo", origin: .direct, args: .array([.int(1)]),
                        redacted: false)))
        case 1:
            emit(
                MonitorEvent(
                    t: t, conn: conn,
                    kind: .result(
                        id: "k\(i - 1)", n: 1, ok: true, durMs: 0.5, payload: .array([.int(1)]),
                        redacted: false)))
        default: emit(MonitorEvent(t: t, conn: conn, kind: .ping(rttMs: 0.4 + Double(i % 5) * 0.1)))
        }
    }
    pending += exporter.end(
        reason: .stopped, t: MonitorEvent.roundedTime(0.002 + Double(count) * 0.001))
    size += pending.count
    _ = pending.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    return (path, size)
}

func readWholeFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "r") else { return [] }
    defer { fclose(file) }
    fseek(file, 0, SEEK_END)
    let size = ftell(file)
    fseek(file, 0, SEEK_SET)
    var bytes = [UInt8](repeating: 0, count: size)
    _ = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
    return bytes
}

func replayCase() throws {
    let count = settings.quick ? 100_000 : 1_000_000
    print("replay — open + seek in a \(fmt(Double(count)))-event recording")
    let t0 = now()
    let (path, size) = writeRecording(count: count, links: 50)
    defer { unlink(path) }
    note("wrote \(fmt(Double(size) / 1_048_576, 1)) MiB in \(fmt(now() - t0, 1)) s (\(path))")
    var rawTimes: [Double] = []
    var openTimes: [Double] = []
    var totalTimes: [Double] = []
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<3 {
        let r0 = now()
        blackHole(readWholeFile(path).count)
        rawTimes.append(now() - r0)
        let s = now()
        var replayer = try Replayer(path: path)
        let opened = now()
        replayer.seek(to: Double.random(in: 0...replayer.lastT, using: &rng))
        let done = now()
        openTimes.append(opened - s)
        totalTimes.append(done - s)
    }
    // Seeks alone, anywhere (forward and backward), on an open replayer.
    var replayer = try Replayer(path: path)
    var seekTimes: [Double] = []
    for _ in 0..<20 {
        let target = Double.random(in: 0...replayer.lastT, using: &rng)
        let s = now()
        replayer.seek(to: target)
        seekTimes.append(now() - s)
    }
    let total = median(totalTimes) * 1000
    let raw = median(rawTimes) * 1000
    note(
        "open \(fmt(median(openTimes) * 1000, 1)) ms; seek alone p50 \(fmt(percentile(seekTimes, 0.5) * 1000, 2)) ms, max \(fmt(seekTimes.max()! * 1000, 2)) ms; \(replayer.index.snapCount) snaps"
    )
    report(
        "replay",
        "open + seek anywhere, \(fmt(Double(count))) events (\(fmt(Double(size) / 1_048_576, 0)) MiB)",
        value: "\(fmt(total, 1)) ms",
        baseline: "\(fmt(raw, 1)) ms plain file read", ratio: "\(fmt(total / raw, 1))×",
        target: "< 200 ms", pass: total < 200)
}
