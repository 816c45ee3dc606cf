import DnodeProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The opening scan (docs/RECORDING.md, "Opening a recording"): one pass that splits the file into
/// lines, classifies each (`classify`), and indexes the good ones (`OpeningScan.index`).
extension SeekIndex {
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
        var scan = OpeningScan(header: header)
        keyframes = [Keyframe(t: -.infinity, nextEntry: 0, source: .state(header.initialState))]
        let count = bytes.count
        guard bodyStart < count else { return }
        // Event lines are about 50 bytes or more (snaps far more), so this usually suffices
        // without growing; memory reserved beyond the entries is never touched.
        entries.reserveCapacity((count - bodyStart) / 48 + 16)
        var position = max(0, bodyStart)
        var lineNumber = 1
        while position < count {
            lineNumber += 1
            var fields = LineScanner.RawFields()
            guard let (range, shape) = Self.nextLine(bytes, from: position, into: &fields) else {
                recordDamage(.truncated, line: lineNumber)
                break
            }
            position = range.upperBound + 1
            if let (kind, t) = classify(
                shape, fields, bytes, scan.lineDecoder.connections, line: lineNumber)
            {
                scan.index(kind, t: t, bytes, range, into: &self)
            }
        }
    }

    /// The line starting at `start` (up to, not including, its `\n`) and its shape; `nil` when
    /// the rest of the buffer has no `\n` (the writer stopped mid-line).
    @inline(__always)
    private static func nextLine(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
        into fields: inout LineScanner.RawFields
    ) -> (Range<Int>, LineScanner.Shape)? {
        // The scan finds the end of a good line itself; otherwise look for the `\n`.
        if let (shape, end) = LineScanner.scan(bytes, lineFrom: start, into: &fields) {
            return (start..<end, shape)
        }
        guard let newline = newline(in: bytes, from: start) else { return nil }
        return (start..<newline, .invalid)
    }

    /// The index of the first `\n` at or after `start`.
    @inline(never)
    private static func newline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, start < bytes.count, let base = bytes.baseAddress else { return nil }
        // In range: `memchr` reads `start ..< bytes.count` only.
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return start + UnsafeRawPointer(base + start).distance(to: UnsafeRawPointer(found))
    }

    /// The checks of docs/RECORDING.md, "Opening a recording", in order: valid JSON, an object, a numeric `t`, a
    /// `kind`, a known `conn`, a known kind, a plausible `t`. A line to index gives its kind
    /// and time as written; any other is counted here, as damaged or ignored. (The answer is
    /// kept trivial, no `LineDamage` with its strings, so that the usual line costs nothing.)
    @inline(__always)
    mutating func classify(
        _ shape: LineScanner.Shape, _ fields: LineScanner.RawFields,
        _ bytes: UnsafeBufferPointer<UInt8>, _ connections: ConnectionLookup, line: Int
    ) -> (LineKind, Double)? {
        switch shape {
        case .invalid: return damaged(.invalidJSON, line)
        case .notAnObject: return damaged(.notAnObject, line)
        case .object: break
        }
        guard let t = fields.t else { return damaged(.missingTime, line) }
        let kind = Self.kindLookup(bytes, fields)
        if case .missing = kind { return damaged(.missingKind, line) }
        if let id = Self.unknownConnection(bytes, fields, connections) {
            return damaged(.unknownConnection(id), line)
        }
        guard case .known(let known) = kind else {
            ignoredCount += 1
            return nil
        }
        if t.magnitude > Self.maxPlausibleTime { return damaged(.implausibleTime(t), line) }
        return (known, t)
    }

    @inline(never)
    private mutating func damaged(_ damage: LineDamage, _ line: Int) -> (LineKind, Double)? {
        recordDamage(damage, line: line)
        return nil
    }

    /// What a line's `kind` value is.
    private enum KindLookup {
        /// Missing, not a string, or a string that does not decode.
        case missing
        case unknown
        case known(LineKind)
    }

    /// The line's kind; the usual string without escapes is compared in place.
    @inline(__always)
    private static func kindLookup(
        _ bytes: UnsafeBufferPointer<UInt8>, _ fields: LineScanner.RawFields
    ) -> KindLookup {
        guard let value = fields.kind else { return .missing }
        if let content = plainContent(bytes, value, hasEscapes: fields.kindHasEscapes) {
            return LineKind.named(bytes, content).map(KindLookup.known) ?? .unknown
        }
        return decodedKind(bytes, value)
    }

    /// The contents of a scanned value that is a string without escapes (the scanner said
    /// which), between its quotes; `nil` for any other value.
    @inline(__always)
    private static func plainContent(
        _ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>, hasEscapes: Bool
    ) -> Range<Int>? {
        guard !hasEscapes, value.count >= 2, value.lowerBound >= 0, value.upperBound <= bytes.count,
            bytes[value.lowerBound] == UInt8(ascii: "\"")  // in range: guarded just before
        else { return nil }
        return (value.lowerBound + 1)..<(value.upperBound - 1)
    }

    /// Not a string, or a string with escapes (rare): decoded as the full parser does.
    @inline(never)
    private static func decodedKind(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>)
        -> KindLookup
    {
        guard let text = LineScanner.string(bytes, value) else { return .missing }
        return LineKind(rawValue: text).map(KindLookup.known) ?? .unknown
    }

    /// The id of a `conn` value that does not name a header connection, or `nil` when it is
    /// absent, `null` or known. A value that is not a string counts as the id `""`.
    @inline(__always)
    private static func unknownConnection(
        _ bytes: UnsafeBufferPointer<UInt8>, _ fields: LineScanner.RawFields,
        _ connections: ConnectionLookup
    ) -> String? {
        guard let value = fields.conn else { return nil }
        if let content = plainContent(bytes, value, hasEscapes: fields.connHasEscapes),
            connections.position(bytes, content) != nil
        {
            return nil  // the usual case: a known connection
        }
        return unknownConnectionSlowly(bytes, value, connections)
    }

    @inline(never)
    private static func unknownConnectionSlowly(
        _ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>, _ connections: ConnectionLookup
    ) -> String? {
        if LineScanner.isNull(bytes, value) { return nil }
        let id = LineScanner.string(bytes, value) ?? ""
        if connections.position(of: id) != nil { return nil }
        // A tapped connection of a known link (`c1.3`; docs/RECORDING.md, "Tap events").
        if let link = TapEvent.tapLink(of: ConnectionID(id)),
            connections.position(of: link.rawValue) != nil
        {
            return nil
        }
        return id
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
}

/// The decoders and running state of one opening scan.
private struct OpeningScan {
    let decoder: RecordingDecoder
    let lineDecoder: EventLineDecoder
    var synthetic: SyntheticKeyframes
    /// The (clamped) time of the last indexed line.
    var previousT = -Double.infinity

    init(header: RecordingHeader) {
        decoder = RecordingDecoder(header: header)
        lineDecoder = EventLineDecoder(header: header)
        synthetic = SyntheticKeyframes(state: header.initialState)
    }

    /// Adds the line `bytes[range]` of kind `kind` and time `lineT` to `index`: its entry, a
    /// keyframe for a snap, its mark or end, and (before the first snap) the synthetic state.
    @inline(__always)
    mutating func index(
        _ kind: SeekIndex.LineKind, t lineT: Double, _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>, into index: inout SeekIndex
    ) {
        // Time never decreases (docs/RECORDING.md, "Opening a recording").
        var t = lineT
        if t < previousT {
            t = previousT
            index.decreasingTimeCount += 1
        }
        let entryKind: SeekIndex.EntryKind
        if kind == .snap {
            entryKind = .snap
            index.snapCount += 1
            index.keyframes.append(
                SeekIndex.Keyframe(
                    t: t, nextEntry: index.entries.count + 1, source: .snap(index.entries.count)))
        } else {
            entryKind = .event
            if kind == .mark || kind == .end || index.snapCount == 0 {
                apply(bytes, range, t: t, to: &index)
            }
        }
        previousT = t
        index.entries.append(
            SeekIndex.Entry(
                offset: range.lowerBound, length: Int32(clamping: range.count), kind: entryKind,
                t: t))
        index.lastT = t
    }

    /// Decodes an event line for its mark, its end, or the synthetic keyframes.
    private mutating func apply(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, t: Double,
        to index: inout SeekIndex
    ) {
        guard
            var event = lineDecoder.decode(bytes, range, t: t)
                ?? SeekIndex.fullDecode(decoder, bytes, range)
        else { return }
        event.t = t
        if case .mark(let label) = event.kind { index.marks.append(.init(t: t, label: label)) }
        if case .end = event.kind { index.hasEnd = true }
        if index.snapCount == 0 {
            if let keyframe = synthetic.keyframeBefore(
                event, nextEntry: index.entries.count, previousT: previousT)
            {
                index.keyframes.append(keyframe)
            }
            synthetic.state.apply(event)
        }
    }
}

/// The running state of a scan that has seen no `snap` yet.
private struct SyntheticKeyframes {
    var state: MonitorState
    var lastKeyframeT: Double?

    /// A keyframe to store before applying `event`, when 30 s have passed since the last.
    mutating func keyframeBefore(_ event: MonitorEvent, nextEntry: Int, previousT: Double)
        -> SeekIndex.Keyframe?
    {
        guard let last = lastKeyframeT else {
            lastKeyframeT = event.t
            return nil
        }
        guard event.t >= last + SeekIndex.syntheticKeyframeEvery, nextEntry > 0 else {
            return nil
        }
        lastKeyframeT = event.t
        return SeekIndex.Keyframe(t: previousT, nextEntry: nextEntry, source: .state(state))
    }
}
