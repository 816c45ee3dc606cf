import DnodeProtocol

/// What one pass over a recording learned (docs/RECORDING.md, "Opening a recording"); the pass itself
/// is in `SeekIndex+Scan.swift`.
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
    /// (docs/RECORDING.md, "Opening a recording"), drag every later line's `t` up to it. Such a line is damaged
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
        case snap, state, ping
        case pingTimeout = "ping_timeout"
        case reconnect, queue, call, result
        case remoteMethods = "remote_methods"
        case mark, note, end
        case linkAdded = "link_added"
        case linkRemoved = "link_removed"
        case alert
        // `upmon tap` (docs/RECORDING.md, "Tap events"); applied through `RecordingDecoder`.
        case tapOpen = "tap_open"
        case tapCall = "tap_call"
        case tapResult = "tap_result"
        case tapUnanswered = "tap_unanswered"
        case tapTraffic = "tap_traffic"

        /// The kind whose name is `bytes[range]`, compared byte for byte (the common
        /// four- and five-letter names as one little-endian word).
        @inline(__always)
        static func named(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> LineKind? {
            guard range.lowerBound >= 0, range.upperBound <= bytes.count,
                let base = bytes.baseAddress
            else { return nil }
            func matches(_ name: StaticString) -> Bool { JSONScanner.equals(bytes, range, name) }
            // The word loads below read `range.lowerBound ..< +4`, inside `range` (4 or 5
            // bytes long), which the guard above keeps inside the buffer.
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
                guard bytes[range.lowerBound + 4] == UInt8(ascii: "e") else {
                    return matches("alert") ? .alert : nil
                }
                switch UnsafeRawPointer(base + range.lowerBound).loadUnaligned(as: UInt32.self) {
                case UInt32(littleEndian: 0x7461_7473): return .state  // "stat" + "e"
                case UInt32(littleEndian: 0x7565_7571): return .queue  // "queu" + "e"
                default: return nil
                }
            case 3: return matches("end") ? .end : nil
            case 6: return matches("result") ? .result : nil
            case 8:
                if matches("tap_call") { return .tapCall }
                return matches("tap_open") ? .tapOpen : nil
            case 9: return matches("reconnect") ? .reconnect : nil
            case 10:
                if matches("link_added") { return .linkAdded }
                return matches("tap_result") ? .tapResult : nil
            case 11: return matches("tap_traffic") ? .tapTraffic : nil
            case 12:
                if matches("ping_timeout") { return .pingTimeout }
                return matches("link_removed") ? .linkRemoved : nil
            case 14:
                if matches("remote_methods") { return .remoteMethods }
                return matches("tap_unanswered") ? .tapUnanswered : nil
            default: return nil
            }
        }
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

    /// Counts a damaged line, keeping the first few for the summary.
    mutating func recordDamage(_ damage: LineDamage, line: Int) {
        damagedCount += 1
        if damagedLines.count < Self.keptDamagedLines {
            damagedLines.append(DamagedLine(line: line, damage: damage))
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
