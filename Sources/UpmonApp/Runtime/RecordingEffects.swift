import UpnodeMonitor

/// The recording effects of `update`, carried out in the order they come: one
/// `RecordingQueue` writes the file; recordings being finished are kept until they are on
/// disk. The runtime owns one; tests drive the same code without a terminal.
public struct RecordingEffects: Sendable {
    /// The header every recording of this session starts from (its `started` is set when
    /// the file is opened).
    let header: RecordingHeader
    /// Wall clock in milliseconds since the epoch, for the header's `started`.
    let epochMilliseconds: @Sendable () -> Int64
    /// Called (on the queue's thread) when a write fails after the file was opened.
    let onFailure: @Sendable (RecordingError) -> Void
    private(set) var current: RecordingQueue?
    private var finishing: [RecordingQueue] = []

    public init(
        header: RecordingHeader, epochMilliseconds: @escaping @Sendable () -> Int64,
        onFailure: @escaping @Sendable (RecordingError) -> Void
    ) {
        self.header = header
        self.epochMilliseconds = epochMilliseconds
        self.onFailure = onFailure
    }

    /// Carries out `effect` if it is a recording effect; returns the answer for `update`
    /// (empty for the others and for effects with nothing to say).
    public mutating func perform(_ effect: Effect) -> [Msg] {
        switch effect {
        case .startRecording(let request, let initialState):
            return [open(request, initialState: initialState)]
        case .recordEvent(let event):
            current?.record(event)
        case .recordSnap(let state, let t):
            current?.snap(state, t: t)
        case .finishRecording(let reason, let t):
            guard let current else { return [] }
            current.finish(reason: reason, t: t)
            finishing.append(current)
            self.current = nil
        default:
            break
        }
        return []
    }

    /// Waits until every finished recording is on disk; returns the errors met.
    public func drained() async -> [RecordingError] {
        var errors: [RecordingError] = []
        for queue in finishing {
            if let error = await queue.drained() { errors.append(error) }
        }
        return errors
    }

    private mutating func open(_ request: RecordingRequest, initialState: MonitorState) -> Msg {
        var header = header
        header.started = RecordingHeader.timestamp(epochMilliseconds: epochMilliseconds())
        // Links may have joined or left since the session started: list those running now.
        header.connections = initialState.connections.map(\.info)
        do {
            current = try RecordingQueue(
                path: request.path, header: header, initialState: initialState,
                overwrite: request.overwrite, onFailure: onFailure)
            return .recordingStarted(
                RecordingStatus(
                    path: request.path, startedT: request.startT,
                    snapEvery: header.settings.snapEverySeconds))
        } catch {
            return .recordingFailed(path: request.path, error: error.description)
        }
    }
}
