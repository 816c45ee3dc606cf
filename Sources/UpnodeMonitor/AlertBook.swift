import DnodeProtocol

/// An alert firing or resolving: the payload of an `alert` event (docs/RECORDING.md, "Events").
///
/// The rule travels as text, like reasons do, so that a newer writer's rule still shows.
public struct AlertChange: Hashable, Sendable {
    /// Whether the alert started or stopped.
    public enum State: String, Sendable, CaseIterable {
        case firing, resolved
    }

    /// The rule's name (`down`, `p95`, `loss`, `queue`, `flap`; see `AlertRuleKind`).
    public var rule: String
    public var state: State
    /// The measurement, in the rule's unit: when firing, the value that broke the limit; when
    /// resolved, the value at that moment (for `down`, how long the link was down).
    public var value: Double
    /// The rule's limit, in the same unit.
    public var threshold: Double
    /// Seconds from the moment the condition began to the event: how long it had held when the
    /// alert fired, how long it lasted when resolved.
    public var forSeconds: Double

    /// A change of the alert `rule` on the event's link.
    public init(
        rule: String, state: State, value: Double, threshold: Double, forSeconds: Double
    ) {
        self.rule = rule
        self.state = state
        self.value = value
        self.threshold = threshold
        self.forSeconds = forSeconds
    }

    /// The rule as a known kind; `nil` for a rule this version does not know.
    public var kind: AlertRuleKind? { AlertRuleKind(rawValue: rule) }
}

/// The alerts of a session as the events said: those firing now and the recently resolved.
///
/// Part of `MonitorState`, so keyframes carry it and a replay shows the alerts the recording
/// had at any position, without evaluating rules again. Bounded: at most `maxFiring` firing
/// (one per link and rule) and `resolvedCapacity` resolved entries.
public struct AlertBook: Equatable, Sendable {
    /// Resolved alerts kept for the alert list.
    public static let resolvedCapacity = 50
    /// Firing alerts kept (only a hostile file gets near it: one per link and rule).
    public static let maxFiring = 4096

    /// One alert of one link.
    public struct Entry: Hashable, Sendable {
        public var conn: ConnectionID
        /// The rule's name.
        public var rule: String
        /// The value when it fired (or, once resolved, when it resolved).
        public var value: Double
        public var threshold: Double
        /// When the condition began, on the session time axis.
        public var since: Double
        /// When the alert fired.
        public var firedT: Double
        /// When it resolved; `nil` while firing.
        public var resolvedT: Double?

        /// An entry; `resolvedT` is `nil` for a firing alert.
        public init(
            conn: ConnectionID, rule: String, value: Double, threshold: Double, since: Double,
            firedT: Double, resolvedT: Double? = nil
        ) {
            self.conn = conn
            self.rule = rule
            self.value = value
            self.threshold = threshold
            self.since = since
            self.firedT = firedT
            self.resolvedT = resolvedT
        }

        /// The rule as a known kind.
        public var kind: AlertRuleKind? { AlertRuleKind(rawValue: rule) }
    }

    /// Alerts firing now, in the order they fired.
    public internal(set) var firing: [Entry] = []
    /// Recently resolved alerts, oldest first.
    public internal(set) var resolved = RingBuffer<Entry>(capacity: resolvedCapacity)

    /// No alerts.
    public init() {}

    /// Whether nothing fired or resolved.
    public var isEmpty: Bool { firing.isEmpty && resolved.count == 0 }

    /// Applies an `alert` event of link `conn` at `t`.
    mutating func apply(_ change: AlertChange, conn: ConnectionID, t: Double) {
        let rule = MonitorText.bounded(change.rule)
        let index = firing.firstIndex { $0.conn == conn && $0.rule == rule }
        switch change.state {
        case .firing:
            let entry = Entry(
                conn: conn, rule: rule, value: change.value, threshold: change.threshold,
                since: t - change.forSeconds, firedT: t)
            if let index {
                firing[index] = entry
            } else if firing.count < Self.maxFiring {
                firing.append(entry)
            }
        case .resolved:
            var entry =
                index.map { firing.remove(at: $0) }
                ?? Entry(
                    conn: conn, rule: rule, value: change.value, threshold: change.threshold,
                    since: t - change.forSeconds, firedT: t)
            entry.value = change.value
            entry.resolvedT = t
            resolved.append(entry)
        }
    }

    /// Ends the firing alerts of a link that left the session at `t`: they move to the
    /// resolved list, so the header stops showing them and the list keeps their history.
    mutating func resolveDeparted(_ conn: ConnectionID, t: Double) {
        for var entry in firing where entry.conn == conn {
            entry.resolvedT = t
            resolved.append(entry)
        }
        firing.removeAll { $0.conn == conn }
    }

    /// The same alerts on a time axis moved by `offset` seconds.
    func shifted(by offset: Double) -> AlertBook {
        func moved(_ entry: Entry) -> Entry {
            var copy = entry
            copy.since += offset
            copy.firedT += offset
            copy.resolvedT = entry.resolvedT.map { $0 + offset }
            return copy
        }
        var copy = self
        copy.firing = firing.map(moved)
        copy.resolved = RingBuffer(capacity: resolved.capacity, elements: resolved.map(moved))
        return copy
    }
}

// MARK: - Keyframes

extension AlertBook {
    /// The snapshot form (docs/RECORDING.md, "Keyframes"): `{"firing":[…],"resolved":[…]}`.
    func toJSON() -> JSONValue {
        func json(_ entry: Entry) -> JSONValue {
            .makeObject([
                ("conn", .string(entry.conn.rawValue)), ("rule", .string(entry.rule)),
                ("value", .time(entry.value)), ("threshold", .time(entry.threshold)),
                ("since", .time(entry.since)), ("fired_t", .time(entry.firedT)),
                ("resolved_t", .optionalTime(entry.resolvedT)),
            ])
        }
        return .makeObject([
            ("firing", .array(firing.map(json))), ("resolved", .array(resolved.map(json))),
        ])
    }

    /// Decodes the snapshot form; entries of links not in `known` are left out.
    init(json: JSONValue, known: (ConnectionID) -> Bool) throws(SnapDecodingError) {
        self.init()
        guard json.objectValue != nil else {
            throw SnapDecodingError(path: "alerts", expected: "an object")
        }
        func entries(_ key: String, resolved: Bool) throws(SnapDecodingError) -> [Entry] {
            var list: [Entry] = []
            for (position, item) in (json[key]?.arrayValue ?? []).enumerated() {
                guard let conn = item.string("conn"), let rule = item.string("rule"),
                    let value = item.number("value"), let threshold = item.number("threshold"),
                    let since = item.number("since"), let firedT = item.number("fired_t"),
                    !resolved || item.number("resolved_t") != nil
                else {
                    throw SnapDecodingError(
                        path: "alerts.\(key)[\(position)]",
                        expected: "conn, rule, value, threshold, since, fired_t"
                            + (resolved ? ", resolved_t" : ""))
                }
                let id = ConnectionID(conn)
                guard known(id) else { continue }
                list.append(
                    Entry(
                        conn: id, rule: MonitorText.bounded(rule), value: value,
                        threshold: threshold, since: since, firedT: firedT,
                        resolvedT: resolved ? item.number("resolved_t") : nil))
            }
            return list
        }
        var seen: Set<[String]> = []
        for entry in try entries("firing", resolved: false) where firing.count < Self.maxFiring {
            // One entry per link and rule, as `apply` keeps it (the first wins).
            if seen.insert([entry.conn.rawValue, entry.rule]).inserted { firing.append(entry) }
        }
        for entry in try entries("resolved", resolved: true).suffix(Self.resolvedCapacity) {
            resolved.append(entry)
        }
    }
}
