import UpnodeMonitor

// Recording from the dashboard: what `update` hands the runtime's `RecordingEffects`, in
// the order the model applied it (docs/RECORDING.md, "Writing").

/// A live event: recorded when a recording is on, logged when it is a warning or an error.
func recordAndLog(_ model: inout AppModel, _ event: MonitorEvent) -> [Effect] {
    var effects: [Effect] = []
    if var recording = model.recording, recording.failure == nil {
        let t = recording.cursor.fileTime(ofEventAt: event.t)
        recording.events += 1
        if case .mark(let label) = event.kind {
            recording.marks += 1
            // The confirmation for `m` and `:mark`: the mark is in the file now.
            let number = "mark \(recording.marks)"
            let named = label == number ? "" : " (\(label))"
            model.ui.setStatus("\(number) at \(DashboardFormat.position(t))\(named)")
        }
        model.recording = recording
        effects.append(.recordEvent(MonitorEvent(t: t, conn: event.conn, kind: event.kind)))
    }
    if case .note(let level, let text) = event.kind, level != .info {
        effects.append(.writeLog("\(event.conn.map(\.rawValue) ?? "-") \(level.rawValue): \(text)"))
    }
    return effects
}

/// Opens a recording from now on, unless one is running or this is a replay.
func startRecording(_ model: inout AppModel, path: String?, overwrite: Bool) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    guard model.recording == nil else {
        model.ui.setStatus("already recording to \(model.recording?.path ?? "")", isError: true)
        return []
    }
    // No earlier than the newest event applied: the opening keyframe holds it at t ≥ 0.
    let now = max(model.ui.now, model.latestEventT)
    let name = path ?? DashboardFormat.recordingFileName(at: model.wallClockAtZero + now)
    let request = RecordingRequest(path: name, overwrite: overwrite, startT: now)
    return [.startRecording(request, initialState: model.monitor.shifted(by: -now))]
}

/// Stops the recording (if any): the `end` line at the latest t.
func stopRecording(_ model: inout AppModel, reason: MonitorEvent.EndReason) -> [Effect] {
    guard let recording = model.recording else { return [] }
    model.recording = nil
    guard recording.failure == nil else { return [] }
    let t = recording.cursor.endTime(at: model.ui.now)
    let events =
        "\(DashboardFormat.grouped(recording.events)) event\(recording.events == 1 ? "" : "s")"
    model.ui.setStatus("recording stopped: \(events) written to \(recording.path)")
    return [.finishRecording(reason: reason, t: t)]
}
