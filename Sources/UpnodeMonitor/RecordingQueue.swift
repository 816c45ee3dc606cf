import Dispatch
import Synchronization

/// One ordered writer for a live recording: events, keyframes and the end line are written
/// in exactly the order they are handed in, by one serial queue, so the blocking `write` and
/// `fsync` never run on the caller's thread or the cooperative pool.
///
/// Memory is bounded: if the disk falls `maxBacklog` lines behind, the recording stops with
/// a `writeFailed` error (reported through `onFailure`) instead of growing without bound.
public final class RecordingQueue: Sendable {
    /// Lines allowed to wait for the disk before the recording is stopped.
    public static let defaultMaxBacklog = 100_000

    public let path: String
    private let queue: DispatchQueue
    /// Only ever locked on `queue` (and once in `init`): the lock is never contended.
    private let writer: Mutex<RecordingWriter?>
    private let backlog = Atomic<Int>(0)
    private let failed = Atomic<Bool>(false)
    private let failure = Mutex<RecordingError?>(nil)
    private let maxBacklog: Int
    private let onFailure: @Sendable (RecordingError) -> Void

    /// Creates the file and writes its opening lines at once (so a bad path is reported to
    /// the caller); `onFailure` is called once, on the queue, if a later write fails.
    public init(
        path: String, header: RecordingHeader, initialState: MonitorState, overwrite: Bool,
        maxBacklog: Int = defaultMaxBacklog,
        onFailure: @escaping @Sendable (RecordingError) -> Void
    ) throws(RecordingError) {
        let opened = try RecordingWriter(
            path: path, header: header, initialState: initialState, overwrite: overwrite)
        self.path = path
        self.writer = Mutex(opened)
        self.queue = DispatchQueue(label: "upmon.recording")
        self.maxBacklog = max(1, maxBacklog)
        self.onFailure = onFailure
    }

    /// Appends an event line (t already on the file's axis).
    public func record(_ event: MonitorEvent) {
        enqueue { writer throws(RecordingError) in try writer.record(event) }
    }

    /// Appends event lines (t already on the file's axis), written with one `write`. The
    /// backlog counts them as one line: they wait as one.
    public func record(contentsOf events: [MonitorEvent]) {
        guard !events.isEmpty else { return }
        enqueue { writer throws(RecordingError) in try writer.record(contentsOf: events) }
    }

    /// Appends a keyframe (state and t on the file's axis).
    public func snap(_ state: MonitorState, t: Double) {
        enqueue { writer throws(RecordingError) in try writer.snap(state, t: t) }
    }

    /// Writes the `end` line after everything handed in before, then `fsync`s and closes.
    /// Later calls do nothing; `drained()` waits for it.
    public func finish(reason: MonitorEvent.EndReason, t: Double) {
        enqueue { writer throws(RecordingError) in try writer.finish(reason: reason, t: t) }
    }

    /// Waits until everything handed in so far is on disk (or has failed); returns the error
    /// that stopped the recording, if one did.
    public func drained() async -> RecordingError? {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.failure.withLock { $0 }) }
        }
    }

    /// Whether a write failed or the disk fell too far behind: later lines are dropped.
    public var hasFailed: Bool { failed.load(ordering: .relaxed) }

    private func enqueue(
        _ write: @escaping @Sendable (RecordingWriter) throws(RecordingError) -> Void
    ) {
        guard !failed.load(ordering: .relaxed) else { return }
        let waiting = backlog.add(1, ordering: .relaxed).newValue
        if waiting > maxBacklog {
            let error = RecordingError(
                file: path,
                problem: .writeFailed(
                    reason: "the disk fell behind (\(waiting - 1) lines waiting); recording stopped"
                ))
            fail(error, abandon: true)
            return
        }
        queue.async {
            defer { self.backlog.subtract(1, ordering: .relaxed) }
            let error = self.writer.withLock { writer -> RecordingError? in
                guard let open = writer else { return nil }
                do throws(RecordingError) {
                    try write(open)
                    return nil
                } catch {
                    writer = nil
                    return error
                }
            }
            if let error { self.fail(error, abandon: false) }
        }
    }

    private func fail(_ error: RecordingError, abandon: Bool) {
        guard !failed.exchange(true, ordering: .relaxed) else { return }
        failure.withLock { $0 = error }
        queue.async {
            if abandon {
                self.writer.withLock { writer in
                    writer?.abandon(error)
                    writer = nil
                }
            }
            self.onFailure(error)
        }
    }
}
