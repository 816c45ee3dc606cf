import TerminalUI
import UpnodeMonitor

/// Maps what the dashboard shows to theme role names (`ThemeSchema.upmon`, docs/THEMES.md, "Roles"),
/// and link states to their symbol and word (docs/THEMES.md, "Symbols: colour never stands alone"): colour never stands alone.
public enum ThemeRoles {
    /// The role of a link's state.
    public static func state(_ stats: ConnectionStats) -> String {
        switch stats.state {
        case .up: return "link_up"
        case .down: return "link_down"
        case .reconnecting: return "link_reconnecting"
        case .connecting: return "link_connecting"
        case .idle: return "link_unknown"
        case .closed: return "muted"
        }
    }

    /// The role of a latency in milliseconds under `thresholds`.
    public static func latency(_ ms: Double, thresholds: Thresholds) -> String {
        if ms >= thresholds.latencyBadMs { return "latency_bad" }
        if ms >= thresholds.latencyWarnMs { return "latency_warn" }
        return "latency_good"
    }

    /// The role of a loss ratio: any loss is bad.
    public static func loss(_ ratio: Double) -> String {
        ratio > 0 ? "latency_bad" : "latency_good"
    }

    /// The role of a queue depth.
    public static func queue(depth: Int, isStuck: Bool) -> String {
        if isStuck { return "queue_stuck" }
        return depth > 0 ? "queue_nonempty" : "queue_empty"
    }

    /// The role of a pinned series by pin position (0-based).
    public static func series(_ index: Int) -> String { "series\(index % 6 + 1)" }

    /// The role of an event-log line's level.
    public static func logLevel(_ level: NoteLevel) -> String {
        switch level {
        case .info: return "text"
        case .warning: return "latency_warn"
        case .error: return "error"
        }
    }

    /// The state symbol of a link.
    public static func symbol(_ stats: ConnectionStats, glyphs: Glyphs) -> String {
        symbol(stats.state, glyphs: glyphs)
    }

    /// The symbol of a state.
    public static func symbol(_ state: LinkStateName, glyphs: Glyphs) -> String {
        switch state {
        case .up: return glyphs.up
        case .down: return glyphs.down
        case .reconnecting: return glyphs.reconnecting
        case .connecting: return glyphs.connecting
        case .idle: return glyphs.idle
        case .closed: return glyphs.closed
        }
    }

    /// The state word: `up`, `down`, `held`, `retry 3`, `dial`/`tls`/`methods`/`auth`,
    /// `idle`, `closed`.
    public static func word(_ stats: ConnectionStats) -> String {
        switch stats.state {
        case .up: return "up"
        case .down: return stats.isHeld ? "held" : "down"
        case .reconnecting: return "retry \(stats.attempt)"
        case .connecting: return stats.phase?.rawValue ?? "dial"
        case .idle: return "idle"
        case .closed: return "closed"
        }
    }

    /// Symbol and word, `● up`.
    public static func label(_ stats: ConnectionStats, glyphs: Glyphs) -> String {
        symbol(stats, glyphs: glyphs) + " " + word(stats)
    }

    /// How bad a state is, 0 worst; `state` sorting puts the worst first.
    public static func severity(_ stats: ConnectionStats) -> Int {
        switch stats.state {
        case .down: return stats.isHeld ? 1 : 0
        case .reconnecting: return 2
        case .connecting: return 3
        case .closed: return 4
        case .idle: return 5
        case .up: return 6
        }
    }
}
