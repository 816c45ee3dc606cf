import TerminalUI
import UpnodeMonitor

/// Replay controls (docs/RECORDING.md, "Replaying"); nil when the key is not a replay key.
func handleReplayKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect]? {
    guard var replay = model.replayStatus else { return nil }
    defer { if model.isReplay { model.mode = .replay(replay) } }
    switch key {
    case .char(" "), .char("p"):
        replay.isPaused.toggle()
        replay.clockBase = nil
        return []
    case .char("."):
        replay.isPaused = true
        return [.step]
    case .char(","):
        replay.isPaused = true
        return seekReplay(&replay, to: previousEventTime(model.monitor, before: replay.position))
    case .left(shift: false), .char("h"): return seekReplay(&replay, to: replay.position - 5)
    case .right(shift: false), .char("l"): return seekReplay(&replay, to: replay.position + 5)
    case .left(shift: true), .char("H"): return seekReplay(&replay, to: replay.position - 60)
    case .right(shift: true), .char("L"): return seekReplay(&replay, to: replay.position + 60)
    case .home: return seekReplay(&replay, to: 0)
    case .end:
        replay.isPaused = true
        return seekReplay(&replay, to: replay.duration)
    case .char("+"), .char("="):
        replay.speed = steppedSpeed(replay.speed, up: true)
        model.ui.setStatus("speed " + DashboardFormat.speed(replay.speed))
        return []
    case .char("-"):
        replay.speed = steppedSpeed(replay.speed, up: false)
        model.ui.setStatus("speed " + DashboardFormat.speed(replay.speed))
        return []
    case .char("["):
        guard let mark = replay.marks.last(where: { $0.t < replay.position - 0.5 }) else {
            model.ui.setStatus("no earlier mark")
            return []
        }
        model.ui.setStatus("mark: \(mark.label)")
        return seekReplay(&replay, to: mark.t)
    case .char("]"):
        guard let mark = replay.marks.first(where: { $0.t > replay.position + 0.5 }) else {
            model.ui.setStatus("no later mark")
            return []
        }
        model.ui.setStatus("mark: \(mark.label)")
        return seekReplay(&replay, to: mark.t)
    case .char("m"):
        model.ui.setStatus("marks are added while recording", isError: true)
        return []
    case .char("c"), .char("r"), .char("d"), .char("R"):
        model.ui.setStatus(readOnlyMessage, isError: true)
        return []
    default:
        return nil
    }
}

/// Moves the cursor to `target` clamped to the recording, and asks the runtime to seek.
/// The position is updated at once so that repeated keys add up before the runtime answers;
/// playback goes on from there at the next tick.
func seekReplay(_ replay: inout ReplayStatus, to target: Double) -> [Effect] {
    let clamped = min(max(0, target), max(0, replay.duration))
    replay.position = clamped
    replay.clockBase = nil
    return [.seek(to: clamped)]
}

/// The next speed up or down in `ReplayStatus.speeds`.
public func steppedSpeed(_ speed: Double, up: Bool) -> Double {
    let speeds = ReplayStatus.speeds
    if up { return speeds.first { $0 > speed } ?? speeds[speeds.count - 1] }
    return speeds.last { $0 < speed } ?? speeds[0]
}

/// The time of the event before the latest one applied at `position`, from what the state
/// remembers (state changes, ping outcomes, log entries); 0 when there is none.
func previousEventTime(_ monitor: MonitorState, before position: Double) -> Double {
    var times: [Double] = monitor.log.elements.map(\.t)
    for stats in monitor.connections {
        times.append(contentsOf: stats.history.elements.map(\.t))
        times.append(contentsOf: stats.rtt.elements.map(\.t))
    }
    let applied = times.filter { $0 <= position + 0.0005 }
    guard let latest = applied.max() else { return 0 }
    return applied.filter { $0 < latest - 0.0005 }.max() ?? 0
}

/// Parses a `:goto` target: `+90s`, `-30s`, `+2m`, `1h`, `90` (seconds from the start) or a
/// wall-clock `HH:MM:SS` on the recording's day. Returns the target t.
public func gotoTarget(_ text: String, position: Double, wallClockAtZero: Double) -> Double? {
    let trimmed = text.trimmingSpaces()
    guard let first = trimmed.first else { return nil }
    if trimmed.contains(":") {
        let parts = trimmed.split(separator: ":").map { Int($0) }
        guard parts.count == 3 || parts.count == 2, parts.allSatisfy({ $0 != nil }) else {
            return nil
        }
        let numbers = parts.compactMap { $0 }
        // A clock time: hours 0-23, minutes and seconds 0-59 (bigger numbers would overflow).
        guard numbers[0] >= 0, numbers[0] < 24,
            numbers.dropFirst().allSatisfy({ $0 >= 0 && $0 < 60 })
        else {
            return nil
        }
        let secondOfDay =
            numbers[0] * 3600 + numbers[1] * 60 + (numbers.count == 3 ? numbers[2] : 0)
        let startOfDay = wallClockAtZero - Double(Int(saturating: wallClockAtZero) % 86_400)
        var t = startOfDay + Double(secondOfDay) - wallClockAtZero
        if t < 0 { t += 86_400 }
        return t
    }
    let isRelative = first == "+" || first == "-"
    let body = isRelative ? String(trimmed.dropFirst()) : trimmed
    guard let seconds = parseDuration(body) else { return nil }
    if !isRelative { return seconds }
    return first == "+" ? position + seconds : position - seconds
}

/// `90`, `90s`, `2m`, `1m30s`, `1h`, `1.5s` in seconds.
func parseDuration(_ text: String) -> Double? {
    var total = 0.0
    var number = ""
    var sawUnit = false
    for character in text {
        if character.isNumber || character == "." {
            number.append(character)
            continue
        }
        let scale: Double
        switch character {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        default: return nil
        }
        guard let value = Double(number) else { return nil }
        total += value * scale
        number = ""
        sawUnit = true
    }
    if !number.isEmpty {
        guard let value = Double(number) else { return nil }
        total += value
    } else if !sawUnit {
        return nil
    }
    return total
}

extension String {
    /// Without leading and trailing spaces (no Foundation).
    func trimmingSpaces() -> String {
        var slice = self[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
