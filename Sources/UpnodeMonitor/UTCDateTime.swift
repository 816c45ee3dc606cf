/// A Unix time split into UTC calendar fields (proleptic Gregorian), without Foundation.
public struct UTCDateTime: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int

    /// The fields of `epochMilliseconds` (milliseconds since 1970-01-01T00:00:00Z).
    public init(epochMilliseconds: Int64) {
        let millisecondsPerDay: Int64 = 86_400_000
        var days = epochMilliseconds / millisecondsPerDay
        var rest = epochMilliseconds % millisecondsPerDay
        if rest < 0 {
            rest += millisecondsPerDay
            days -= 1
        }
        // Howard Hinnant's civil-from-days algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        hour = Int(rest / 3_600_000)
        minute = Int(rest / 60_000 % 60)
        second = Int(rest / 1000 % 60)
        millisecond = Int(rest % 1000)
    }

    /// The fields of a Unix time in seconds (non-finite values count as 0).
    public init(epochSeconds: Double) {
        self.init(
            epochMilliseconds: epochSeconds.isFinite
                ? Int64((epochSeconds * 1000).rounded(.down)) : 0)
    }
}
