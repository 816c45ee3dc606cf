#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// The largest `t` (either way from the header's `started`) a line may have: 10 years.
    ///
    /// `t` is seconds since the recording started, so no real recording gets near this; a line
    /// beyond it (`1.2e29`, `5e15`: a corrupted digit, an exponent from a hand edit) would
    /// otherwise become the replay's length and, through the "never decreases" clamp
    /// (RECORDING.md §7 step 5), drag every later line's `t` up to it. Such a line is damaged
    /// (`LineDamage.implausibleTime`) and skipped, so the rest replays normally; a `t` that is
    /// not finite (`1e999`) is damaged already, as a missing `t`.
    ///
    /// The bound is on `t` itself, not on the step from the previous line: the clock is
    /// `ContinuousClock`, which keeps running while the machine sleeps, so a laptop suspended
    /// for a month mid-recording writes a real month-long gap, and a rule on steps would throw
    /// away everything after it. A damaged `t` below 10 years is therefore still taken as
    /// written (and reported through the decreasing-time count when later lines fall behind it).
    public static let maxPlausibleTime: Double = 10 * 365.25 * 86_400

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

    /// The kinds the scan indexes; lines of any other kind are counted as ignored.
    enum LineKind: String, CaseIterable {
        // The raw value is the name as written in recordings.
        case snap, state, ping, pingTimeout = "ping_timeout", reconnect, queue, call, result
        case remoteMethods = "remote_methods", mark, note, end

        /// The kind whose name is `bytes[range]`, compared byte for byte (the common
        /// four- and five-letter names as one little-endian word).
        @inline(__always)
        static func named(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> LineKind? {
            guard range.lowerBound >= 0, range.upperBound <= bytes.count,
                let base = bytes.baseAddress
            else { return nil }
            func matches(_ name: StaticString) -> Bool { ByteText.equals(bytes, range, name) }
            switch range.count {
            case 4:
                switch UnsafeRawPointer(base + range.lowerBound).loadUnaligned(as: UInt32.self) {
                case UInt32(littleEndian: 0x676E_6970): return .ping  // "ping"
                case UInt32(littleEndian: 0x6C6C_6163): return .call  // "call"
                case UInt32(littleEndian: 0x7061_6E73): return .snap  // "snap"
                case UInt32(littleEndian: 0x6B72_616D): return .mark  // "mark"
                case UInt32(littleEndian: 0x6574_6F6E): return .note  // "note"
                default: return nil
                }
            case 5:
                guard bytes[range.lowerBound + 4] == UInt8(ascii: "e") else { return nil }
                switch UnsafeRawPointer(base + range.lowerBound).loadUnaligned(as: UInt32.self) {
                case UInt32(littleEndian: 0x7461_7473): return .state  // "stat" + "e"
                case UInt32(littleEndian: 0x7565_7571): return .queue  // "queu" + "e"
                default: return nil
                }
            case 3: return matches("end") ? .end : nil
            case 6: return matches("result") ? .result : nil
            case 9: return matches("reconnect") ? .reconnect : nil
            case 12: return matches("ping_timeout") ? .pingTimeout : nil
            case 14: return matches("remote_methods") ? .remoteMethods : nil
            default: return nil
            }
        }
    }

    /// What a line's `kind` value is.
    private enum KindLookup {
        /// Missing, not a string, or a string that does not decode.
        case missing
        case unknown
        case known(LineKind)
    }

    @inline(never)
    private static func kind(_ bytes: UnsafeBufferPointer<UInt8>, _ fields: LineScanner.RawFields)
        -> KindLookup
    {
        guard let value = fields.kind else { return .missing }
        if !fields.kindHasEscapes, value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\"") {
            let content = (value.lowerBound + 1)..<(value.upperBound - 1)
            return LineKind.named(bytes, content).map(KindLookup.known) ?? .unknown
        }
        // Not a string, or a string with escapes (rare): decode it as the full parser does.
        guard let text = LineScanner.string(bytes, value) else { return .missing }
        return LineKind(rawValue: text).map(KindLookup.known) ?? .unknown
    }

    /// The id of a `conn` value that does not name a header connection, or `nil` when it is
    /// absent, `null` or known. A value that is not a string counts as the id `""`.
    @inline(never)
    private static func unknownConnection(
        _ bytes: UnsafeBufferPointer<UInt8>, _ fields: LineScanner.RawFields,
        _ connections: ConnectionLookup
    ) -> String? {
        guard let value = fields.conn, !LineScanner.isNull(bytes, value) else { return nil }
        if !fields.connHasEscapes, value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\"") {
            let content = (value.lowerBound + 1)..<(value.upperBound - 1)
            guard connections.position(bytes, content) == nil else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }
        let id = LineScanner.string(bytes, value) ?? ""
        return connections.position(of: id) == nil ? id : nil
    }

    /// Scans `bytes` (whose first line, ending at `bodyStart`, is the header) once.
    init(bytes: [UInt8], bodyStart: Int, header: RecordingHeader) {
        self = bytes.withUnsafeBufferPointer { buffer in
            SeekIndex(bytes: buffer, bodyStart: bodyStart, header: header)
        }
    }

    /// Scans `bytes` (whose first line, ending at `bodyStart`, is the header) once.
    ///
    /// Lines are checked with `LineScanner` and not decoded, apart from marks and `end`. Events
    /// are decoded and applied only until the first `snap` turns up, to build synthetic
    /// keyframes for files that have none. A line that passes the scan but whose fields turn
    /// out wrong (say, a `ping` without `rtt_ms`) is skipped when it would be applied.
    ///
    /// Per line this makes no `String` and hashes nothing in the usual case: `kind` is compared
    /// byte for byte, `conn` is looked up by number, `t` is read as a fixed-point decimal.
    init(bytes: UnsafeBufferPointer<UInt8>, bodyStart: Int, header: RecordingHeader) {
        let decoder = RecordingDecoder(header: header)
        let lineDecoder = EventLineDecoder(header: header)
        let connections = lineDecoder.connections
        var synthetic = SyntheticKeyframes(state: header.initialState)
        keyframes = [Keyframe(t: -.infinity, nextEntry: 0, source: .state(header.initialState))]
        let count = bytes.count
        guard let base = bytes.baseAddress, bodyStart < count else { return }
        // Event lines are about 50 bytes or more (snaps far more), so this usually suffices
        // without growing; memory reserved beyond the entries is never touched.
        entries.reserveCapacity((count - bodyStart) / 48 + 16)
        var position = max(0, bodyStart)
        var lineNumber = 1
        var previousT = -Double.infinity
        while position < count {
            lineNumber += 1
            // The scan finds the end of a good line itself; otherwise look for the `\n`.
            var fields = LineScanner.RawFields()
            let range: Range<Int>
            let shape: LineScanner.Shape
            if let (found, end) = LineScanner.scan(bytes, lineFrom: position, into: &fields) {
                range = position..<end
                shape = found
            } else {
                guard let newline = memchr(base + position, 0x0A, count - position) else {
                    recordDamage(.truncated, line: lineNumber)
                    break
                }
                range =
                    position..<(position
                    + UnsafeRawPointer(base + position).distance(to: UnsafeRawPointer(newline)))
                shape = .invalid
            }
            position = range.upperBound + 1
            switch shape {
            case .invalid:
                recordDamage(.invalidJSON, line: lineNumber)
                continue
            case .notAnObject:
                recordDamage(.notAnObject, line: lineNumber)
                continue
            case .object:
                break
            }
            guard let lineT = fields.t else {
                recordDamage(.missingTime, line: lineNumber)
                continue
            }
            // The usual `kind` and `conn`: strings without escapes, compared in place.
            let kindLookup: KindLookup
            if let value = fields.kind, !fields.kindHasEscapes, value.count >= 2,
                bytes[value.lowerBound] == UInt8(ascii: "\"")
            {
                kindLookup =
                    LineKind.named(bytes, (value.lowerBound + 1)..<(value.upperBound - 1))
                    .map(KindLookup.known) ?? .unknown
            } else {
                kindLookup = Self.kind(bytes, fields)
            }
            if case .missing = kindLookup {
                recordDamage(.missingKind, line: lineNumber)
                continue
            }
            if let value = fields.conn {
                if !fields.connHasEscapes, value.count >= 2,
                    bytes[value.lowerBound] == UInt8(ascii: "\""),
                    connections.position(bytes, (value.lowerBound + 1)..<(value.upperBound - 1))
                        != nil
                {
                    // A known connection.
                } else if let id = Self.unknownConnection(bytes, fields, connections) {
                    recordDamage(.unknownConnection(id), line: lineNumber)
                    continue
                }
            }
            guard case .known(let kind) = kindLookup else {
                ignoredCount += 1
                continue
            }
            if lineT.magnitude > Self.maxPlausibleTime {
                recordDamage(.implausibleTime(lineT), line: lineNumber)
                continue
            }
            var t = lineT
            if t < previousT {
                t = previousT
                decreasingTimeCount += 1
            }
            let entryKind: EntryKind
            if kind == .snap {
                entryKind = .snap
                snapCount += 1
                keyframes.append(
                    Keyframe(t: t, nextEntry: entries.count + 1, source: .snap(entries.count)))
            } else {
                entryKind = .event
                if kind == .mark || kind == .end || snapCount == 0,
                    var event = lineDecoder.decode(bytes, range, t: t)
                        ?? Self.fullDecode(decoder, bytes, range)
                {
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

    /// An event line through `RecordingDecoder`; `nil` when it is damaged (or not an event).
    static func fullDecode(
        _ decoder: RecordingDecoder, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>
    ) -> MonitorEvent? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count,
            case .event(let event)? = try? decoder.decode(
                UnsafeBufferPointer(rebasing: bytes[range]))
        else { return nil }
        return event
    }

    /// The number of entries with `t <= target` (entries are in time order).
    func entryCount(atOrBefore target: Double) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].t <= target { low = middle + 1 } else { high = middle }
        }
        return low
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
