import DnodeProtocol

/// One decoded line after the header.
public enum RecordingLine: Equatable, Sendable {
    case event(MonitorEvent)
    /// A keyframe; `state` is decoded with `MonitorState(json:connections:)` when needed.
    case snap(t: Double, state: JSONValue)
    /// A line of a kind this upmon does not know, probably from a newer writer.
    case ignored(t: Double, kind: String)

    /// The line's time.
    public var t: Double {
        switch self {
        case .event(let event): event.t
        case .snap(let t, _), .ignored(let t, _): t
        }
    }
}

/// Decodes event lines against a header's connection set (docs/RECORDING.md, "Events" and "Opening a recording").
///
/// Unknown fields are ignored. Unknown kinds decode as `.ignored`. Anything else that is
/// wrong with a line is a `LineDamage`.
public struct RecordingDecoder: Sendable {
    private let knownConnections: Set<ConnectionID>

    public init(header: RecordingHeader) {
        knownConnections = Set(header.allConnections.map(\.id))
    }

    /// Decodes one line (without its `\n`).
    public func decode(_ line: some Collection<UInt8>) throws(LineDamage) -> RecordingLine {
        guard let json = try? JSONValue(parsing: line) else { throw .invalidJSON }
        return try decode(json)
    }

    /// Decodes one already-parsed line.
    public func decode(_ json: JSONValue) throws(LineDamage) -> RecordingLine {
        guard json.objectValue != nil else { throw .notAnObject }
        guard let t = json.number("t") else { throw .missingTime }
        guard let kind = json.string("kind") else { throw .missingKind }
        var conn: ConnectionID?
        if let raw = json.nonNull("conn") {
            guard let id = raw.stringValue, isKnown(ConnectionID(id)) else {
                throw .unknownConnection(raw.stringValue ?? raw.jsonText)
            }
            conn = ConnectionID(id)
        }
        let fields = Fields(json: json, kind: kind)
        let eventKind: MonitorEvent.Kind
        switch kind {
        case "snap":
            guard let state = json["state"], state.objectValue != nil else {
                throw .badField(kind: kind, field: "state")
            }
            return .snap(t: t, state: state)
        case "state":
            let phase = json.string("phase").flatMap(ConnectPhaseName.init)
            eventKind = .state(
                from: try fields.linkState("from"), to: try fields.linkState("to"),
                reason: try fields.string("reason"), detail: json.string("detail"), phase: phase)
        case "ping":
            eventKind = .ping(rttMs: try fields.number("rtt_ms"))
        case "ping_timeout":
            eventKind = .pingTimeout(
                afterMs: try fields.number("after_ms"),
                consecutive: json.integer("consecutive") ?? 1)
        case "reconnect":
            eventKind = .reconnect(
                attempt: try fields.integer("attempt"), delayMs: try fields.number("delay_ms"))
        case "queue":
            eventKind = .queue(
                depth: try fields.integer("depth"), oldestMs: json.number("oldest_ms") ?? 0,
                enqueued: try fields.integer("enqueued"), flushed: try fields.integer("flushed"),
                expired: try fields.integer("expired"), failed: json.integer("failed"))
        case "call":
            guard let origin = json.string("origin").flatMap(MonitorEvent.CallOrigin.init) else {
                throw .badField(kind: kind, field: "origin")
            }
            eventKind = .call(
                id: try fields.string("id"), method: try fields.string("method"), origin: origin,
                args: json["args"] ?? .null, redacted: json.boolean("redacted") ?? true)
        case "result":
            guard let ok = json.boolean("ok") else { throw .badField(kind: kind, field: "ok") }
            eventKind = .result(
                id: try fields.string("id"), n: json.integer("n") ?? 1, ok: ok,
                durMs: try fields.number("dur_ms"),
                payload: json[ok ? "value" : "error"] ?? .null,
                redacted: json.boolean("redacted") ?? true)
        case "remote_methods":
            guard let methods = json["methods"]?.arrayValue else {
                throw .badField(kind: kind, field: "methods")
            }
            eventKind = .remoteMethods(methods.compactMap(\.stringValue))
        case "mark":
            eventKind = .mark(label: json.string("label") ?? "")
        case "note":
            eventKind = .note(
                level: json.string("level").flatMap(NoteLevel.init) ?? .info,
                text: try fields.string("text"))
        case "end":
            eventKind = .end(
                reason: json.string("reason").flatMap(MonitorEvent.EndReason.init) ?? .error,
                lines: json.integer("lines") ?? 0)
        case "link_added":
            eventKind = .linkAdded(
                name: try fields.string("name"), endpoint: json.string("endpoint") ?? "",
                options: ConnectionOptions(json: json["options"] ?? .null))
        case "link_removed":
            eventKind = .linkRemoved(reason: json.string("reason") ?? "")
        case "alert":
            guard let state = json.string("state").flatMap(AlertChange.State.init) else {
                throw .badField(kind: kind, field: "state")
            }
            eventKind = .alert(
                AlertChange(
                    rule: try fields.string("rule"), state: state,
                    value: try fields.number("value"), threshold: try fields.number("threshold"),
                    forSeconds: json.number("for_s") ?? 0))
        case _ where TapEvent.kindNames.contains(kind):
            switch TapEvent.decode(kind: kind, json: json) {
            case .success(let tapEvent): eventKind = .tap(tapEvent)
            case .failure(let bad): throw .badField(kind: kind, field: bad.field)
            }
        default:
            return .ignored(t: t, kind: kind)
        }
        if Self.needsConnection(eventKind) && conn == nil {
            throw .badField(kind: kind, field: "conn")
        }
        return .event(MonitorEvent(t: t, conn: conn, kind: eventKind))
    }

    /// A header link, or a tapped connection of one (`c1.3`; docs/RECORDING.md, "Tap events").
    private func isKnown(_ id: ConnectionID) -> Bool {
        if knownConnections.contains(id) { return true }
        guard let tapLink = TapEvent.tapLink(of: id) else { return false }
        return knownConnections.contains(tapLink)
    }

    private static func needsConnection(_ kind: MonitorEvent.Kind) -> Bool {
        switch kind {
        case .mark, .note, .end: false
        default: true
        }
    }

    /// Required-field accessors that report which field was wrong.
    private struct Fields {
        let json: JSONValue
        let kind: String

        func number(_ key: String) throws(LineDamage) -> Double {
            guard let value = json.number(key) else { throw .badField(kind: kind, field: key) }
            return value
        }

        func integer(_ key: String) throws(LineDamage) -> Int {
            guard let value = json.integer(key) else { throw .badField(kind: kind, field: key) }
            return value
        }

        func string(_ key: String) throws(LineDamage) -> String {
            guard let value = json.string(key) else { throw .badField(kind: kind, field: key) }
            return value
        }

        func linkState(_ key: String) throws(LineDamage) -> LinkStateName {
            guard let value = json.string(key).flatMap(LinkStateName.init) else {
                throw .badField(kind: kind, field: key)
            }
            return value
        }
    }
}
