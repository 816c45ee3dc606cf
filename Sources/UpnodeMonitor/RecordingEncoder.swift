import DnodeProtocol

/// Turns headers, events and snapshots into recording lines (docs/RECORDING.md, "Header", "Events" and "Keyframes").
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

    /// Seconds with exactly three decimals: `0.000`, `12.345`, rounded to the millisecond
    /// (halves away from zero).
    ///
    /// Every finite value prints as its own value, however large:
    /// - below 9e12 s, `seconds × 1000` is rounded and split into whole seconds and
    ///   milliseconds (as it always has been);
    /// - from there to 2^63 s the whole seconds and the fraction are taken apart exactly (a
    ///   double that large has at most 9 fraction bits, so `fraction × 1000` is exact too);
    /// - from 2^63 s up, a double has no fraction: its integer is written out from the shortest
    ///   digits that read back as the same double (`1.2e29` → `120000000000000000000000000000.000`).
    ///
    /// A replay refuses such times as implausible (see `SeekIndex.maxPlausibleTime`); writing them
    /// as they are keeps the damage visible instead of hiding it behind a wrong small number.
    /// JSON has no infinity or NaN, so a non-finite time is written as `null`, as `JSONPrinter`
    /// writes any non-finite number: a reader then reports the line's `t` as missing instead of
    /// reading a made-up time.
    static func fixedMilliseconds(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "null" }
        let scaled = (seconds * 1000).rounded()
        if abs(scaled) < 9e15 {
            let milliseconds = Int64(scaled)
            let magnitude = milliseconds.magnitude
            return (milliseconds < 0 ? "-" : "") + String(magnitude / 1000) + "."
                + threeDigits(magnitude % 1000)
        }
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        guard magnitude < 0x1p63 else { return sign + integerDigits(magnitude) + ".000" }
        var whole = UInt64(magnitude)  // exact: below 2^63, truncated toward zero
        let fraction = magnitude - Double(whole)  // exact: the low bits of `magnitude`
        var milliseconds = UInt64((fraction * 1000).rounded())
        if milliseconds == 1000 {
            whole += 1
            milliseconds = 0
        }
        return sign + String(whole) + "." + threeDigits(milliseconds)
    }

    /// `7` → `007`, for `0..<1000`.
    private static func threeDigits(_ value: UInt64) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 3 - text.count)) + text
    }

    /// The decimal digits of a finite, non-negative, integer-valued double from its shortest
    /// round-trip form (`1.2e+29` → `120000000000000000000000000000`).
    static func integerDigits(_ value: Double) -> String {
        var text = value.description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        // The decimal point goes `exponent` places to the right of where it is.
        let pointAt = whole.count + exponent
        var digits = Array(whole + fraction)
        if digits.count < pointAt {
            digits += Array(repeating: "0", count: pointAt - digits.count)
        } else {
            digits.removeLast(digits.count - max(0, pointAt))  // only zeros: the value is whole
        }
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
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
        case .linkAdded(let name, let endpoint, let options):
            fields += [
                ("name", .string(name)), ("endpoint", .string(endpoint)), ("options", options.json),
            ]
        case .linkRemoved(let reason):
            fields.append(("reason", .string(reason)))
        case .alert(let change):
            fields += [
                ("rule", .string(change.rule)), ("state", .string(change.state.rawValue)),
                ("value", .milliseconds(change.value)),
                ("threshold", .milliseconds(change.threshold)),
                ("for_s", .milliseconds(change.forSeconds)),
            ]
            if let unit = change.kind?.unit { fields.append(("unit", .string(unit))) }
        case .tap(let tapEvent):
            fields += tapEvent.fields()
        }
        return fields
    }
}
