import DnodeProtocol

/// Turns headers, events and snapshots into recording lines (RECORDING.md §2–4).
///
/// Pure: each call returns one line of UTF-8 (ASCII, in fact) ending in `\n`. The same
/// lines are what `upmon --json` prints, so its output is a valid recording.
public enum RecordingEncoder {
    /// The header line.
    public static func line(_ header: RecordingHeader) -> [UInt8] {
        var bytes = JSONPrinter.bytes(header.toJSON())
        bytes.append(0x0A)
        return bytes
    }

    /// One event line. `t` is written with exactly three decimals, durations to the microsecond.
    public static func line(_ event: MonitorEvent) -> [UInt8] {
        line(t: event.t, fields: fields(of: event))
    }

    /// A `snap` keyframe line holding `state` at time `t`.
    public static func snapLine(_ state: MonitorState, t: Double) -> [UInt8] {
        line(t: t, fields: [("kind", "snap"), ("state", state.toJSON())])
    }

    /// The event as a JSON object, `t` rounded to the millisecond.
    public static func json(_ event: MonitorEvent) -> JSONValue {
        .makeObject([("t", .milliseconds(MonitorEvent.roundedTime(event.t)))] + fields(of: event))
    }

    /// Writes `{"t":<t with 3 decimals>,` followed by the other fields.
    private static func line(t: Double, fields: [(String, JSONValue)]) -> [UInt8] {
        var bytes: [UInt8] = Array("{\"t\":".utf8)
        bytes.append(contentsOf: fixedMilliseconds(t).utf8)
        let rest = JSONPrinter.bytes(.makeObject(fields))
        if rest.count > 2 {
            bytes.append(UInt8(ascii: ","))
            bytes.append(contentsOf: rest.dropFirst())
        } else {
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(0x0A)
        return bytes
    }

    /// Seconds with exactly three decimals: `0.000`, `12.345`.
    static func fixedMilliseconds(_ seconds: Double) -> String {
        let scaled = (seconds * 1000).rounded()
        guard scaled.isFinite, abs(scaled) < 9e15 else { return "0.000" }
        let milliseconds = Int64(scaled)
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        let padded = String(repeating: "0", count: 3 - fraction.count) + fraction
        return (milliseconds < 0 ? "-" : "") + String(magnitude / 1000) + "." + padded
    }

    private static func fields(of event: MonitorEvent) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("kind", .string(event.kind.name))]
        if let conn = event.conn { fields.append(("conn", .string(conn.rawValue))) }
        switch event.kind {
        case .state(let from, let to, let reason, let detail, let phase):
            fields += [
                ("from", .string(from.rawValue)), ("to", .string(to.rawValue)),
                ("reason", .string(reason)),
            ]
            if let detail { fields.append(("detail", .string(detail))) }
            if let phase { fields.append(("phase", .string(phase.rawValue))) }
        case .ping(let rttMs):
            fields.append(("rtt_ms", .milliseconds(rttMs)))
        case .pingTimeout(let afterMs, let consecutive):
            fields += [
                ("after_ms", .milliseconds(afterMs)), ("consecutive", .int(Int64(consecutive))),
            ]
        case .reconnect(let attempt, let delayMs):
            fields += [("attempt", .int(Int64(attempt))), ("delay_ms", .milliseconds(delayMs))]
        case .queue(let depth, let oldestMs, let enqueued, let flushed, let expired, let failed):
            fields += [
                ("depth", .int(Int64(depth))), ("oldest_ms", .milliseconds(oldestMs)),
                ("enqueued", .int(Int64(enqueued))), ("flushed", .int(Int64(flushed))),
                ("expired", .int(Int64(expired))),
            ]
            if let failed { fields.append(("failed", .int(Int64(failed)))) }
        case .call(let id, let method, let origin, let args, let redacted):
            fields += [
                ("id", .string(id)), ("origin", .string(origin.rawValue)),
                ("method", .string(method)),
                ("args", args), ("redacted", .bool(redacted)),
            ]
        case .result(let id, let n, let ok, let durMs, let payload, let redacted):
            fields += [
                ("id", .string(id)), ("n", .int(Int64(n))), ("ok", .bool(ok)),
                ("dur_ms", .milliseconds(durMs)), (ok ? "value" : "error", payload),
                ("redacted", .bool(redacted)),
            ]
        case .remoteMethods(let methods):
            fields.append(("methods", .array(methods.map { .string($0) })))
        case .mark(let label):
            fields.append(("label", .string(label)))
        case .note(let level, let text):
            fields += [("level", .string(level.rawValue)), ("text", .string(text))]
        case .end(let reason, let lines):
            fields += [("reason", .string(reason.rawValue)), ("lines", .int(Int64(lines)))]
        }
        return fields
    }
}
