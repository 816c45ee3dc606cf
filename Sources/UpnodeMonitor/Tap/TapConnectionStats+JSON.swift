import DnodeProtocol

/// The `tap` member of a tapped row in a keyframe (docs/RECORDING.md, "Keyframes"): every
/// figure `TapConnectionStats` keeps, so that a replay seeking from a keyframe shows the
/// same Methods view as one playing through. Times are exact (`JSONValue.time`).
extension TapConnectionStats {
    /// The keyframe form; `name` is the row's name (the row is not a header link).
    func toJSON(name: String) -> JSONValue {
        let methodList = methods.map { key, stats -> JSONValue in
            .makeObject([
                ("method", .string(key.method)), ("caller", .string(key.caller.rawValue)),
                ("calls", .int(Int64(stats.calls))), ("in_flight", .int(Int64(stats.inFlight))),
                ("answered", .int(Int64(stats.answered))), ("errors", .int(Int64(stats.errors))),
                ("unanswered", .int(Int64(stats.unanswered))),
                ("streamed", .int(Int64(stats.streamed))), ("sum_ms", .time(stats.sumMs)),
                ("durations", .array(stats.durations.map { .time($0) })),
                ("buckets", .array(stats.buckets.map { .int(Int64($0)) })),
                ("starts", .array(stats.recentStarts.map { .time($0) })),
                ("traces", .array(stats.traces.map(Self.json(of:)))),
            ])
        }
        let recentList = recent.map { record -> JSONValue in
            .array([
                .time(record.t), .string(record.key.method), .string(record.key.caller.rawValue),
                .string(record.outcome), .time(record.durMs), record.payload,
            ])
        }
        return .makeObject([
            ("name", .string(name)), ("client", .string(client)), ("target", .string(target)),
            ("bytes", .array([.int(Int64(bytesC2S)), .int(Int64(bytesS2C))])),
            ("lines", .array([.int(Int64(linesC2S)), .int(Int64(linesS2C))])),
            ("last_t", .time(lastActivityT)), ("other_calls", .int(Int64(otherCalls))),
            ("methods", .array(methodList)), ("recent", .array(recentList)),
        ])
    }

    /// `[t, id, outcome, reason, dur_ms, answers, args, payload]`.
    private static func json(of trace: CallTrace) -> JSONValue {
        let outcome: String
        var reason: JSONValue = .null
        switch trace.outcome {
        case .inFlight: outcome = "in_flight"
        case .noReply: outcome = "no_reply"
        case .ok: outcome = "ok"
        case .error: outcome = "error"
        case .unanswered(let why):
            outcome = "unanswered"
            reason = .string(why)
        }
        return .array([
            .time(trace.t), .string(trace.id), .string(outcome), reason,
            .optionalTime(trace.durMs), .int(Int64(trace.answers)), trace.args, trace.payload,
        ])
    }

    /// Reads the keyframe form. Missing counts read as 0 and malformed entries are left out,
    /// as for links; only a `tap` that is not an object is refused.
    init(json: JSONValue, path: String) throws(SnapDecodingError) {
        guard json.objectValue != nil else {
            throw SnapDecodingError(path: path, expected: "an object")
        }
        self.init(
            client: MonitorText.bounded(json.string("client") ?? ""),
            target: MonitorText.bounded(json.string("target") ?? ""),
            t: json.number("last_t") ?? 0)
        let bytes = json["bytes"]?.arrayValue ?? []
        let lines = json["lines"]?.arrayValue ?? []
        bytesC2S = bytes.first?.intValue ?? 0
        bytesS2C = bytes.dropFirst().first?.intValue ?? 0
        linesC2S = lines.first?.intValue ?? 0
        linesS2C = lines.dropFirst().first?.intValue ?? 0
        otherCalls = json.integer("other_calls") ?? 0
        for item in json["methods"]?.arrayValue ?? [] {
            guard let method = item.string("method"), methods.count < Self.maxMethods else {
                continue
            }
            let caller = item.string("caller").flatMap(TapSide.init) ?? .client
            methods[MethodKey(caller: caller, method: MonitorText.bounded(method))] =
                Self.methodStats(item)
        }
        for item in json["recent"]?.arrayValue ?? [] {
            guard let parts = item.arrayValue, parts.count >= 6, let t = parts[0].doubleValue,
                let method = parts[1].stringValue, let outcome = parts[3].stringValue,
                let durMs = parts[4].doubleValue
            else { continue }
            let caller = parts[2].stringValue.flatMap(TapSide.init) ?? .client
            recent.append(
                CallRecord(
                    t: t, key: MethodKey(caller: caller, method: MonitorText.bounded(method)),
                    outcome: outcome, durMs: durMs, payload: parts[5]))
        }
    }

    private static func methodStats(_ json: JSONValue) -> MethodStats {
        var stats = MethodStats()
        stats.calls = json.integer("calls") ?? 0
        stats.inFlight = json.integer("in_flight") ?? 0
        stats.answered = json.integer("answered") ?? 0
        stats.errors = json.integer("errors") ?? 0
        stats.unanswered = json.integer("unanswered") ?? 0
        stats.streamed = json.integer("streamed") ?? 0
        stats.sumMs = json.number("sum_ms") ?? 0
        for value in json["durations"]?.arrayValue ?? [] {
            if let ms = value.doubleValue, ms.isFinite { stats.durations.append(ms) }
        }
        let buckets = (json["buckets"]?.arrayValue ?? []).compactMap(\.intValue)
        if buckets.count == bucketBounds.count {
            stats.buckets = buckets
        } else {
            // Other bounds (another upmon): count the durations kept instead.
            for ms in stats.durations {
                for (index, bound) in bucketBounds.enumerated() where ms / 1000 <= bound {
                    stats.buckets[index] += 1
                }
            }
        }
        for value in json["starts"]?.arrayValue ?? [] {
            if let t = value.doubleValue, t.isFinite { stats.recentStarts.append(t) }
        }
        for item in (json["traces"]?.arrayValue ?? []).suffix(tracesPerMethod) {
            if let trace = callTrace(item) { stats.traces.append(trace) }
        }
        return stats
    }

    private static func callTrace(_ json: JSONValue) -> CallTrace? {
        guard let parts = json.arrayValue, parts.count >= 8, let t = parts[0].doubleValue,
            t.isFinite, let id = parts[1].stringValue, let name = parts[2].stringValue
        else { return nil }
        let outcome: CallTrace.Outcome
        switch name {
        case "in_flight": outcome = .inFlight
        case "no_reply": outcome = .noReply
        case "ok": outcome = .ok
        case "error": outcome = .error
        default: outcome = .unanswered(reason: parts[3].stringValue ?? name)
        }
        return CallTrace(
            id: id, t: t, args: parts[6], outcome: outcome,
            durMs: parts[4].doubleValue.flatMap { $0.isFinite ? $0 : nil },
            answers: parts[5].intValue ?? 0, payload: parts[7])
    }
}

extension MonitorState {
    /// The link settings of a tapped row named `name` for a client at `client`.
    static func tapRowInfo(_ id: ConnectionID, name: String, client: String) -> ConnectionInfo {
        ConnectionInfo(
            id: id, name: MonitorText.bounded(name), endpoint: MonitorText.bounded(client),
            options: ConnectionOptions(
                pingMilliseconds: 0, timeoutMilliseconds: 0, reconnect: "tap"))
    }

    /// The tapped rows of a snapshot's `connections` (ids `<link>.<n>` of a link in `known`,
    /// with a `tap` member), each with the id of the row written before it (nil: first).
    static func decodeTapRows(
        _ links: JSONObject, known: Set<ConnectionID>
    ) throws(SnapDecodingError) -> [(after: ConnectionID?, stats: ConnectionStats)] {
        var rows: [(after: ConnectionID?, stats: ConnectionStats)] = []
        var previous: ConnectionID?
        for (key, link) in links {
            let id = ConnectionID(key)
            if known.contains(id) { previous = id }
            guard !known.contains(id), let tapJSON = link["tap"],
                let owner = TapEvent.tapLink(of: id), known.contains(owner),
                rows.count < maxTapRows
            else { continue }
            let path = "connections.\(key)"
            let tap = try TapConnectionStats(json: tapJSON, path: path + ".tap")
            let info = tapRowInfo(
                id, name: tapJSON.string("name") ?? key, client: tapJSON.string("client") ?? "")
            var stats = try decodeStats(link, info: info, path: path)
            stats.tap = tap
            rows.append((previous, stats))
            previous = id
        }
        return rows
    }

    /// `stats` with each tapped row placed after the row the snapshot wrote before it, so a
    /// decoded state lists rows in the order the live one did.
    static func placeTapRows(
        _ rows: [(after: ConnectionID?, stats: ConnectionStats)],
        into stats: inout [ConnectionStats]
    ) {
        for row in rows {
            let position =
                row.after.flatMap { after in stats.firstIndex { $0.id == after } }.map { $0 + 1 }
                ?? 0
            stats.insert(row.stats, at: position)
        }
    }
}
