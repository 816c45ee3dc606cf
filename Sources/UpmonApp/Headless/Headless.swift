import DnodeProtocol
import Synchronization
import Upnode
import UpnodeMonitor

/// The latest monitor state, shared with the metrics endpoint.
///
/// Headless modes apply events to it in place (`apply`): handing it a fresh copy per event
/// would make the next event copy every link's storage (copy-on-write), a cost that grows
/// with the number of links on every event. A reader (`current`) shares the storage until
/// the next event, so a scrape costs one copy, not one per event.
public final class StateSnapshot: Sendable {
    let value: Mutex<(state: MonitorState, now: Double)>
    public init(_ state: MonitorState) { value = Mutex((state, 0)) }
    /// Replaces the whole state (the dashboard, once per tick).
    public func update(_ state: MonitorState, now: Double) { value.withLock { $0 = (state, now) } }
    /// Applies one event in place.
    public func apply(_ event: MonitorEvent) {
        value.withLock { value in
            value.state.apply(event)
            value.now = event.t
        }
    }
    /// Reads the state under the lock, without copying it.
    public func read<Result: Sendable>(_ body: (MonitorState) -> Result) -> Result {
        value.withLock { value in body(value.state) }
    }
    public var current: (state: MonitorState, now: Double) { value.withLock { $0 } }
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
        for await event in feed.events {
            live.apply(event)
            output(exporter.line(for: event))
            if exporter.isSnapDue(at: event.t) {
                let snap = live.read { state in RecordingEncoder.snapLine(state, t: event.t) }
                output(exporter.wroteSnap(snap, at: event.t))
            }
            if let alerts, case .alert = event.kind {
                live.read { state in alerts.react(to: event, in: state, feed: feed) }
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
        for await event in feed.events {
            snapshot.apply(event)
            if let alerts, case .alert = event.kind {
                snapshot.read { state in alerts.react(to: event, in: state, feed: feed) }
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
        for await event in feed.events {
            let now = feed.now()
            recording.withLock { live in
                live.apply(event, to: writer)
                live.snapIfDue(at: now, to: writer)
                if let alerts, case .alert = event.kind {
                    alerts.react(to: event, in: live.state, feed: feed)
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

        mutating func apply(_ event: MonitorEvent, to writer: RecordingQueue) {
            guard !isFinished else { return }
            state.apply(event)
            let t = cursor.fileTime(ofEventAt: event.t)
            writer.record(MonitorEvent(t: t, conn: event.conn, kind: event.kind))
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
