/// Plays a recording back through the same reducer the live dashboard uses (RECORDING.md §7).
///
/// Opening reads the file with one `read`, checks the header and scans it once into a
/// `SeekIndex`. Playback keeps a cursor time `time` (T): `advance(to:)` applies the events up
/// to a later T, `seek(to:)` jumps anywhere by decoding the nearest earlier keyframe, and the
/// view renders `state` with `now = time`.
public struct Replayer: Sendable {
    public let file: String
    public let header: RecordingHeader
    public let index: SeekIndex
    /// The state at `time`.
    public private(set) var state: MonitorState
    /// The cursor time T, within `0...lastT`.
    public private(set) var time: Double = 0
    /// The next entry of `index` to apply.
    private var nextEntry = 0
    private let bytes: [UInt8]
    private let decoder: RecordingDecoder

    /// Opens the recording at `path`.
    public init(path: String) throws(RecordingError) {
        switch FileAccess.readAll(path: path) {
        case .success(let bytes): try self.init(bytes: bytes, file: path)
        case .failure(let failure):
            throw RecordingError(file: path, problem: .cannotRead(reason: failure.text))
        }
    }

    /// Opens a recording held in memory; `file` is used in error messages.
    public init(bytes: [UInt8], file: String) throws(RecordingError) {
        let headerEnd = bytes.firstIndex(of: 0x0A) ?? bytes.count
        header = try RecordingHeader(line: bytes[..<headerEnd], file: file)
        self.file = file
        self.bytes = bytes
        decoder = RecordingDecoder(header: header)
        index = SeekIndex(bytes: bytes, bodyStart: min(bytes.count, headerEnd + 1), header: header)
        state = header.initialState
        seek(to: 0)
    }

    /// Whether the file ended with an `end` line; otherwise show `REPLAY (incomplete)`.
    public var isComplete: Bool { index.hasEnd }
    /// Time of the last valid line: the end of the replay.
    public var lastT: Double { index.lastT }
    public var marks: [SeekIndex.Mark] { index.marks }
    /// Whether every line has been applied.
    public var isAtEnd: Bool { nextEntry >= index.entries.count }

    /// Notes to show after opening: damaged lines, ignored kinds, times that went backwards.
    public var openingNotes: [String] {
        var notes: [String] = []
        if let damage = index.damageSummary { notes.append(damage) }
        if index.ignoredCount > 0 {
            let count = index.ignoredCount
            notes.append("ignored \(count) line\(count == 1 ? "" : "s") of unknown kinds (newer upmon?)")
        }
        if index.decreasingTimeCount > 0 {
            let count = index.decreasingTimeCount
            notes.append("\(count) line\(count == 1 ? "" : "s") went back in time; kept in file order")
        }
        return notes
    }

    /// Moves the cursor to `target` (clamped to `0...lastT`) and rebuilds `state` for it:
    /// forward within the same keyframe span it just applies events, otherwise it starts from
    /// the last keyframe at or before `target`.
    public mutating func seek(to target: Double) {
        let clamped = Swift.min(Swift.max(0, target), index.lastT)
        let keyframeIndex = index.keyframeIndex(atOrBefore: clamped)
        let keyframe = index.keyframes[keyframeIndex]
        if clamped >= time, nextEntry >= keyframe.nextEntry {
            _ = advance(to: clamped)
            return
        }
        let (start, startEntry) = keyframeState(at: keyframeIndex)
        state = start
        nextEntry = startEntry
        time = Swift.max(0, keyframe.t)
        _ = advance(to: clamped)
    }

    /// The state at `target` without moving the cursor.
    public func state(at target: Double) -> MonitorState {
        var copy = self
        copy.nextEntry = 0
        copy.time = 0
        copy.state = header.initialState
        copy.seek(to: target)
        return copy.state
    }

    /// Applies every line with `t ≤ target` and moves the cursor there (never past `lastT`,
    /// never backwards). Returns the events applied, in order, for the event log or a feed.
    @discardableResult
    public mutating func advance(to target: Double) -> [MonitorEvent] {
        var applied: [MonitorEvent] = []
        while nextEntry < index.entries.count, index.entries[nextEntry].t <= target {
            if let event = applyEntry(nextEntry) { applied.append(event) }
            nextEntry += 1
        }
        time = Swift.max(time, Swift.min(target, index.lastT))
        return applied
    }

    /// Applies exactly the next event (and any snap before it) and sets the cursor to its `t`.
    public mutating func stepForward() -> MonitorEvent? {
        while nextEntry < index.entries.count {
            let entry = nextEntry
            nextEntry += 1
            time = Swift.max(time, index.entries[entry].t)
            if let event = applyEntry(entry) { return event }
        }
        return nil
    }

    /// The `t` of the latest event before the cursor, for stepping back with `seek(to:)`.
    public func previousEventTime() -> Double? {
        var low = 0
        var high = index.entries.count
        while low < high {  // first entry with t >= time
            let middle = (low + high) / 2
            if index.entries[middle].t < time { low = middle + 1 } else { high = middle }
        }
        var position = low - 1
        while position >= 0 {
            if index.entries[position].kind == .event { return index.entries[position].t }
            position -= 1
        }
        return nil
    }

    /// The next mark more than 0.5 s after `t`.
    public func nextMark(after t: Double) -> SeekIndex.Mark? {
        index.marks.first { $0.t > t + 0.5 }
    }

    /// The previous mark more than 0.5 s before `t`.
    public func previousMark(before t: Double) -> SeekIndex.Mark? {
        index.marks.last { $0.t < t - 0.5 }
    }

    /// Applies entry `position`: a snap replaces the state, an event goes through the reducer.
    private mutating func applyEntry(_ position: Int) -> MonitorEvent? {
        let entry = index.entries[position]
        switch decodeEntry(position) {
        case .snap(_, let json)?:
            if let snapState = try? MonitorState(json: json, connections: header.connections) {
                state = snapState
            }
            return nil
        case .event(var event)?:
            event.t = entry.t
            state.apply(event)
            return event
        case .ignored?, nil:
            return nil
        }
    }

    private func decodeEntry(_ position: Int) -> RecordingLine? {
        let entry = index.entries[position]
        let range = entry.offset..<(entry.offset + Int(entry.length))
        return try? decoder.decode(bytes[range])
    }

    /// The state of keyframe `position` and the first entry after it; a snap that no longer
    /// decodes (it was validated at open) falls back to the keyframe before it.
    private func keyframeState(at position: Int) -> (MonitorState, Int) {
        var current = position
        while current > 0 {
            let keyframe = index.keyframes[current]
            switch keyframe.source {
            case .state(let saved):
                return (saved, keyframe.nextEntry)
            case .snap(let entry):
                if case .snap(_, let json)? = decodeEntry(entry),
                    let decoded = try? MonitorState(json: json, connections: header.connections)
                {
                    return (decoded, keyframe.nextEntry)
                }
            }
            current -= 1
        }
        return (header.initialState, 0)
    }
}
