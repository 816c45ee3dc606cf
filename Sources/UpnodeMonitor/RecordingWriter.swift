/// Writes a session to a `.upmon` file (docs/RECORDING.md, "Writing").
///
/// The file is created with mode 0600 and `O_EXCL`, so an existing file is never replaced
/// unless `overwrite` is set (`--force`). Every line is handed to the kernel with `write(2)`
/// as soon as it is encoded, so `tail -f` and a crash both leave usable data. Calls block on
/// the disk: use it through `RecordingQueue`, which keeps it off the caller's thread and
/// writes lines in the order they were given.
///
/// A failed write stops the recording: the call that hit it throws a `RecordingError`
/// (show `REC FAILED` and log it), and every later call does nothing.
public final class RecordingWriter {
    public let path: String
    private var descriptor: Int32?
    private var lines: JSONLinesExporter
    /// The error that stopped the recording, if one did.
    public private(set) var failure: RecordingError?

    /// Creates the file and writes the header and a `snap` of `initialState` at `t = 0`.
    public init(
        path: String, header: RecordingHeader, initialState: MonitorState, overwrite: Bool = false
    ) throws(RecordingError) {
        self.path = path
        var lines = JSONLinesExporter(header: header, snapEvery: nil)
        let opening = lines.begin(initialState: initialState)
        self.lines = lines
        switch FileAccess.create(path: path, overwrite: overwrite) {
        case .success(let opened):
            descriptor = opened
        case .failure(let failure):
            throw RecordingError(
                file: path,
                problem: failure.isAlreadyExists
                    ? .alreadyExists : .cannotCreate(reason: failure.text))
        }
        if let opened = descriptor, let failure = FileAccess.writeAll(opened, opening) {
            FileAccess.closeQuietly(opened)
            descriptor = nil
            throw RecordingError(file: path, problem: .writeFailed(reason: failure.text))
        }
    }

    deinit {
        if let descriptor { FileAccess.closeQuietly(descriptor) }
    }

    /// Whether lines are still being written (not finished, not failed).
    public var isRecording: Bool { descriptor != nil }

    /// Lines written so far, header included.
    public var lineCount: Int { lines.lineCount }

    /// Appends one event line.
    public func record(_ event: MonitorEvent) throws(RecordingError) {
        guard descriptor != nil else { return }
        try writeLine(lines.line(for: event))
    }

    /// Appends event lines with one `write`.
    public func record(contentsOf events: [MonitorEvent]) throws(RecordingError) {
        guard descriptor != nil, !events.isEmpty else { return }
        var bytes: [UInt8] = []
        for event in events { bytes += lines.line(for: event) }
        try writeLine(bytes)
    }

    /// Appends a keyframe of `state` at `t`.
    public func snap(_ state: MonitorState, t: Double) throws(RecordingError) {
        guard descriptor != nil else { return }
        try writeLine(lines.snap(state, t: t))
    }

    /// Writes the `end` line, then `fsync`s and closes the file. Calling it again does nothing.
    public func finish(reason: MonitorEvent.EndReason, t: Double) throws(RecordingError) {
        guard descriptor != nil else { return }
        try writeLine(lines.end(reason: reason, t: t))
        guard let open = descriptor else { return }
        descriptor = nil
        if let failure = FileAccess.syncAndClose(open) {
            throw stop(RecordingError(file: path, problem: .writeFailed(reason: failure.text)))
        }
    }

    /// Stops writing after a failure found elsewhere (the queue fell too far behind).
    func abandon(_ error: RecordingError) {
        if let open = descriptor { FileAccess.closeQuietly(open) }
        descriptor = nil
        failure = error
    }

    private func writeLine(_ bytes: [UInt8]) throws(RecordingError) {
        guard let open = descriptor else { return }
        if let failure = FileAccess.writeAll(open, bytes) {
            FileAccess.closeQuietly(open)
            descriptor = nil
            throw stop(RecordingError(file: path, problem: .writeFailed(reason: failure.text)))
        }
    }

    private func stop(_ error: RecordingError) -> RecordingError {
        failure = error
        return error
    }
}
