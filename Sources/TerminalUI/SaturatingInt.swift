extension Int {
    /// `value` rounded toward zero and clamped to ±2⁶² (NaN is 0): for a count, a column or a
    /// number of seconds computed from data (a recording, a peer, a typed command), where the
    /// plain `Int(_:)` would trap on a huge, infinite or NaN value.
    public init(saturating value: Double) {
        let limit = 4.611_686_018_427_387_9e18  // 2^62
        if value.isNaN {
            self = 0
        } else if value >= limit {
            self = 1 << 62
        } else if value <= -limit {
            self = -(1 << 62)
        } else {
            self = Int(value)
        }
    }
}
