/// Plays a recording back through the same reducer the live dashboard uses (docs/RECORDING.md, "Replaying").
///
/// Opening reads the file with one `read`, checks the header and scans it once into a
/// `SeekIndex`. Playback keeps a cursor time `time` (T): `advance(to:)` applies the events up
/// to a later T, `seek(to:)` jumps anywhere by starting from the nearest earlier known state
/// (the cursor, a state remembered in `keyframes`, or a keyframe of the index), and the view
/// renders `state` with `now = time`. Event lines are decoded by `EventLineDecoder`, with
/// `RecordingDecoder` for the lines it leaves.
public struct Replayer: Sendable {
    public let file: String
    public let header: RecordingHeader
    public let index: SeekIndex
    /// The state at `time`.
    public private(set) var state: MonitorState
    /// The cursor time T, within `0...lastT`.
    public private(set) var time: Double = 0
    /// The next entry of `index` to apply.
    private(set) var nextEntry = 0
    private let bytes: [UInt8]
    private let decoder: RecordingDecoder
    private let lineDecoder: EventLineDecoder
    private let snapDecoder: SnapLineDecoder
    /// States remembered at entry boundaries while replaying, for later seeks.
    var keyframes = KeyframeCache()

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
        var header = try RecordingHeader(
            line: bytes[..<headerEnd], file: file, terminated: headerEnd < bytes.count)
        header.joined = JoinedLinks.scan(
            bytes, bodyStart: min(bytes.count, headerEnd + 1), header: header)
        self.header = header
        self.file = file
        self.bytes = bytes
        decoder = RecordingDecoder(header: header)
        lineDecoder = EventLineDecoder(header: header)
        snapDecoder = SnapLineDecoder(header: header)
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
            notes.append(
                "ignored \(count) line\(count == 1 ? "" : "s") of unknown kinds (newer upmon?)")
        }
        if index.decreasingTimeCount > 0 {
            let count = index.decreasingTimeCount
            notes.append(
                "\(count) line\(count == 1 ? "" : "s") went back in time; kept in file order")
        }
        return notes
    }

    /// Moves the cursor to `target` (clamped to `0...lastT`) and rebuilds `state` for it,
    /// starting from the latest known state before it: the cursor itself when it is not past
    /// `target`, a remembered state, or the last keyframe of the index at or before `target`.
    ///
    /// Any of them gives the same result, since the state after the first `n` entries depends
    /// only on `n`; the latest one applies the fewest lines. A `snap` keyframe is used only
    /// when nothing later is known, as replaying across it would decode it anyway.
    public mutating func seek(to target: Double) {
        let clamped = Swift.min(Swift.max(0, target), index.lastT)
        let end = index.entryCount(atOrBefore: clamped)
        var start = nextEntry <= end ? nextEntry : -1
        if let remembered = keyframes.latest(atOrBefore: end), remembered.entry > start {
            start = remembered.entry
            state = remembered.state
            nextEntry = remembered.entry
        }
        let keyframeIndex = index.keyframeIndex(atOrBefore: clamped)
        if index.keyframes[keyframeIndex].nextEntry > start {
            (state, nextEntry) = keyframeState(at: keyframeIndex)
        }
        time = Swift.max(0, clamped)  // as before: 0 when every line has a negative `t`
        applyEntries(upTo: end)
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
        let end = index.entryCount(atOrBefore: target)
        if end > nextEntry {
            applied.reserveCapacity(end - nextEntry)
            applyEntries(upTo: end) { applied.append($0) }
        }
        time = Swift.max(time, Swift.min(target, index.lastT))
        return applied
    }

    /// Applies exactly the next event (and any snap before it) and sets the cursor to its `t`.
    public mutating func stepForward() -> MonitorEvent? {
        let bytes = self.bytes
        return bytes.withUnsafeBufferPointer { buffer in
            while nextEntry < index.entries.count {
                time = Swift.max(time, index.entries[nextEntry].t)
                if let event = applyNext(buffer) { return event }
            }
            return nil
        }
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

    /// Applies the entries from `nextEntry` up to (not including) `end`, handing each event
    /// applied to `body`.
    private mutating func applyEntries(upTo end: Int, _ body: (MonitorEvent) -> Void = { _ in }) {
        let bytes = self.bytes
        bytes.withUnsafeBufferPointer { buffer in
            while nextEntry < end {
                if let event = applyNext(buffer) { body(event) }
            }
        }
    }

    /// Applies entry `nextEntry` and moves past it: a snap replaces the state, an event goes
    /// through the reducer. Remembers the state at `keyframes` boundaries.
    private mutating func applyNext(_ buffer: UnsafeBufferPointer<UInt8>) -> MonitorEvent? {
        let entry = index.entries[nextEntry]
        nextEntry += 1
        var applied: MonitorEvent?
        let range = entry.offset..<(entry.offset + Int(entry.length))
        if entry.kind == .event, var event = lineDecoder.decode(buffer, range, t: entry.t) {
            event.t = entry.t
            state.apply(event)
            applied = event
        } else if entry.kind == .snap, let snapState = snapDecoder.decode(buffer, range) {
            state = snapState
        } else {
            switch decodeEntry(entry, buffer) {
            case .snap(_, let json)?:
                if let snapState = try? MonitorState(
                    json: json, connections: header.connections, joined: header.joined)
                {
                    state = snapState
                }
            case .event(var event)?:
                event.t = entry.t
                state.apply(event)
                applied = event
            case .ignored?, nil:
                break
            }
        }
        if keyframes.wants(nextEntry) { keyframes.insert(state, at: nextEntry) }
        return applied
    }

    private func decodeEntry(_ entry: SeekIndex.Entry, _ buffer: UnsafeBufferPointer<UInt8>)
        -> RecordingLine?
    {
        let range = entry.offset..<(entry.offset + Int(entry.length))
        guard range.lowerBound >= 0, range.upperBound <= buffer.count else { return nil }
        return try? decoder.decode(UnsafeBufferPointer(rebasing: buffer[range]))
    }

    /// The state a snap entry holds, or `nil` if it does not decode.
    private func snapState(_ entry: SeekIndex.Entry, _ buffer: UnsafeBufferPointer<UInt8>)
        -> MonitorState?
    {
        let range = entry.offset..<(entry.offset + Int(entry.length))
        if let decoded = snapDecoder.decode(buffer, range) { return decoded }
        guard case .snap(_, let json)? = decodeEntry(entry, buffer) else { return nil }
        return try? MonitorState(json: json, connections: header.connections, joined: header.joined)
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
                if let decoded = bytes.withUnsafeBufferPointer({
                    snapState(index.entries[entry], $0)
                }) {
                    return (decoded, keyframe.nextEntry)
                }
            }
            current -= 1
        }
        return (header.initialState, 0)
    }
}
