/// When to try again after a link goes down.
public struct ReconnectPolicy: Sendable, Hashable, CustomStringConvertible {
    /// How the delay between attempts is chosen.
    public enum Kind: Sendable, Hashable {
        /// Node upnode's behaviour: the same delay every time (default 1 s).
        case fixed(Duration)
        /// grpc-swift's ConnectionBackoff: initial × multiplier^(attempt-1), ± jitter, capped.
        case exponential(initial: Duration, multiplier: Double, jitter: Double, maximum: Duration)
        /// Never reconnect.
        case never
    }

    /// How the delay is chosen.
    public var kind: Kind
    /// Give up after this many attempts in a row (nil = forever, like Node).
    public var maxAttempts: Int?

    /// A policy of `kind` that gives up after `maxAttempts` failed attempts in a row
    /// (`nil`: never).
    public init(_ kind: Kind, maxAttempts: Int? = nil) {
        self.kind = kind
        self.maxAttempts = maxAttempts
    }

    /// The same `delay` before every attempt, forever (Node upnode's behaviour).
    public static func fixed(_ delay: Duration) -> ReconnectPolicy {
        ReconnectPolicy(.fixed(delay))
    }
    /// Exponential backoff from 1 s, ×1.6 per attempt, ±20 % jitter, at most 120 s, forever.
    public static let exponential = ReconnectPolicy(
        .exponential(initial: .seconds(1), multiplier: 1.6, jitter: 0.2, maximum: .seconds(120)))
    /// Never reconnect: a link that goes down stays down until `reconnectNow()`.
    public static let never = ReconnectPolicy(.never)

    /// The delay before attempt `attempt` (1-based), or nil to stop trying.
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator)
        -> Duration?
    {
        if let maxAttempts, attempt > maxAttempts { return nil }
        switch kind {
        case .never:
            return nil
        case .fixed(let delay):
            return delay
        case .exponential(let initial, let multiplier, let jitter, let maximum):
            let base = min(
                initial.milliseconds * pow(multiplier, attempt - 1), maximum.milliseconds)
            let spread = base * jitter
            let jittered =
                spread > 0 ? base + Double.random(in: -spread...spread, using: &generator) : base
            return .milliseconds(Int64(max(0, min(jittered, maximum.milliseconds))))
        }
    }

    public var description: String {
        switch kind {
        case .fixed(let delay): "fixed \(Int(delay.milliseconds))ms"
        case .exponential: "exponential"
        case .never: "never"
        }
    }
}

private func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<max(0, min(exponent, 64)) { result *= base }
    return result
}
