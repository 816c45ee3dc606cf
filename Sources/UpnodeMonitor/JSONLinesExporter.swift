/// Produces a recording as a stream of lines, for `upmon --json` (stdout) and for
/// `RecordingWriter` (a file). Pure: it returns bytes and keeps the line count and the
/// keyframe schedule; the caller does the writing.
///
/// `upmon --json` output is therefore a valid recording: a header, then events, with `snap`
/// lines only when `snapEvery` is set (`--snaps`).
public struct JSONLinesExporter: Sendable {
    /// The header written first.
    public let header: RecordingHeader
    /// Seconds between keyframes, or `nil` for no keyframes after the first.
    public let snapEvery: Double?
    /// Lines produced so far, header included.
    public private(set) var lineCount = 0
    private var lastSnapT: Double = 0

    /// An exporter that has produced nothing yet.
    public init(header: RecordingHeader, snapEvery: Double?) {
        self.header = header
        self.snapEvery = snapEvery.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The header line, followed by a `snap` of `initialState` at `t = 0` when one is given.
    public mutating func begin(initialState: MonitorState?) -> [UInt8] {
        var bytes = RecordingEncoder.line(header)
        lineCount += 1
        if let initialState {
            bytes += RecordingEncoder.snapLine(initialState, t: 0)
            lineCount += 1
            lastSnapT = 0
        }
        return bytes
    }

    /// One event line.
    public mutating func line(for event: MonitorEvent) -> [UInt8] {
        lineCount += 1
        return RecordingEncoder.line(event)
    }

    /// A `snap` line when `snapEvery` seconds have passed since the last one, else `nil`.
    public mutating func snapIfDue(_ state: MonitorState, t: Double) -> [UInt8]? {
        guard isSnapDue(at: t) else { return nil }
        return snap(state, t: t)
    }

    /// Whether a keyframe is due at `t` (for callers that encode the snap themselves, say
    /// under a lock, and hand it to `wroteSnap`).
    public func isSnapDue(at t: Double) -> Bool {
        guard let snapEvery else { return false }
        return t - lastSnapT >= snapEvery
    }

    /// A `snap` line now, due or not.
    public mutating func snap(_ state: MonitorState, t: Double) -> [UInt8] {
        wroteSnap(RecordingEncoder.snapLine(state, t: t), at: t)
    }

    /// Counts a snap line encoded elsewhere at `t` and returns it.
    public mutating func wroteSnap(_ line: [UInt8], at t: Double) -> [UInt8] {
        lastSnapT = t
        lineCount += 1
        return line
    }

    /// The closing `end` line; its `lines` field counts every line before it.
    public mutating func end(reason: MonitorEvent.EndReason, t: Double) -> [UInt8] {
        let bytes = RecordingEncoder.line(
            MonitorEvent(t: t, conn: nil, kind: .end(reason: reason, lines: lineCount)))
        lineCount += 1
        return bytes
    }
}
