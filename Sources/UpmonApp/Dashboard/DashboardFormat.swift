import TerminalUI
import UpnodeMonitor

/// Text formatting for the dashboard. No Foundation, so screens look the same in every
/// locale and snapshots are stable.
public enum DashboardFormat {
    /// `value` with exactly `places` decimals (rounded half away from zero).
    public static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return abs(value) < 9e18 ? String(Int(value)) : "\(value)" }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        var text = (value < 0 && units != 0 ? "-" : "") + String(whole)
        if places > 0 {
            var fraction = String(units % Int64(scale))
            while fraction.count < places { fraction = "0" + fraction }
            text += "." + fraction
        }
        return text
    }

    /// A latency number without unit: one decimal below 100 (`12.4`), whole above (`240`).
    public static func ms(_ value: Double) -> String {
        abs(value) < 100 ? fixed(value, places: 1) : fixed(value, places: 0)
    }

    /// A latency with unit: `2.2ms`, `212ms`, `1.2s`.
    public static func msWithUnit(_ value: Double) -> String {
        if value >= 1000 { return fixed(value / 1000, places: 1) + "s" }
        return ms(value) + "ms"
    }

    /// A duration in seconds, short: `2s`, `41s`, `3m51s`, `12m04s`, `2h05m`, `3d04h`.
    public static func duration(_ seconds: Double) -> String {
        let total = seconds.isFinite ? max(0, Int(saturating: seconds.rounded(.down))) : 0
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(pad2(total % 60))s" }
        if total < 86_400 { return "\(total / 3600)h\(pad2(total % 3600 / 60))m" }
        return "\(total / 86_400)d\(pad2(total % 86_400 / 3600))h"
    }

    /// A duration for wait times: `800ms`, `3.2s`, `1m05s`.
    public static func shortWait(_ seconds: Double) -> String {
        if seconds < 1 { return fixed(max(0, seconds) * 1000, places: 0) + "ms" }
        if seconds < 60 {
            let text = fixed(seconds, places: 1)
            return (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + "s"
        }
        return duration(seconds)
    }

    /// `HH:MM:SS` of `secondsSinceEpoch` in UTC.
    public static func clock(_ secondsSinceEpoch: Double) -> String {
        let total =
            secondsSinceEpoch.isFinite ? Int(saturating: secondsSinceEpoch.rounded(.down)) : 0
        let day = ((total % 86_400) + 86_400) % 86_400
        return "\(pad2(day / 3600)):\(pad2(day % 3600 / 60)):\(pad2(day % 60))"
    }

    /// `HH:MM:SS.mmm` of `secondsSinceEpoch` in UTC.
    public static func clockMillis(_ secondsSinceEpoch: Double) -> String {
        guard secondsSinceEpoch.isFinite else { return "--:--:--.---" }
        let millis = Int(saturating: (secondsSinceEpoch * 1000).rounded())
        let fraction = ((millis % 1000) + 1000) % 1000
        let seconds = Double((millis - fraction) / 1000)
        var text = String(fraction)
        while text.count < 3 { text = "0" + text }
        return clock(seconds) + "." + text
    }

    /// `HH:MM:SS` for a duration (recording badge).
    public static func elapsed(_ seconds: Double) -> String {
        let total = seconds.isFinite ? max(0, Int(saturating: seconds.rounded(.down))) : 0
        return "\(pad2(total / 3600)):\(pad2(total % 3600 / 60)):\(pad2(total % 60))"
    }

    /// `MM:SS` (or `H:MM:SS` past an hour) for replay positions.
    public static func position(_ seconds: Double) -> String {
        let total = seconds.isFinite ? max(0, Int(saturating: seconds.rounded(.down))) : 0
        if total >= 3600 { return "\(total / 3600):\(pad2(total % 3600 / 60)):\(pad2(total % 60))" }
        return "\(pad2(total / 60)):\(pad2(total % 60))"
    }

    /// The date parts (year, month, day, hour, minute, second) of a Unix time in UTC.
    public static func civil(_ secondsSinceEpoch: Double) -> (
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    ) {
        let date = UTCDateTime(epochSeconds: secondsSinceEpoch)
        return (date.year, date.month, date.day, date.hour, date.minute, date.second)
    }

    /// The default recording file name, `upmon-YYYYMMDD-HHMMSS.upmon`, for a Unix time.
    public static func recordingFileName(at secondsSinceEpoch: Double) -> String {
        let c = civil(secondsSinceEpoch)
        return "upmon-\(c.year)\(pad2(c.month))\(pad2(c.day))-"
            + "\(pad2(c.hour))\(pad2(c.minute))\(pad2(c.second)).upmon"
    }

    /// `1,204`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// A loss ratio (0…1) as `0.8%`, `100%`.
    public static func percent(_ ratio: Double) -> String {
        let value = ratio * 100
        return (value >= 99.95 ? "100" : fixed(value, places: 1)) + "%"
    }

    /// A speed factor as `2×`, `0.25×` (`x` in ASCII).
    public static func speed(_ factor: Double, unicode: Bool = true) -> String {
        let sign = unicode ? "×" : "x"
        if factor == factor.rounded() { return fixed(factor, places: 0) + sign }
        let two = fixed(factor, places: 2)
        let trimmed = two.hasSuffix("0") ? String(two.dropLast()) : two
        return trimmed + sign
    }

    static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
