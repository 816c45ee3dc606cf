import DnodeProtocol

/// A snapshot that could not be decoded.
public struct SnapDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the snapshot, e.g. `connections.c1.history[3]`.
    public let path: String
    /// What should have been there.
    public let expected: String
    /// `snap: PATH: expected WHAT`.
    public var description: String { "snap: \(path): expected \(expected)" }
}

extension MonitorState {
    /// The `snap` payload (docs/RECORDING.md, "Keyframes"): a JSON form that decodes back to an equal state.
    ///
    /// Fields beyond the documented outline (`connects`, `first_attempt_t`, `up_s`,
    /// `ping_count`, …) are optional additions allowed by format version 1.
    /// Log entries are `[t, conn, kind, fields, level?]` with the entry's fields as an object
    /// (format version 2); entries read from version 1 keep their text: `[t, conn, kind, text]`.
    public func toJSON() -> JSONValue {
        let links = connections.map { stats in (stats.id.rawValue, Self.json(of: stats)) }
        let logEntries = log.elements.map { entry -> JSONValue in
            var items: [JSONValue] = [
                .time(entry.t), entry.conn.map { .string($0.rawValue) } ?? .null,
                .string(entry.kind), Self.json(of: entry.event),
            ]
            if entry.level != .info { items.append(.string(entry.level.rawValue)) }
            return .array(items)
        }
        var members: [(String, JSONValue)] = [
            ("connections", .makeObject(links)), ("log", .array(logEntries)),
        ]
        if !departed.isEmpty {
            members.append(("left", .array(departed.map { .string($0.rawValue) })))
        }
        // Only when there are alerts: a snap without them reads the same in older upmon.
        if !alerts.isEmpty { members.append(("alerts", alerts.toJSON())) }
        return .makeObject(members)
    }

    /// The ids of a snapshot's `left` member (links that left the session).
    static func departedIDs(_ value: JSONValue) -> [ConnectionID] {
        (value.arrayValue ?? []).compactMap { $0.stringValue.map { ConnectionID($0) } }
    }

    /// Whether a link missing from a snapshot is part of it anyway, `idle`: a header link
    /// that has not left (older snapshots may omit links). A link that joins later is absent
    /// until its `link_added`.
    static func startsIdle(_ id: ConnectionID, isHeaderLink: Bool, departed: [ConnectionID])
        -> Bool
    {
        isHeaderLink && !departed.contains(id)
    }

    /// The fields of a log entry; the text itself for a version 1 entry.
    private static func json(of event: LogEntry.Event) -> JSONValue {
        switch event {
        case .transition(let from, let to, let reason, let detail):
            var members: [(String, JSONValue)] = [
                ("from", .string(from.rawValue)), ("to", .string(to.rawValue)),
                ("reason", .string(reason)),
            ]
            if let detail { members.append(("detail", .string(detail))) }
            return .makeObject(members)
        case .pingTimeout(let afterMs, let consecutive):
            return .makeObject([
                ("after_ms", .time(afterMs)), ("consecutive", .int(Int64(consecutive))),
            ])
        case .reconnect(let attempt, let delayMs):
            return .makeObject([("attempt", .int(Int64(attempt))), ("delay_ms", .time(delayMs))])
        case .queueExpired(let count):
            return .makeObject([("expired", .int(Int64(count)))])
        case .call(let method, let origin):
            return .makeObject([("method", .string(method)), ("origin", .string(origin.rawValue))])
        case .result(let method, let n, let ok, let durMs, let errorCode):
            var members: [(String, JSONValue)] = [
                ("method", .string(method)), ("n", .int(Int64(n))), ("ok", .bool(ok)),
                ("dur_ms", .time(durMs)),
            ]
            if let errorCode { members.append(("error", .string(errorCode))) }
            return .makeObject(members)
        case .remoteMethods(let count):
            return .makeObject([("count", .int(Int64(count)))])
        case .mark(let label):
            return .makeObject([("label", .string(label))])
        case .note(let text):
            return .makeObject([("text", .string(text))])
        case .end(let reason):
            return .makeObject([("reason", .string(reason.rawValue))])
        case .legacy(_, let text):
            return .string(text)
        case .linkAdded(let name, let endpoint):
            return .makeObject([("name", .string(name)), ("endpoint", .string(endpoint))])
        case .linkRemoved(let name, let reason):
            return .makeObject([("name", .string(name)), ("reason", .string(reason))])
        case .alert(let rule, let state, let value, let threshold):
            return .makeObject([
                ("rule", .string(rule)), ("state", .string(state.rawValue)),
                ("value", .time(value)), ("threshold", .time(threshold)),
            ])
        }
    }

    /// Decodes a `snap` payload. Links of `connections` missing from the snapshot start `idle`
    /// unless its `left` names them; links of `joined` (they join after the header) are part of
    /// the state only when the snapshot has them; other links in the snapshot are ignored.
    public init(
        json: JSONValue, connections infos: [ConnectionInfo], joined: [ConnectionInfo] = []
    ) throws(SnapDecodingError) {
        guard let links = json["connections"]?.objectValue else {
            throw SnapDecodingError(path: "connections", expected: "an object")
        }
        let departed = Self.departedIDs(json["left"] ?? .null)
        var stats: [ConnectionStats] = []
        var older: Set<ConnectionID> = []
        for (position, info) in (infos + joined).enumerated() {
            if let link = links[info.id.rawValue] {
                stats.append(try Self.decodeStats(link, info: info, path: "connections.\(info.id)"))
                if Self.predatesReasons(link) { older.insert(info.id) }
            } else if Self.startsIdle(
                info.id, isHeaderLink: position < infos.count, departed: departed)
            {
                stats.append(ConnectionStats(info: info))
            }
        }
        let log = try Self.decodeLog(json["log"]?.arrayValue ?? [])
        Self.fillDownReasons(&stats, from: log, of: older)
        Self.placeTapRows(
            try Self.decodeTapRows(links, known: Set((infos + joined).map(\.id))), into: &stats)
        let alerts = try Self.decodeAlerts(json["alerts"], connections: infos)
        self.init(stats: stats, log: log, departed: departed, alerts: alerts)
    }

    /// The `alerts` member of a snapshot (absent: none); alerts of unlisted links are left out.
    static func decodeAlerts(_ json: JSONValue?, connections infos: [ConnectionInfo])
        throws(SnapDecodingError) -> AlertBook
    {
        guard let json, !json.isNull else { return AlertBook() }
        let known = Set(infos.map(\.id))
        return try AlertBook(json: json, known: { known.contains($0) })
    }

    /// Whether a snapshot's link was written before `updown_since` and `down_reason` existed.
    static func predatesReasons<Link: SnapFields>(_ link: Link) -> Bool {
        link.finite("updown_since") == nil && link.text("down_reason") == nil
    }

    /// Links of a snapshot written before `down_reason` existed (`older`): the cause is the
    /// newest logged transition to `down` or `closed` since the link was last up, when the
    /// log still has it.
    static func fillDownReasons(
        _ stats: inout [ConnectionStats], from log: [LogEntry], of older: Set<ConnectionID>
    ) {
        guard !older.isEmpty else { return }
        var newest: [ConnectionID: (String, String?)] = [:]
        for entry in log {
            guard let conn = entry.conn, older.contains(conn),
                case .transition(_, let to, let reason, let detail) = entry.event
            else { continue }
            if to == .up { newest[conn] = nil }
            if to == .down || to == .closed { newest[conn] = (reason, detail) }
        }
        for index in stats.indices where older.contains(stats[index].id) {
            guard stats[index].state != .up, stats[index].state != .idle,
                let (reason, detail) = newest[stats[index].id]
            else { continue }
            stats[index].downReason = reason
            stats[index].downDetail = detail
        }
    }

    /// The event log of a snapshot: `[t, conn, kind, fields]` entries (version 2) or
    /// `[t, conn, kind, text]` ones (version 1, kept as `LogEntry.Event.legacy`).
    static func decodeLog(_ items: [JSONValue]) throws(SnapDecodingError) -> [LogEntry] {
        var entries: [LogEntry] = []
        for (position, item) in items.enumerated() {
            let path = "log[\(position)]"
            guard let parts = item.arrayValue, parts.count >= 4, let t = parts[0].doubleValue,
                let kind = parts[2].stringValue
            else { throw SnapDecodingError(path: path, expected: "[t, conn, kind, fields]") }
            let event: LogEntry.Event
            if let text = parts[3].stringValue {
                event = .legacy(kind: kind, text: text)
            } else if let decoded = logEvent(kind: kind, fields: parts[3]) {
                event = decoded
            } else {
                throw SnapDecodingError(path: path, expected: "the fields of a '\(kind)' entry")
            }
            let level =
                parts.count > 4 ? parts[4].stringValue.flatMap(NoteLevel.init) ?? .info : .info
            entries.append(
                LogEntry(
                    t: t, conn: parts[1].stringValue.map { ConnectionID($0) }, level: level,
                    event: event))
        }
        return entries
    }

    /// A version 2 log entry's fields, or `nil` when they do not fit its kind.
    private static func logEvent(kind: String, fields: JSONValue) -> LogEntry.Event? {
        guard fields.objectValue != nil else { return nil }
        switch kind {
        case "state":
            guard let from = fields.string("from").flatMap(LinkStateName.init),
                let to = fields.string("to").flatMap(LinkStateName.init),
                let reason = fields.string("reason")
            else { return nil }
            return .transition(
                from: from, to: to, reason: MonitorText.bounded(reason),
                detail: fields.string("detail").map(MonitorText.bounded))
        case "ping_timeout":
            guard let afterMs = fields.number("after_ms"),
                let consecutive = fields.integer("consecutive")
            else { return nil }
            return .pingTimeout(afterMs: afterMs, consecutive: consecutive)
        case "reconnect":
            guard let attempt = fields.integer("attempt"), let delayMs = fields.number("delay_ms")
            else { return nil }
            return .reconnect(attempt: attempt, delayMs: delayMs)
        case "queue":
            return fields.integer("expired").map { .queueExpired(count: $0) }
        case "call":
            guard let method = fields.string("method"),
                let origin = fields.string("origin").flatMap(MonitorEvent.CallOrigin.init)
            else { return nil }
            return .call(method: MonitorText.bounded(method), origin: origin)
        case "result":
            guard let method = fields.string("method"), let n = fields.integer("n"),
                let ok = fields.boolean("ok"), let durMs = fields.number("dur_ms")
            else { return nil }
            return .result(
                method: MonitorText.bounded(method), n: n, ok: ok, durMs: durMs,
                errorCode: fields.string("error").map(MonitorText.bounded))
        case "remote_methods":
            return fields.integer("count").map { .remoteMethods(count: $0) }
        case "mark":
            return fields.string("label").map { .mark(label: $0) }
        case "note":
            return fields.string("text").map { .note(text: $0) }
        case "end":
            return fields.string("reason").flatMap(MonitorEvent.EndReason.init).map {
                .end(reason: $0)
            }
        case "link_added":
            guard let name = fields.string("name") else { return nil }
            return .linkAdded(
                name: MonitorText.bounded(name),
                endpoint: MonitorText.bounded(fields.string("endpoint") ?? ""))
        case "link_removed":
            guard let name = fields.string("name") else { return nil }
            return .linkRemoved(
                name: MonitorText.bounded(name),
                reason: MonitorText.bounded(fields.string("reason") ?? ""))
        case "alert":
            guard let rule = fields.string("rule"),
                let state = fields.string("state").flatMap(AlertChange.State.init),
                let value = fields.number("value"), let threshold = fields.number("threshold")
            else { return nil }
            return .alert(
                rule: MonitorText.bounded(rule), state: state, value: value, threshold: threshold)
        default:
            return nil
        }
    }

    private static func json(of stats: ConnectionStats) -> JSONValue {
        let queue = stats.queue
        let calls = stats.calls
        var members: [(String, JSONValue)] = [
            ("state", .string(stats.state.rawValue)),
            ("since", .time(stats.since)),
            ("phase", stats.phase.map { .string($0.rawValue) } ?? .null),
            ("held", .bool(stats.isHeld)),
            (
                "history",
                .array(stats.history.map { .array([.time($0.t), .string($0.state.rawValue)]) })
            ),
            ("rtt", .array(stats.rtt.map { .array([.time($0.t), .optionalTime($0.rttMs)]) })),
            ("attempt", .int(Int64(stats.attempt))),
            ("reconnects", .int(Int64(stats.reconnects))),
            ("next_retry_t", .optionalTime(stats.nextRetryT)),
            (
                "queue",
                .makeObject([
                    ("depth", .int(Int64(queue.depth))), ("oldest_t", .optionalTime(queue.oldestT)),
                    ("enqueued", .int(Int64(queue.enqueued))),
                    ("flushed", .int(Int64(queue.flushed))),
                    ("expired", .int(Int64(queue.expired))), ("failed", .int(Int64(queue.failed))),
                ])
            ),
            (
                "calls",
                .makeObject([
                    ("ok", .int(Int64(calls.ok))), ("err", .int(Int64(calls.err))),
                    ("timeouts", .int(Int64(calls.timeouts))),
                    ("last_ms", .optionalTime(calls.lastDurationMs)),
                ])
            ),
            ("methods", .array(stats.methods.map { .string($0) })),
            ("connects", .int(Int64(stats.connects))),
            ("disconnects", .int(Int64(stats.disconnects))),
            ("first_attempt_t", .optionalTime(stats.firstAttemptT)),
            ("up_s", .time(stats.upSeconds)),
            ("ping_count", .int(Int64(stats.pingCount))),
            ("ping_sum_ms", .time(stats.pingSumMs)),
            ("ping_timeouts", .int(Int64(stats.pingTimeouts))),
            ("down_reason", stats.downReason.map(JSONValue.string) ?? .null),
            ("down_detail", stats.downDetail.map(JSONValue.string) ?? .null),
            ("updown_since", .time(stats.updownSince)),
            ("failures", .int(Int64(stats.failures))),
            (
                "pending",
                .array(stats.pendingCalls.map { .array([.string($0.id), .string($0.method)]) })
            ),
        ]
        // A tapped row (docs/RECORDING.md, "Keyframes"): older readers ignore the row.
        if let tap = stats.tap { members.append(("tap", tap.toJSON(name: stats.info.name))) }
        return .makeObject(members)
    }

    /// One link of a snapshot, read through `SnapFields` so that the byte-level reader of
    /// `SnapLineDecoder` and `JSONValue` share this code.
    static func decodeStats<Link: SnapFields>(
        _ link: Link, info: ConnectionInfo, path: String
    ) throws(SnapDecodingError) -> ConnectionStats {
        var stats = ConnectionStats(info: info)
        guard let state = link.text("state").flatMap(LinkStateName.init) else {
            throw SnapDecodingError(path: path + ".state", expected: "a link state name")
        }
        stats.state = state
        stats.since = link.finite("since") ?? 0
        stats.phase = link.text("phase").flatMap(ConnectPhaseName.init)
        stats.isHeld = link.flag("held") ?? false
        try link.forEachStateChange(path: path) { stats.history.append($0) }
        try link.forEachRTTSample(path: path) { stats.rtt.append($0) }
        stats.attempt = link.whole("attempt") ?? 0
        stats.reconnects = link.whole("reconnects") ?? 0
        stats.nextRetryT = link.finite("next_retry_t")
        if let queue = try link.object("queue") {
            stats.queue.depth = queue.whole("depth") ?? 0
            stats.queue.oldestT = queue.finite("oldest_t")
            stats.queue.enqueued = queue.whole("enqueued") ?? 0
            stats.queue.flushed = queue.whole("flushed") ?? 0
            stats.queue.expired = queue.whole("expired") ?? 0
            stats.queue.failed = queue.whole("failed") ?? 0
        }
        if let calls = try link.object("calls") {
            stats.calls.ok = calls.whole("ok") ?? 0
            stats.calls.err = calls.whole("err") ?? 0
            stats.calls.timeouts = calls.whole("timeouts") ?? 0
            stats.calls.lastDurationMs = calls.finite("last_ms")
        }
        stats.methods = (link.list("methods") ?? []).compactMap(\.stringValue)
            .prefix(ConnectionStats.maxMethods).map(MonitorText.bounded)
        stats.connects = link.whole("connects") ?? (state == .up ? 1 : 0)
        stats.disconnects = link.whole("disconnects") ?? 0
        stats.firstAttemptT =
            link.finite("first_attempt_t")
            ?? (state == .idle ? nil : stats.history.first?.t ?? stats.since)
        stats.upSeconds = link.finite("up_s") ?? 0
        stats.pingCount = link.whole("ping_count") ?? 0
        stats.pingSumMs = link.finite("ping_sum_ms") ?? 0
        stats.pingTimeouts = link.whole("ping_timeouts") ?? 0
        // Optional additions; older snaps derive them (docs/RECORDING.md, "Keyframes").
        stats.downReason = link.text("down_reason").map { MonitorText.bounded($0) }
        stats.downDetail = link.text("down_detail").map { MonitorText.bounded($0) }
        stats.updownSince = link.finite("updown_since") ?? stats.derivedUpdownSince()
        stats.failures = link.whole("failures") ?? (state == .up ? 0 : stats.attempt)
        for item in (link.list("pending") ?? []).suffix(ConnectionStats.maxPendingCalls) {
            guard let pair = item.arrayValue, pair.count >= 2, let id = pair[0].stringValue,
                let method = pair[1].stringValue
            else { continue }
            stats.pendingCalls.append(.init(id: id, method: method))
        }
        return stats
    }
}

/// Member access to one object of a snapshot, as `JSONValue` gives it: the last of duplicate
/// keys wins, `number` is finite, `integer` accepts integral doubles.
protocol SnapFields {
    /// `JSONValue.string`.
    func text(_ key: StaticString) -> String?
    /// `JSONValue.number`: finite numbers only.
    func finite(_ key: StaticString) -> Double?
    /// `JSONValue.integer`.
    func whole(_ key: StaticString) -> Int?
    /// `JSONValue.boolean`.
    func flag(_ key: StaticString) -> Bool?
    /// The member as an object to read on (any present value; one that is not an object
    /// has no members).
    func object(_ key: StaticString) throws(SnapDecodingError) -> Self?
    /// The member as an array of values; `nil` when missing or not an array.
    func list(_ key: StaticString) -> [JSONValue]?
    /// Each entry of `history`, in order; a malformed entry throws.
    func forEachStateChange(
        path: String, _ body: (ConnectionStats.StateChange) -> Void
    ) throws(SnapDecodingError)
    /// Each entry of `rtt`, in order; a malformed entry throws.
    func forEachRTTSample(
        path: String, _ body: (ConnectionStats.RTTSample) -> Void
    ) throws(SnapDecodingError)
}

extension JSONValue: SnapFields {
    func text(_ key: StaticString) -> String? { string(key.description) }
    func finite(_ key: StaticString) -> Double? { number(key.description) }
    func whole(_ key: StaticString) -> Int? { integer(key.description) }
    func flag(_ key: StaticString) -> Bool? { boolean(key.description) }
    func object(_ key: StaticString) -> JSONValue? { self[key.description] }
    func list(_ key: StaticString) -> [JSONValue]? { self[key.description]?.arrayValue }

    func forEachStateChange(
        path: String, _ body: (ConnectionStats.StateChange) -> Void
    ) throws(SnapDecodingError) {
        for (position, item) in (self["history"]?.arrayValue ?? []).enumerated() {
            guard let pair = item.arrayValue, pair.count >= 2, let t = pair[0].doubleValue,
                let name = pair[1].stringValue.flatMap(LinkStateName.init)
            else {
                throw SnapDecodingError(
                    path: "\(path).history[\(position)]", expected: "[t, state]")
            }
            body(.init(t: t, state: name))
        }
    }

    func forEachRTTSample(
        path: String, _ body: (ConnectionStats.RTTSample) -> Void
    ) throws(SnapDecodingError) {
        for (position, item) in (self["rtt"]?.arrayValue ?? []).enumerated() {
            guard let pair = item.arrayValue, pair.count >= 2, let t = pair[0].doubleValue,
                pair[1].isNull || pair[1].doubleValue != nil
            else {
                throw SnapDecodingError(
                    path: "\(path).rtt[\(position)]", expected: "[t, ms or null]")
            }
            body(.init(t: t, rttMs: pair[1].doubleValue))
        }
    }
}
