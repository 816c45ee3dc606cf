/// What one pass over a recording learned (RECORDING.md §7, "Opening").
///
/// Holds the byte range and time of every valid line, so the replayer can decode any line
/// again on demand without keeping decoded events in memory (24 bytes per line), the
/// keyframes to seek from, the marks, and the damage found.
public struct SeekIndex: Sendable {
    /// A bookmark from the file.
    public struct Mark: Hashable, Sendable {
        public var t: Double
        public var label: String
    }

    /// A damaged line and why it was skipped.
    public struct DamagedLine: Hashable, Sendable {
        /// 1-based line number in the file.
        public var line: Int
        public var damage: LineDamage
    }

    enum EntryKind: UInt8, Sendable {
        case event, snap
    }

    /// A valid line: where it is and its (clamped) time.
    struct Entry: Sendable {
        var offset: Int
        var length: Int32
        var kind: EntryKind
        var t: Double
    }

    /// A state to start seeking from: every entry before `nextEntry` is already in it.
    struct Keyframe: Sendable {
        enum Source: Sendable {
            /// Decode the snap at this entry index.
            case snap(Int)
            case state(MonitorState)
        }
        var t: Double
        var nextEntry: Int
        var source: Source
    }

    /// How many damaged line numbers are kept for the opening note.
    public static let keptDamagedLines = 5
    /// Spacing of in-memory keyframes when the file has no `snap`.
    public static let syntheticKeyframeEvery: Double = 30

    var entries: [Entry] = []
    var keyframes: [Keyframe] = []
    public internal(set) var marks: [Mark] = []
    /// Time of the last valid line (0 for an empty recording).
    public internal(set) var lastT: Double = 0
    /// Whether an `end` line was found; without one the replay is marked incomplete.
    public internal(set) var hasEnd = false
    public internal(set) var snapCount = 0
    public internal(set) var damagedCount = 0
    /// The first `keptDamagedLines` damaged lines.
    public internal(set) var damagedLines: [DamagedLine] = []
    /// Lines of unknown kinds, skipped without counting as damage.
    public internal(set) var ignoredCount = 0
    /// Lines whose `t` went backwards and were treated as the previous `t`.
    public internal(set) var decreasingTimeCount = 0
    /// Valid event and snap lines (header, damaged and ignored lines excluded).
    public var eventLineCount: Int { entries.count }

    /// Kinds the scan indexes; lines of any other kind are counted as ignored.
    static let knownKinds: Set<String> = [
        "snap", "state", "ping", "ping_timeout", "reconnect", "queue", "call", "result",
        "remote_methods", "mark", "note", "end",
    ]

    /// Scans `bytes` (whose first line, ending at `bodyStart`, is the header) once.
    ///
    /// Lines are checked with `LineScanner` and not decoded, apart from marks and `end`. Events
    /// are decoded and applied only until the first `snap` turns up, to build synthetic
    /// keyframes for files that have none. A line that passes the scan but whose fields turn
    /// out wrong (say, a `ping` without `rtt_ms`) is skipped when it would be applied.
    init(bytes: [UInt8], bodyStart: Int, header: RecordingHeader) {
        let decoder = RecordingDecoder(header: header)
        let knownConnections = Set(header.connections.map(\.id.rawValue))
        var synthetic = SyntheticKeyframes(state: header.initialState)
        keyframes = [Keyframe(t: -.infinity, nextEntry: 0, source: .state(header.initialState))]
        var position = bodyStart
        var lineNumber = 1
        var previousT = -Double.infinity
        while position < bytes.count {
            lineNumber += 1
            let newline = bytes[position...].firstIndex(of: 0x0A)
            let end = newline ?? bytes.count
            let range = position..<end
            position = end + 1
            if newline == nil {
                recordDamage(.truncated, line: lineNumber)
                break
            }
            let fields: LineScanner.Fields
            switch LineScanner.scan(bytes[range]) {
            case .invalid:
                recordDamage(.invalidJSON, line: lineNumber)
                continue
            case .notAnObject:
                recordDamage(.notAnObject, line: lineNumber)
                continue
            case .object(let found):
                fields = found
            }
            guard let lineT = fields.t else {
                recordDamage(.missingTime, line: lineNumber)
                continue
            }
            guard let kind = fields.kind else {
                recordDamage(.missingKind, line: lineNumber)
                continue
            }
            if case .some(.some(let id)) = fields.conn, !knownConnections.contains(id) {
                recordDamage(.unknownConnection(id), line: lineNumber)
                continue
            }
            guard Self.knownKinds.contains(kind) else {
                ignoredCount += 1
                continue
            }
            var t = lineT
            if t < previousT {
                t = previousT
                decreasingTimeCount += 1
            }
            let entryKind: EntryKind
            if kind == "snap" {
                entryKind = .snap
                snapCount += 1
                keyframes.append(
                    Keyframe(t: t, nextEntry: entries.count + 1, source: .snap(entries.count)))
            } else {
                entryKind = .event
                let needsDecoding = kind == "mark" || kind == "end" || snapCount == 0
                if needsDecoding, case .event(var event)? = try? decoder.decode(bytes[range]) {
                    event.t = t
                    if case .mark(let label) = event.kind { marks.append(Mark(t: t, label: label)) }
                    if case .end = event.kind { hasEnd = true }
                    if snapCount == 0 {
                        if let keyframe = synthetic.keyframeBefore(
                            event, nextEntry: entries.count, previousT: previousT)
                        {
                            keyframes.append(keyframe)
                        }
                        synthetic.state.apply(event)
                    }
                }
            }
            previousT = t
            entries.append(
                Entry(
                    offset: range.lowerBound, length: Int32(clamping: range.count), kind: entryKind,
                    t: t))
            lastT = t
        }
    }

    private mutating func recordDamage(_ damage: LineDamage, line: Int) {
        damagedCount += 1
        if damagedLines.count < Self.keptDamagedLines {
            damagedLines.append(DamagedLine(line: line, damage: damage))
        }
    }

    /// The running state of a scan that has seen no `snap` yet.
    private struct SyntheticKeyframes {
        var state: MonitorState
        var lastKeyframeT: Double?

        /// A keyframe to store before applying `event`, when 30 s have passed since the last.
        mutating func keyframeBefore(_ event: MonitorEvent, nextEntry: Int, previousT: Double)
            -> Keyframe?
        {
            guard let last = lastKeyframeT else {
                lastKeyframeT = event.t
                return nil
            }
            guard event.t >= last + SeekIndex.syntheticKeyframeEvery, nextEntry > 0 else {
                return nil
            }
            lastKeyframeT = event.t
            return Keyframe(t: previousT, nextEntry: nextEntry, source: .state(state))
        }
    }

    /// The index of the last keyframe usable for a seek to `target`.
    func keyframeIndex(atOrBefore target: Double) -> Int {
        var low = 0
        var high = keyframes.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if keyframes[middle].t <= target { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// A one-line summary of damage for the event log and status line, or `nil` if none,
    /// e.g. `skipped 1 damaged line (4812: truncated)`.
    public var damageSummary: String? {
        guard damagedCount > 0 else { return nil }
        let noun = damagedCount == 1 ? "line" : "lines"
        var details = damagedLines.map { "\($0.line): \($0.damage)" }.joined(separator: ", ")
        if damagedCount > damagedLines.count { details += ", …" }
        return "skipped \(damagedCount) damaged \(noun) (\(details))"
    }
}
