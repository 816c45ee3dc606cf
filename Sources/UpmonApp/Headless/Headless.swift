import DnodeProtocol
import Synchronization
import Upnode
import UpnodeMonitor

/// The latest monitor state, shared with the metrics endpoint.
///
/// Headless modes apply events to it in place (`apply`, `applyEach`): handing it a fresh
/// copy per event would make the next event copy every link's storage (copy-on-write), a
/// cost that grows with the number of links on every event. Readers (`withFresh`) work on
/// it under the lock, so a scrape copies nothing.
///
/// The dashboard owns its state in its model instead (`publishOnRequest`): a reader waits
/// for the runtime's next tick, which runs it on the model's state (`serveRequests`) and
/// keeps no reference afterwards. Handing the snapshot a copy every tick, as before, made
/// the events after each tick copy the whole `connections` array and then, event by event,
/// every link's rings.
public final class StateSnapshot: Sendable {
    let value: Mutex<(state: MonitorState, now: Double)>
    /// Readers waiting for the owner's next tick (`publishOnRequest` mode only).
    let requests = Mutex<Requests>(Requests())

    struct Requests {
        var onRequest = false
        var waiting: [@Sendable (MonitorState, Double) -> Void] = []
    }

    public init(_ state: MonitorState) { value = Mutex((state, 0)) }
    /// Replaces the whole state.
    public func update(_ state: MonitorState, now: Double) { value.withLock { $0 = (state, now) } }
    /// Applies one event in place.
    public func apply(_ event: MonitorEvent) {
        value.withLock { value in
            value.state.apply(event)
            value.now = event.t
        }
    }

    /// Applies `events` in place, in order, under one lock; `each` sees the state just
    /// after each event and returns bytes to keep. Returns those bytes, in order.
    public func applyEach(
        _ events: [MonitorEvent], _ each: (MonitorState, MonitorEvent) -> [UInt8]
    ) -> [UInt8] {
        value.withLock { value in
            var bytes: [UInt8] = []
            for event in events {
                value.state.apply(event)
                value.now = event.t
                bytes += each(value.state, event)
            }
            return bytes
        }
    }

    /// Reads the state under the lock, without copying it.
    public func read<Result: Sendable>(_ body: (MonitorState) -> Result) -> Result {
        value.withLock { value in body(value.state) }
    }
    /// The state applied here (in `publishOnRequest` mode, the one given to `init`).
    public var current: (state: MonitorState, now: Double) { value.withLock { $0 } }

    /// From now on `withFresh` waits for the owner's next `serveRequests` (the dashboard).
    public func publishOnRequest() { requests.withLock { $0.onRequest = true } }

    /// Whether a reader waits for `serveRequests`.
    public var isRequested: Bool { requests.withLock { !$0.waiting.isEmpty } }

    /// Runs the waiting readers on `state()` (evaluated only when one waits); nothing of it
    /// is kept.
    public func serveRequests(_ state: () -> (MonitorState, Double)) {
        let waiting = requests.withLock { requests in
            let waiting = requests.waiting
            requests.waiting = []
            return waiting
        }
        guard !waiting.isEmpty else { return }
        let (fresh, now) = state()
        for reader in waiting { reader(fresh, now) }
    }

    /// Gives `deliver` what `extract` takes from an up-to-date state: at once, under the
    /// lock, when events are applied here in place; else from the owner's next
    /// `serveRequests` (within a tick), on the owner's side.
    public func withFresh<Extract: Sendable>(
        _ extract: @escaping @Sendable (MonitorState, Double) -> Extract,
        then deliver: @escaping @Sendable (Extract) -> Void
    ) {
        let waits = requests.withLock { requests in
            guard requests.onRequest else { return false }
            requests.waiting.append { state, now in deliver(extract(state, now)) }
            return true
        }
        guard !waits else { return }
        deliver(value.withLock { value in extract(value.state, value.now) })
    }
}

/// The modes that run without a terminal: `--once --json`, `--json`, `record`, `replay --json`.
public enum Headless {
    /// Waits until every link has settled (up with a ping, or failed once) or `wait` passes,
    /// then returns the snapshot JSON (or, with `json` false, the `OnceReport` table) and
    /// the exit code (0 when every link is up, either way).
    public static func once(
        session: LiveSession, wait: Duration, configName: String?, json: Bool = true
    ) async -> (text: String, exitCode: Int32) {
        var state = MonitorState(connections: session.infos)
        session.start()
        let deadline = ContinuousClock.now + wait
        let feed = session.feed
        let timer = Task {
            try? await Task.sleep(until: deadline)
            feed.emit(.note(level: .info, text: "--wait deadline reached"), conn: nil)
        }
        for await event in feed.events {
            state.apply(event)
            if isSettled(state) || ContinuousClock.now >= deadline { break }
        }
        timer.cancel()
        let now = feed.now()
        await session.close()
        let text =
            json
            ? SnapshotJSON.render(state, now: now, configName: configName).jsonText + "\n"
            : OnceReport.render(state, now: now, configName: configName)
        return (text, SnapshotJSON.exitCode(state))
    }

    /// Every link is up with at least one ping, or has failed at least once.
    static func isSettled(_ state: MonitorState) -> Bool {
        state.connections.allSatisfy { link in
            switch link.state {
            case .up: link.pingCount > 0 || link.pingTimeouts > 0
            case .down, .reconnecting, .closed:
                link.disconnects > 0 || link.attempt > 0 || link.history.count > 1
            case .idle, .connecting: false
            }
        }
    }

    /// Streams the session as JSON Lines (the recording format) until `stop` yields.
    public static func stream(
        session: LiveSession, header: RecordingHeader, snaps: Bool, snapshot: StateSnapshot?,
        stop: AsyncStream<Void>, alerts: HeadlessAlerts? = nil,
        output: @escaping @Sendable ([UInt8]) -> Void
    ) async {
        var exporter = JSONLinesExporter(
            header: header, snapEvery: snaps ? header.settings.snapEverySeconds : nil)
        let initial = MonitorState(connections: session.infos)
        let live = snapshot ?? StateSnapshot(initial)
        output(exporter.begin(initialState: snaps ? initial : nil))
        let feed = session.feed
        let stopper = Task {
            for await _ in stop { break }
            feed.emit(.note(level: .info, text: "stopping"), conn: nil)
            await session.close()
        }
        let alertTicker = alerts?.ticker(feed: feed) { evaluate in live.read(evaluate) }
        session.start()
        // A batch at a time: one lock and one write for what gathered, not one per event.
        for await batch in feed.batches {
            let bytes = live.applyEach(batch) { state, event in
                var bytes = exporter.line(for: event)
                if exporter.isSnapDue(at: event.t) {
                    bytes += exporter.wroteSnap(
                        RecordingEncoder.snapLine(state, t: event.t), at: event.t)
                }
                return bytes
            }
            output(bytes)
            if let alerts {
                for event in batch {
                    guard case .alert = event.kind else { continue }
                    live.read { state in alerts.react(to: event, in: state, feed: feed) }
                }
            }
        }
        alertTicker?.cancel()
        output(exporter.end(reason: .signal, t: feed.now()))
        stopper.cancel()
    }

    /// Feeds the session into `snapshot` only (for `--metrics` without a UI or JSON).
    public static func serveMetricsOnly(
        session: LiveSession, snapshot: StateSnapshot, stop: AsyncStream<Void>,
        alerts: HeadlessAlerts? = nil
    ) async {
        let feed = session.feed
        let stopper = Task {
            for await _ in stop { break }
            await session.close()
        }
        let alertTicker = alerts?.ticker(feed: feed) { evaluate in snapshot.read(evaluate) }
        session.start()
        for await batch in feed.batches {
            _ = snapshot.applyEach(batch) { _, _ in [] }
            if let alerts {
                for event in batch {
                    guard case .alert = event.kind else { continue }
                    snapshot.read { state in alerts.react(to: event, in: state, feed: feed) }
                }
            }
        }
        alertTicker?.cancel()
        stopper.cancel()
    }

    /// Records the session to `path` until `stop` yields (docs/RECORDING.md, "Writing").
    ///
    /// Events and keyframes reach one `RecordingQueue` in the order the state applied them:
    /// the event loop and the keyframe tick both apply and hand in under one lock.
    public static func record(
        session: LiveSession, path: String, header: RecordingHeader, overwrite: Bool,
        stop: AsyncStream<Void>, alerts: HeadlessAlerts? = nil,
        onStarted: @Sendable () -> Void = {}
    ) async throws(RecordingError) {
        let initial = MonitorState(connections: session.infos)
        let writer = try RecordingQueue(
            path: path, header: header, initialState: initial, overwrite: overwrite
        ) { error in
            session.feed.emit(.note(level: .error, text: "recording stopped: \(error)"), conn: nil)
        }
        onStarted()
        let feed = session.feed
        let recording = Mutex(
            LiveRecording(
                state: initial,
                cursor: RecordingCursor(startedT: 0, snapEvery: header.settings.snapEverySeconds)))
        // A 10 Hz tick writes keyframes on time even when no event arrives.
        let ticker = Task {
            while true {
                do { try await Task.sleep(for: .milliseconds(100)) } catch { break }
                let now = feed.now()
                let due = recording.withLock { live in
                    live.snapIfDue(at: now, to: writer)
                    return alerts?.evaluate(live.state, now: now) ?? []
                }
                for event in due { feed.emit(event.kind, conn: event.conn) }
            }
        }
        let stopper = Task {
            for await _ in stop { break }
            await session.close()
        }
        session.start()
        for await batch in feed.batches {
            let now = feed.now()
            recording.withLock { live in
                live.apply(batch, to: writer)
                live.snapIfDue(at: now, to: writer)
                if let alerts {
                    for event in batch {
                        guard case .alert = event.kind else { continue }
                        alerts.react(to: event, in: live.state, feed: feed)
                    }
                }
            }
            if writer.hasFailed { break }
        }
        ticker.cancel()
        stopper.cancel()
        await ticker.value
        // Under the lock, like every other line: nothing can follow the end line (after a
        // failure the queue takes nothing more, and `drained` says what stopped it).
        let now = feed.now()
        recording.withLock { $0.finish(at: now, to: writer) }
        if let failure = await writer.drained() { throw failure }
    }

    /// The state of a headless recording and where its file stands.
    struct LiveRecording {
        var state: MonitorState
        var cursor: RecordingCursor
        var isFinished = false

        /// Applies the events in order and hands them to the writer as one write.
        mutating func apply(_ events: [MonitorEvent], to writer: RecordingQueue) {
            guard !isFinished else { return }
            var shifted: [MonitorEvent] = []
            shifted.reserveCapacity(events.count)
            for event in events {
                state.apply(event)
                let t = cursor.fileTime(ofEventAt: event.t)
                shifted.append(MonitorEvent(t: t, conn: event.conn, kind: event.kind))
            }
            writer.record(contentsOf: shifted)
        }

        mutating func finish(at now: Double, to writer: RecordingQueue) {
            guard !isFinished else { return }
            isFinished = true
            writer.finish(reason: .signal, t: cursor.endTime(at: now))
        }

        mutating func snapIfDue(at now: Double, to writer: RecordingQueue) {
            guard !isFinished else { return }
            if let t = cursor.snapTime(at: now) { writer.snap(state, t: t) }
        }
    }

    /// A recording as the same JSON Lines `--json` prints live (header, then events).
    public static func replayLines(path: String) throws(RecordingError) -> (
        lines: [[UInt8]], notes: [String]
    ) {
        var replayer = try Replayer(path: path)
        var exporter = JSONLinesExporter(header: replayer.header, snapEvery: nil)
        var lines = [exporter.begin(initialState: nil)]
        for event in replayer.advance(to: .infinity) where !isEnd(event) {
            lines.append(exporter.line(for: event))
        }
        if replayer.isComplete { lines.append(exporter.end(reason: .quit, t: replayer.lastT)) }
        return (lines, replayer.openingNotes)
    }

    static func isEnd(_ event: MonitorEvent) -> Bool {
        if case .end = event.kind { return true }
        return false
    }
}
