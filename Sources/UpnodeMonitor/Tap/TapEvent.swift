import DnodeProtocol

/// What `upmon tap` saw on one tapped connection (docs/RECORDING.md, "Tap events").
///
/// A tapped connection is a row of its own, with the id `<tap link>.<n>` (`c1.3` is the
/// third client of the tap `c1`); `open` creates the row, `state` events move it, and the
/// rest feed its `TapConnectionStats`. Method names and outcomes only; arguments and results
/// are shapes unless arguments are recorded.
public enum TapEvent: Hashable, Sendable {
    /// A client connected to the tap; the row is called `name`. `client` is its address,
    /// `target` the endpoint it is being connected on to.
    case open(name: String, client: String, target: String)
    /// `caller` called `method`. `awaits` is false when no callback went with it.
    case call(id: String, method: String, caller: TapSide, args: JSONValue, awaits: Bool)
    /// Answer `n` to call `id`; `late` when the call was already counted unanswered.
    case result(
        id: String, method: String, caller: TapSide, n: Int, ok: Bool, durMs: Double,
        late: Bool, payload: JSONValue)
    /// Call `id` got no first answer (`timeout`, `culled`, `evicted`, `closed`).
    case unanswered(id: String, method: String, caller: TapSide, afterMs: Double, reason: String)
    /// Running totals of bytes and lines each way since the connection opened.
    case traffic(bytesC2S: Int, bytesS2C: Int, linesC2S: Int, linesS2C: Int)

    /// The recording kind.
    public var name: String {
        switch self {
        case .open: "tap_open"
        case .call: "tap_call"
        case .result: "tap_result"
        case .unanswered: "tap_unanswered"
        case .traffic: "tap_traffic"
        }
    }

    /// The recording kinds of tap events.
    public static let kindNames: Set<String> = [
        "tap_open", "tap_call", "tap_result", "tap_unanswered", "tap_traffic",
    ]

    /// Durations at the microsecond, as recordings keep them.
    func rounded() -> TapEvent {
        func ms(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        switch self {
        case .result(let id, let method, let caller, let n, let ok, let durMs, let late, let p):
            return .result(
                id: id, method: method, caller: caller, n: n, ok: ok, durMs: ms(durMs),
                late: late, payload: p)
        case .unanswered(let id, let method, let caller, let afterMs, let reason):
            return .unanswered(
                id: id, method: method, caller: caller, afterMs: ms(afterMs), reason: reason)
        case .open, .call, .traffic:
            return self
        }
    }

    /// The fields after `kind` and `conn`, in the order they are written.
    func fields() -> [(String, JSONValue)] {
        switch self {
        case .open(let name, let client, let target):
            return [
                ("name", .string(name)), ("client", .string(client)), ("target", .string(target)),
            ]
        case .call(let id, let method, let caller, let args, let awaits):
            return [
                ("id", .string(id)), ("method", .string(method)),
                ("caller", .string(caller.rawValue)), ("args", args), ("awaits", .bool(awaits)),
            ]
        case .result(let id, let method, let caller, let n, let ok, let durMs, let late, let p):
            var fields: [(String, JSONValue)] = [
                ("id", .string(id)), ("method", .string(method)),
                ("caller", .string(caller.rawValue)), ("n", .int(Int64(n))), ("ok", .bool(ok)),
                ("dur_ms", .milliseconds(durMs)), (ok ? "value" : "error", p),
            ]
            if late { fields.append(("late", .bool(true))) }
            return fields
        case .unanswered(let id, let method, let caller, let afterMs, let reason):
            return [
                ("id", .string(id)), ("method", .string(method)),
                ("caller", .string(caller.rawValue)), ("after_ms", .milliseconds(afterMs)),
                ("reason", .string(reason)),
            ]
        case .traffic(let bytesC2S, let bytesS2C, let linesC2S, let linesS2C):
            return [
                ("bytes_c2s", .int(Int64(bytesC2S))), ("bytes_s2c", .int(Int64(bytesS2C))),
                ("lines_c2s", .int(Int64(linesC2S))), ("lines_s2c", .int(Int64(linesS2C))),
            ]
        }
    }

    /// Decodes a tap event line of `kind`; `nil` names the missing or wrong field.
    static func decode(kind: String, json: JSONValue) -> Result<TapEvent, BadField> {
        func caller() -> TapSide { json.string("caller").flatMap(TapSide.init) ?? .client }
        switch kind {
        case "tap_open":
            guard let name = json.string("name") else { return .failure(BadField("name")) }
            return .success(
                .open(
                    name: name, client: json.string("client") ?? "",
                    target: json.string("target") ?? ""))
        case "tap_call":
            guard let id = json.string("id") else { return .failure(BadField("id")) }
            guard let method = json.string("method") else { return .failure(BadField("method")) }
            return .success(
                .call(
                    id: id, method: method, caller: caller(), args: json["args"] ?? .null,
                    awaits: json.boolean("awaits") ?? true))
        case "tap_result":
            guard let id = json.string("id") else { return .failure(BadField("id")) }
            guard let method = json.string("method") else { return .failure(BadField("method")) }
            guard let ok = json.boolean("ok") else { return .failure(BadField("ok")) }
            guard let durMs = json.number("dur_ms") else { return .failure(BadField("dur_ms")) }
            return .success(
                .result(
                    id: id, method: method, caller: caller(), n: json.integer("n") ?? 1, ok: ok,
                    durMs: durMs, late: json.boolean("late") ?? false,
                    payload: json[ok ? "value" : "error"] ?? .null))
        case "tap_unanswered":
            guard let id = json.string("id") else { return .failure(BadField("id")) }
            guard let method = json.string("method") else { return .failure(BadField("method")) }
            return .success(
                .unanswered(
                    id: id, method: method, caller: caller(),
                    afterMs: json.number("after_ms") ?? 0,
                    reason: json.string("reason") ?? "timeout"))
        default:
            return .success(
                .traffic(
                    bytesC2S: json.integer("bytes_c2s") ?? 0,
                    bytesS2C: json.integer("bytes_s2c") ?? 0,
                    linesC2S: json.integer("lines_c2s") ?? 0,
                    linesS2C: json.integer("lines_s2c") ?? 0))
        }
    }

    /// The name of a field that was missing or of the wrong type.
    struct BadField: Error {
        let field: String
        init(_ field: String) { self.field = field }
    }

    /// The tap link a tapped connection id belongs to: `c1` for `c1.3`.
    public static func tapLink(of id: ConnectionID) -> ConnectionID? {
        guard let dot = id.rawValue.firstIndex(of: ".") else { return nil }
        let suffix = id.rawValue[id.rawValue.index(after: dot)...]
        guard !suffix.isEmpty, suffix.allSatisfy(\.isASCII), Int(suffix) != nil else {
            return nil
        }
        return ConnectionID(String(id.rawValue[..<dot]))
    }
}
