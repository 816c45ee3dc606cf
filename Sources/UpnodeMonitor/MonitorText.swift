import DnodeProtocol

/// Small text helpers shared by the reducer, the snapshot decoder and the exporters. No
/// Foundation formatting, so output is the same on every platform and locale.
enum MonitorText {
    /// Truncates remote-derived names so one hostile string cannot grow the state.
    static func bounded(_ text: String) -> String {
        bounded(text, toBytes: ConnectionStats.maxNameBytes)
    }

    /// Truncates `text` to at most `limit` UTF-8 bytes, ending in `…` when cut.
    static func bounded(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        for character in text {
            if result.utf8.count + character.utf8.count > limit - 3 { break }
            result.append(character)
        }
        return result + "…"
    }

    /// `value` with at most `places` decimals, trailing zeros removed.
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard abs(scaled) < 9e15 else { return String(value) }
        let units = Int64(scaled)
        let negative = units < 0
        let magnitude = units.magnitude
        let divisor = UInt64(scale)
        var fraction = String(magnitude % divisor)
        while fraction.count < places { fraction = "0" + fraction }
        while fraction.last == "0" { fraction.removeLast() }
        let whole = String(magnitude / divisor)
        return (negative ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// What kind of error a failed call's payload is: its `code` (`timeout`, `link_lost`, …),
    /// `remote` for an error the peer sent, `nil` when it says neither. The view words it.
    static func errorCode(_ payload: JSONValue) -> String? {
        if let code = payload["code"]?.stringValue { return bounded(code) }
        if payload["remote"] != nil { return "remote" }
        return nil
    }
}
