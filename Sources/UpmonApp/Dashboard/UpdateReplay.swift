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

/// Where `:goto` goes (docs/RECORDING.md, "Replaying"). Plain times read like the progress
/// line (`MM:SS`, `H:MM:SS`, from the start of the recording); a leading `+`/`-` moves from
/// the current position; a wall clock needs `UTC` (`13:52:23 UTC`), as the header shows it.
public enum GotoTarget: Sendable, Equatable {
    /// Seconds from the start: `05:00`, `1:02:03`, `90s`, `2m`, `90`.
    case position(Double)
    /// Seconds from the current position, signed: `+30s`, `-1:00`.
    case offset(Double)
    /// A UTC second of the day on the recording's day: `13:52:23 UTC`, `13:52 UTC`.
    case wallClock(secondOfDay: Double)

    /// Parses a `:goto` argument; nil when it is none of the forms.
    public init?(parsing text: String) {
        var body = text.trimmingSpaces()
        let lower = body.lowercased()
        if lower.hasSuffix("utc") || lower.hasSuffix("z") {
            body = String(body.dropLast(lower.hasSuffix("utc") ? 3 : 1)).trimmingSpaces()
            guard let parts = clockParts(body), parts[0] < 24,
                parts.count == 2 || parts.count == 3
            else { return nil }
            let seconds = parts.count == 3 ? parts[2] : 0
            self = .wallClock(secondOfDay: parts[0] * 3600 + parts[1] * 60 + seconds)
            return
        }
        guard let first = body.first else { return nil }
        let sign: Double? = first == "+" ? 1 : first == "-" ? -1 : nil
        if sign != nil { body = String(body.dropFirst()).trimmingSpaces() }
        let seconds: Double
        if body.contains(":") {
            guard let parts = clockParts(body) else { return nil }
            seconds = parts.reduce(0) { $0 * 60 + $1 }
        } else {
            guard let duration = parseDuration(body) else { return nil }
            seconds = duration
        }
        guard seconds.isFinite else { return nil }
        self = sign.map { .offset($0 * seconds) } ?? .position(seconds)
    }

    /// The target t for a replay at `position` whose t = 0 is `wallClockAtZero` (Unix seconds).
    public func resolve(position: Double, wallClockAtZero: Double) -> Double {
        switch self {
        case .position(let t): return t
        case .offset(let delta): return position + delta
        case .wallClock(let secondOfDay):
            let startOfDay = wallClockAtZero - Double(Int(saturating: wallClockAtZero) % 86_400)
            let t = startOfDay + secondOfDay - wallClockAtZero
            return t < 0 ? t + 86_400 : t
        }
    }
}

/// `MM:SS` or `H:MM:SS` (the last part may have a fraction) as numbers, most significant
/// first; minutes and seconds after the first part must be below 60.
private func clockParts(_ text: String) -> [Double]? {
    let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
    guard pieces.count == 2 || pieces.count == 3 else { return nil }
    var numbers: [Double] = []
    for (index, piece) in pieces.enumerated() {
        let isLast = index == pieces.count - 1
        // ASCII digits only (Double would take `1e3`, `inf` or `nan`).
        guard !piece.isEmpty,
            piece.allSatisfy({ ("0"..."9").contains($0) || (isLast && $0 == ".") }),
            let value = Double(String(piece)), value.isFinite
        else { return nil }
        if index > 0, value >= 60 { return nil }
        numbers.append(value)
    }
    return numbers
}

/// The target t of a `:goto` argument, or nil when it does not parse.
public func gotoTarget(_ text: String, position: Double, wallClockAtZero: Double) -> Double? {
    GotoTarget(parsing: text)?.resolve(position: position, wallClockAtZero: wallClockAtZero)
}

/// `:goto`: seeks to the target clamped to the recording and says where it went; text that
/// does not parse leaves the position alone and says what would.
func gotoCommand(_ model: inout AppModel, _ argument: String) -> [Effect] {
    guard var replay = model.replayStatus else {
        model.ui.setStatus(":goto works in replay", isError: true)
        return []
    }
    guard
        let target = gotoTarget(
            argument, position: replay.position, wallClockAtZero: model.wallClockAtZero)
    else {
        let shown = argument.count > 24 ? String(argument.prefix(24)) + "…" : argument
        model.ui.setStatus(
            "goto: '\(shown)' is not a time (try 05:00, 1:02:03, 90s, +30s, -1:00, 13:52 UTC)",
            isError: true)
        return []
    }
    let effects = seekReplay(&replay, to: target)
    model.mode = .replay(replay)
    let reached = DashboardFormat.position(replay.position)
    func signed(_ t: Double) -> String { (t < 0 ? "-" : "") + DashboardFormat.position(abs(t)) }
    if target < 0 {
        model.ui.setStatus("goto \(reached) (start): \(signed(target)) is before the start")
    } else if target > replay.duration {
        model.ui.setStatus("goto \(reached) (end): \(signed(target)) is past the end")
    } else {
        model.ui.setStatus("goto \(reached)")
    }
    return effects
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
