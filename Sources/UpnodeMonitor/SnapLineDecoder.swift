import DnodeProtocol

/// Decodes `snap` lines straight from their bytes, for seeking.
///
/// A snap of 50 links is about 600 KB of JSON, mostly the `rtt` and `history` pairs; building a
/// `JSONValue` for it (an array per pair) takes several milliseconds. This reads the objects
/// in place, the pairs directly, and hands single values and the log to `JSONParser`. The
/// link fields go through the same `MonitorState.decodeStats` as the `JSONValue` path, via
/// `SnapFields`. It takes pure ASCII lines whose object keys have no escapes (what upmon
/// writes); for any other line, or anything unusual or wrong in it, it returns `nil` and the
/// caller decodes the line with `RecordingDecoder` and `MonitorState(json:connections:)`,
/// which decide. Where it returns a state, that is the state they would give.
struct SnapLineDecoder: Sendable {
    private let connections: ConnectionLookup
    private let infos: [ConnectionInfo]
    /// `infos` up to here are the header's; the rest join later.
    private let headerCount: Int
    /// Whether the header ids are distinct ASCII strings, so that byte comparison of keys is
    /// `String` comparison and each snapshot key names at most one link.
    private let usable: Bool

    init(header: RecordingHeader) {
        infos = header.allConnections
        headerCount = header.connections.count
        connections = ConnectionLookup(connections: infos)
        let ids = infos.map(\.id.rawValue)
        usable =
            Set(ids).count == ids.count && ids.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
    }

    /// Thrown inside to give up on a line.
    static let giveUp = SnapDecodingError(path: "", expected: "a line the byte reader handles")

    /// The state in the snap line `bytes[range]`, or `nil` to leave the line to the slow path.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> MonitorState? {
        guard usable, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        // In range: guarded just before.
        for position in range where bytes[position] >= 0x80 { return nil }
        return try? decodeLine(bytes, range)
    }

    private func decodeLine(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>)
        throws(SnapDecodingError) -> MonitorState
    {
        // The line, as `RecordingDecoder` checks it: a finite `t`, kind `snap`, a `conn` that
        // is absent, null or known, and an object `state`.
        let line = try ObjectBytes(bytes, range, capacity: 32)
        guard let t = line["t"], JSONNumber.finite(bytes, t) != nil, let kind = line["kind"],
            let kindText = ValueBytes.rawString(bytes, kind),
            JSONScanner.equals(bytes, kindText, "snap")
        else { throw Self.giveUp }
        if let conn = line["conn"], !LineScanner.isNull(bytes, conn) {
            guard let id = ValueBytes.rawString(bytes, conn), connections.position(bytes, id) != nil
            else { throw Self.giveUp }
        }
        guard let stateValue = line["state"], Self.isObject(bytes, stateValue) else {
            throw Self.giveUp
        }
        // The snapshot (`MonitorState(json:connections:)`).
        let state = try ObjectBytes(bytes, stateValue, capacity: 32)
        guard let linksValue = state["connections"], Self.isObject(bytes, linksValue) else {
            throw Self.giveUp
        }
        let links = try ObjectBytes(bytes, linksValue, capacity: 2 * infos.count + 16)
        var linkOf = [Int](repeating: -1, count: infos.count)
        for (index, member) in links.members.enumerated() {
            if let position = connections.position(bytes, member.key) {
                linkOf[position] = index
            } else if bytes[member.key].contains(UInt8(ascii: ".")) {
                // Possibly a tapped row (`c1.3`): `MonitorState(json:connections:)` reads those.
                throw Self.giveUp
            }
        }
        var departed: [ConnectionID] = []
        if let leftValue = state["left"] {
            guard let parsed = ValueBytes.json(bytes, leftValue, maxDepth: 2) else {
                throw Self.giveUp
            }
            departed = MonitorState.departedIDs(parsed)
        }
        var stats: [ConnectionStats] = []
        var older: Set<ConnectionID> = []
        stats.reserveCapacity(infos.count)
        for (position, info) in infos.enumerated() {
            guard linkOf[position] >= 0 else {
                if MonitorState.startsIdle(
                    info.id, isHeaderLink: position < headerCount, departed: departed)
                {
                    stats.append(ConnectionStats(info: info))
                }
                continue
            }
            let link = try ObjectBytes(bytes, links.members[linkOf[position]].value, capacity: 64)
            stats.append(
                try MonitorState.decodeStats(link, info: info, path: "connections.\(info.id)"))
            if MonitorState.predatesReasons(link) { older.insert(info.id) }
        }
        var log: [JSONValue] = []
        if let logValue = state["log"] {
            guard
                let parsed = ValueBytes.json(bytes, logValue, maxDepth: JSONParser.defaultMaxDepth)
            else { throw Self.giveUp }
            log = parsed.arrayValue ?? []
        }
        let entries = try MonitorState.decodeLog(log)
        MonitorState.fillDownReasons(&stats, from: entries, of: older)
        var alerts: JSONValue?
        if let alertsValue = state["alerts"] {
            guard
                let parsed = ValueBytes.json(
                    bytes, alertsValue, maxDepth: JSONParser.defaultMaxDepth - 2)
            else { throw Self.giveUp }
            alerts = parsed
        }
        return MonitorState(
            stats: stats, log: entries, departed: departed,
            alerts: try MonitorState.decodeAlerts(alerts, connections: infos))
    }

    /// Whether the value `bytes[value]` starts as an object.
    static func isObject(_ bytes: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        JSONScanner(bytes, range: value).peek(UInt8(ascii: "{"))
    }
}

/// One JSON object in a line's bytes, read as `JSONValue` reads objects: the last of
/// duplicate keys wins. Keys are compared as written, so objects with an escaped key are
/// refused (the line goes to the slow path).
struct ObjectBytes: SnapFields {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Members in order; empty for a value that is not an object.
    let members: [LineScanner.Member]

    /// The object `bytes[range]` (any value: one that is not an object has no members).
    init(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, capacity: Int)
        throws(SnapDecodingError)
    {
        self.bytes = bytes
        let scanner = JSONScanner(bytes, range: range)
        guard scanner.peek(UInt8(ascii: "{")) else {
            members = []
            return
        }
        let found: [LineScanner.Member]? = withUnsafeTemporaryAllocation(
            of: LineScanner.Member.self, capacity: capacity
        ) { storage in
            guard let count = LineScanner.members(bytes, range, into: storage) else { return nil }
            return Array(storage[..<count])
        }
        guard let found else { throw SnapLineDecoder.giveUp }
        for member in found {
            for position in member.key where scanner.byte(at: position) == UInt8(ascii: "\\") {
                throw SnapLineDecoder.giveUp
            }
        }
        members = found
    }

    subscript(key: StaticString) -> Range<Int>? {
        var index = members.count - 1
        while index >= 0 {
            if JSONScanner.equals(bytes, members[index].key, key) { return members[index].value }
            index -= 1
        }
        return nil
    }

    func text(_ key: StaticString) -> String? { self[key].flatMap { ValueBytes.string(bytes, $0) } }
    func finite(_ key: StaticString) -> Double? {
        self[key].flatMap { JSONNumber.finite(bytes, $0) }
    }
    func whole(_ key: StaticString) -> Int? { self[key].flatMap { ValueBytes.integer(bytes, $0) } }
    func flag(_ key: StaticString) -> Bool? { self[key].flatMap { ValueBytes.boolean(bytes, $0) } }

    func object(_ key: StaticString) throws(SnapDecodingError) -> ObjectBytes? {
        guard let value = self[key] else { return nil }
        return try ObjectBytes(bytes, value, capacity: 64)
    }

    func list(_ key: StaticString) -> [JSONValue]? {
        self[key].flatMap { ValueBytes.json(bytes, $0, maxDepth: JSONParser.defaultMaxDepth) }?
            .arrayValue
    }

    func forEachStateChange(
        path: String, _ body: (ConnectionStats.StateChange) -> Void
    ) throws(SnapDecodingError) {
        guard let value = self["history"] else { return }
        try forEachPair(value) {
            (first: JSONNumber, second: Range<Int>) throws(SnapDecodingError) in
            guard let t = finite(first),
                let name = ValueBytes.rawString(bytes, second).flatMap({
                    LinkStateName(
                        rawValue: String(
                            decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self))
                })
            else { throw SnapLineDecoder.giveUp }
            body(.init(t: t, state: name))
        }
    }

    func forEachRTTSample(
        path: String, _ body: (ConnectionStats.RTTSample) -> Void
    ) throws(SnapDecodingError) {
        guard let value = self["rtt"] else { return }
        try forEachPair(value) {
            (first: JSONNumber, second: Range<Int>) throws(SnapDecodingError) in
            guard let t = finite(first) else { throw SnapLineDecoder.giveUp }
            if LineScanner.isNull(bytes, second) {
                body(.init(t: t, rttMs: nil))
            } else if let rtt = JSONNumber.finite(bytes, second) {
                body(.init(t: t, rttMs: rtt))
            } else {
                throw SnapLineDecoder.giveUp
            }
        }
    }

    /// Calls `body` with the two items of each `[a,b]` in the array `value` (written without
    /// whitespace; `a` a number, `b` a number, `null` or a string without escapes). A value
    /// that is not an array has no pairs, as `arrayValue ?? []` has none; any other shape
    /// gives up.
    private func forEachPair(
        _ value: Range<Int>, _ body: (JSONNumber, Range<Int>) throws(SnapDecodingError) -> Void
    ) throws(SnapDecodingError) {
        var scanner = JSONScanner(bytes, range: value)
        guard scanner.peek(UInt8(ascii: "[")) else { return }
        scanner.position += 1
        if scanner.peek(UInt8(ascii: "]")) { return }
        while true {
            guard scanner.peek(UInt8(ascii: "[")) else { throw SnapLineDecoder.giveUp }
            scanner.position += 1
            guard let first = scanner.scanNumber(), scanner.peek(UInt8(ascii: ","))
            else { throw SnapLineDecoder.giveUp }
            scanner.position += 1
            let secondStart = scanner.position
            let read: Bool
            if scanner.peek(UInt8(ascii: "\"")) {
                read = scanner.skipString() && !scanner.stringHadEscapes
            } else if scanner.peek(UInt8(ascii: "n")) {
                read = scanner.skipLiteral("null")
            } else {
                read = scanner.skipNumber()
            }
            guard read, scanner.peek(UInt8(ascii: "]")) else { throw SnapLineDecoder.giveUp }
            let second = secondStart..<scanner.position
            scanner.position += 1
            try body(first, second)
            guard let next = scanner.current else { throw SnapLineDecoder.giveUp }
            scanner.position += 1
            if next == UInt8(ascii: "]") {
                guard scanner.isAtEnd else { throw SnapLineDecoder.giveUp }
                return
            }
            guard next == UInt8(ascii: ",") else { throw SnapLineDecoder.giveUp }
        }
    }

    /// The value of a number as `JSONValue.number` reads it: finite only.
    private func finite(_ number: JSONNumber) -> Double? {
        let value = number.double(in: bytes)
        return value.isFinite ? value : nil
    }
}
