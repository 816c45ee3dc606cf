import DnodeProtocol

/// Typed member access and construction helpers for recording lines and snapshots.
extension JSONValue {
    /// Builds an object keeping `members` in order (later duplicates win).
    static func makeObject(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members))
    }

    /// A number of milliseconds rounded to the microsecond; integral values print as integers.
    static func milliseconds(_ value: Double) -> JSONValue {
        let rounded = (value * 1000).rounded() / 1000
        if rounded.rounded() == rounded, abs(rounded) < 9e15 { return .int(Int64(rounded)) }
        return .double(rounded)
    }

    /// A time on the session axis, exact (snapshots must round-trip bit for bit).
    static func time(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9e15 { return .int(Int64(value)) }
        return .double(value)
    }

    static func optionalTime(_ value: Double?) -> JSONValue { value.map(time) ?? .null }

    func number(_ key: String) -> Double? {
        guard let value = self[key]?.doubleValue, value.isFinite else { return nil }
        return value
    }

    func integer(_ key: String) -> Int? { self[key]?.intValue }

    func string(_ key: String) -> String? { self[key]?.stringValue }

    func boolean(_ key: String) -> Bool? {
        if case .bool(let value)? = self[key] { return value }
        return nil
    }

    /// The member, or `nil` when it is absent or JSON `null`.
    func nonNull(_ key: String) -> JSONValue? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }
}
