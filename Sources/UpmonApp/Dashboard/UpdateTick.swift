import UpnodeMonitor

// The 10 Hz tick: the status line's expiry, keyframes while recording, the replay's
// playback clock.

/// The 10 Hz tick: expire the status line, write a keyframe when one is due, and in replay
/// move the playback cursor by the clock.
func tick(_ model: inout AppModel, now: Double) -> [Effect] {
    if case .replay(var replay) = model.mode {
        let effects = advancePlayback(&replay, clock: now)
        model.mode = .replay(replay)
        model.ui.now = replay.position
        expireStatus(&model)
        return effects
    }
    model.ui.now = now
    expireStatus(&model)
    guard var recording = model.recording, recording.failure == nil,
        let t = recording.cursor.snapTime(at: now)
    else { return [] }
    model.recording = recording
    return [.recordSnap(model.monitor.shifted(by: -recording.startedT), t: t)]
}

func expireStatus(_ model: inout AppModel) {
    if let status = model.ui.status, status.expiresAt <= model.ui.now { model.ui.status = nil }
}

/// Moves `replay.position` along the clock: from the base the last pause, seek or speed
/// change left, at `speed`; pauses at the end.
func advancePlayback(_ replay: inout ReplayStatus, clock: Double) -> [Effect] {
    guard !replay.isPaused else {
        replay.clockBase = nil
        return []
    }
    guard let base = replay.clockBase, base.speed == replay.speed, clock >= base.clock else {
        replay.clockBase = PlaybackClock(
            clock: clock, position: replay.position, speed: replay.speed)
        return []
    }
    let position = min(base.position + (clock - base.clock) * base.speed, replay.duration)
    guard position != replay.position else { return [] }
    replay.position = position
    if position >= replay.duration { replay.isPaused = true }
    return [.advanceReplay(to: position)]
}
