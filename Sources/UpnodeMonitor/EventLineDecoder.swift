import DnodeProtocol

/// Decodes event lines straight from their bytes, for replay and seeking.
///
/// `RecordingDecoder` builds a `JSONValue` (an ordered dictionary and a string per member)
/// for every line; this reads the members in place and only parses the values an event keeps
/// as JSON (`args`, `value`/`error`, `methods`). It handles the lines upmon writes: pure ASCII
/// without backslash escapes. For anything else, or any line it cannot decode, it returns
/// `nil` and the caller uses `RecordingDecoder`. Where it returns an event, that event is the
/// one `RecordingDecoder` returns for the line (same JSON semantics: the last of duplicate
/// members wins, integers may be written `3.0`, unknown members are ignored), apart from `t`,
/// which the caller supplies from the `SeekIndex`.
struct EventLineDecoder: Sendable {
    let connections: ConnectionLookup

    /// Top-level members read per line; longer lines go to `RecordingDecoder`.
    static let maxMembers = 32

    init(header: RecordingHeader) {
        connections = ConnectionLookup(connections: header.allConnections)
    }

    /// The event on the line `bytes[range]` with time `t`, or `nil` when this decoder does not
    /// handle the line (a `snap`, an unknown kind, escapes, non-ASCII text, or damage).
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, t: Double)
        -> MonitorEvent?
    {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        for position in range {  // in range: guarded just before
            let byte = bytes[position]
            if byte >= 0x80 || byte == UInt8(ascii: "\\") { return nil }
        }
        let capacity = Self.maxMembers
        return withUnsafeTemporaryAllocation(of: LineScanner.Member.self, capacity: capacity) {
            storage in
            guard let count = LineScanner.members(bytes, range, into: storage) else { return nil }
            let line = Line(bytes: bytes, members: UnsafeBufferPointer(rebasing: storage[..<count]))
            return decode(line, t: t)
        }
    }

    private func decode(_ line: Line, t: Double) -> MonitorEvent? {
        guard let kindValue = line["kind"], let kind = line.rawString(kindValue) else { return nil }
        // `conn`: absent or null means none; otherwise it must name a header connection.
        var conn: ConnectionID?
        if let value = line["conn"], !LineScanner.isNull(line.bytes, value) {
            guard let text = line.rawString(value), let id = connection(line.bytes, text) else {
                return nil
            }
            conn = id
        }
        let eventKind: MonitorEvent.Kind
        switch SeekIndex.LineKind.named(line.bytes, kind) {
        case .ping?:
            guard let rtt = line.number("rtt_ms") else { return nil }
            eventKind = .ping(rttMs: rtt)
        case .call?:
            guard let origin = line.string("origin").flatMap(MonitorEvent.CallOrigin.init),
                let id = line.string("id"), let method = line.string("method")
            else { return nil }
            var args = JSONValue.null
            if let value = line["args"] {
                guard let parsed = line.json(value) else { return nil }
                args = parsed
            }
            eventKind = .call(
                id: id, method: method, origin: origin, args: args,
                redacted: line.boolean("redacted") ?? true)
        case .result?:
            guard let ok = line.boolean("ok"), let id = line.string("id"),
                let durMs = line.number("dur_ms")
            else { return nil }
            var payload = JSONValue.null
            if let value = line[ok ? "value" : "error"] {
                guard let parsed = line.json(value) else { return nil }
                payload = parsed
            }
            eventKind = .result(
                id: id, n: line.integer("n") ?? 1, ok: ok, durMs: durMs, payload: payload,
                redacted: line.boolean("redacted") ?? true)
        case .state?:
            guard let from = line.string("from").flatMap(LinkStateName.init),
                let to = line.string("to").flatMap(LinkStateName.init),
                let reason = line.string("reason")
            else { return nil }
            eventKind = .state(
                from: from, to: to, reason: reason, detail: line.string("detail"),
                phase: line.string("phase").flatMap(ConnectPhaseName.init))
        case .pingTimeout?:
            guard let afterMs = line.number("after_ms") else { return nil }
            eventKind = .pingTimeout(
                afterMs: afterMs, consecutive: line.integer("consecutive") ?? 1)
        case .reconnect?:
            guard let attempt = line.integer("attempt"), let delayMs = line.number("delay_ms")
            else {
                return nil
            }
            eventKind = .reconnect(attempt: attempt, delayMs: delayMs)
        case .queue?:
            guard let depth = line.integer("depth"), let enqueued = line.integer("enqueued"),
                let flushed = line.integer("flushed"), let expired = line.integer("expired")
            else { return nil }
            eventKind = .queue(
                depth: depth, oldestMs: line.number("oldest_ms") ?? 0, enqueued: enqueued,
                flushed: flushed, expired: expired, failed: line.integer("failed"))
        case .remoteMethods?:
            guard let value = line["methods"], let methods = line.json(value)?.arrayValue else {
                return nil
            }
            eventKind = .remoteMethods(methods.compactMap(\.stringValue))
        case .mark?:
            return MonitorEvent(t: t, conn: conn, kind: .mark(label: line.string("label") ?? ""))
        case .note?:
            guard let text = line.string("text") else { return nil }
            let level = line.string("level").flatMap(NoteLevel.init) ?? .info
            return MonitorEvent(t: t, conn: conn, kind: .note(level: level, text: text))
        case .end?:
            let reason = line.string("reason").flatMap(MonitorEvent.EndReason.init) ?? .error
            return MonitorEvent(
                t: t, conn: conn, kind: .end(reason: reason, lines: line.integer("lines") ?? 0))
        case .alert?:
            guard let state = line.string("state").flatMap(AlertChange.State.init),
                let rule = line.string("rule"), let value = line.number("value"),
                let threshold = line.number("threshold")
            else { return nil }
            eventKind = .alert(
                AlertChange(
                    rule: rule, state: state, value: value, threshold: threshold,
                    forSeconds: line.number("for_s") ?? 0))
        case .snap?, .linkAdded?, .linkRemoved?, nil:
            return nil  // `snap`, the rare membership lines and unknown kinds
        case .tapOpen?, .tapCall?, .tapResult?, .tapUnanswered?, .tapTraffic?:
            return nil  // tap events: `RecordingDecoder`
        }
        // Every other kind belongs to a connection.
        guard let conn else { return nil }
        return MonitorEvent(t: t, conn: conn, kind: eventKind)
    }

    /// The connection written `bytes[range]` (no escapes), as `RecordingDecoder` would make it.
    private func connection(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>)
        -> ConnectionID?
    {
        guard let position = connections.position(bytes, range) else { return nil }
        let id = connections.ids[position]
        // Usually the very bytes of the header id; otherwise keep the line's own spelling.
        if id.rawValue.utf8.count == range.count,
            id.rawValue.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[range]))
        {
            return id
        }
        return ConnectionID(
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
    }

    /// The members of one line, looked up by key as written (the last duplicate wins, as in
    /// `JSONValue`; the line has no escapes, so written keys are the keys).
    private struct Line {
        let bytes: UnsafeBufferPointer<UInt8>
        let members: UnsafeBufferPointer<LineScanner.Member>

        subscript(key: StaticString) -> Range<Int>? {
            var index = members.count - 1
            while index >= 0 {
                let member = members[index]
                if JSONScanner.equals(bytes, member.key, key) { return member.value }
                index -= 1
            }
            return nil
        }

        /// Whether the contents `range` of a string are `text`.
        func rawString(_ value: Range<Int>) -> Range<Int>? { ValueBytes.rawString(bytes, value) }

        func string(_ key: StaticString) -> String? {
            self[key].flatMap { ValueBytes.string(bytes, $0) }
        }

        func number(_ key: StaticString) -> Double? {
            self[key].flatMap { JSONNumber.finite(bytes, $0) }
        }

        func integer(_ key: StaticString) -> Int? {
            self[key].flatMap { ValueBytes.integer(bytes, $0) }
        }

        func boolean(_ key: StaticString) -> Bool? {
            self[key].flatMap { ValueBytes.boolean(bytes, $0) }
        }

        /// A member value parsed as JSON; one level less nesting is allowed than at the top,
        /// so the limit is the one the whole line is parsed with.
        func json(_ value: Range<Int>) -> JSONValue? {
            ValueBytes.json(bytes, value, maxDepth: JSONParser.defaultMaxDepth - 1)
        }
    }
}

/// Reading single values from a line that is pure ASCII without escapes in the strings read,
/// as `JSONValue` reads them.
enum ValueBytes {
    /// The contents of a string value, when it is one without escapes.
    @inline(__always)
    static func rawString(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Range<Int>? {
        JSONScanner.rawString(bytes, value)
    }

    /// `JSONValue.stringValue` (the line is ASCII; escapes go through `JSONParser`).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> String? {
        if let content = rawString(bytes, value) {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }
        guard value.lowerBound >= 0, value.upperBound <= bytes.count, !value.isEmpty,
            bytes[value.lowerBound] == UInt8(ascii: "\"")  // in range: guarded just before
        else { return nil }
        return json(bytes, value, maxDepth: 1)?.stringValue
    }

    /// `JSONValue.intValue`: an integer literal, or a number with an exact integer value.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Int? {
        JSONNumber.exactly(bytes, value)?.value(in: bytes).intValue
    }

    /// `JSONValue.boolean`.
    static func boolean(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool? {
        if JSONScanner.equals(bytes, value, "true") { return true }
        if JSONScanner.equals(bytes, value, "false") { return false }
        return nil
    }

    /// The value parsed by `JSONParser`.
    static func json(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>, maxDepth: Int)
        -> JSONValue?
    {
        guard value.lowerBound >= 0, value.upperBound <= bytes.count else { return nil }
        return try? JSONParser.parse(
            UnsafeBufferPointer(rebasing: bytes[value]), maxDepth: maxDepth)
    }
}
