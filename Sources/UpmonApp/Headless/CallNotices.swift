import UpnodeMonitor

/// What `upmon call` tells people while its call waits for the link, and why it gave up.
///
/// Pure: `upmon call` feeds it the link's statistics as events arrive and prints what it
/// returns. A notice is due once the link has been slow to come up (a second, so the usual
/// first connect says nothing); after that it speaks again only when the reason changes,
/// not once per attempt.
public struct CallNotices: Sendable {
    /// The link's name as the user gave it.
    public let name: String
    /// The link as last seen.
    public private(set) var link: ConnectionStats?
    private var isDue = false
    private var isSent = false
    private var shown: String?

    /// Notices for the link called `name`.
    public init(name: String) { self.name = name }

    /// `127.0.0.1:7999 is down (connection refused, 3 attempts)`; `is not up yet` before a
    /// failure is known. `nil` while up.
    public static func condition(name: String, _ stats: ConnectionStats, past: Bool = false)
        -> String?
    {
        guard stats.state != .up else { return nil }
        let verb = past ? "was" : "is"
        guard let why = stats.whyNotUp else {
            return past ? nil : "\(name) is not up yet (\(stats.state.rawValue))"
        }
        let attempts =
            stats.failures > 0
            ? ", \(stats.failures) attempt\(stats.failures == 1 ? "" : "s")" : ""
        return "\(name) \(verb) down (\(why)\(attempts))"
    }

    /// The link changed; returns a line to print when the reason differs from the one shown.
    public mutating func linkChanged(_ stats: ConnectionStats) -> String? {
        link = stats
        return noticeIfNew()
    }

    /// A second has passed without the call being sent; returns the first notice, if the
    /// link is still not up.
    public mutating func noticeDue() -> String? {
        isDue = true
        return noticeIfNew()
    }

    /// The call went out: no more notices.
    public mutating func sent() { isSent = true }

    /// `failed (timeout): no answer within 10 s; 127.0.0.1:7999 was down (connection
    /// refused, 12 attempts)`: the failure, with the last reason the link was not up.
    public func failure(code: String, message: String) -> String {
        var text = "failed (\(code)): \(message)"
        if let link, let condition = Self.condition(name: name, link, past: true) {
            text += "; " + condition
        }
        return text
    }

    private mutating func noticeIfNew() -> String? {
        guard isDue, !isSent, let link, link.state != .up else { return nil }
        // Attempts grow on every retry; only a new reason is news.
        let key = link.whyNotUp ?? link.state.rawValue
        guard key != shown else { return nil }
        shown = key
        return Self.condition(name: name, link).map { $0 + "; the call is queued" }
    }
}
