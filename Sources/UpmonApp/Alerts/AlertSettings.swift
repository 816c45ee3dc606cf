import UpnodeMonitor

/// Everything the config says about alerts (docs/ARCHITECTURE.md, "Alerts"): the rules, the
/// bell, and the `on_alert` hook with its limits.
public struct AlertSettings: Sendable, Equatable {
    /// When the terminal bell rings.
    public enum Bell: String, Sendable, CaseIterable {
        /// Once for each alert that fires (alerts firing on the same tick ring once).
        case once
        case off
    }

    /// The limits of the `on_alert` hook.
    public struct HookLimits: Sendable, Equatable {
        /// A run still going after this many seconds is killed (its whole process group).
        public var timeout: Double = 10
        /// A firing alert of the same rule and link runs the hook at most once in this many
        /// seconds (its resolution runs only when its firing ran).
        public var minInterval: Double = 60
        /// At most this many firing runs in any 60 seconds, for all alerts together.
        public var maxPerMinute = 10
        /// The defaults.
        public init() {}
    }

    /// The `on_alert` command with its limits.
    public struct Hook: Sendable, Equatable {
        /// Run with `/bin/sh -c`.
        public var command: String
        public var limits: HookLimits
        public var timeout: Double { limits.timeout }
        public var minInterval: Double { limits.minInterval }
        public var maxPerMinute: Int { limits.maxPerMinute }

        /// `command` with `limits`.
        public init(command: String, limits: HookLimits = HookLimits()) {
            self.command = command
            self.limits = limits
        }
    }

    public var policy = AlertPolicy()
    public var bell = Bell.once
    /// The `on_alert` command; `nil`: no hook.
    public var onAlert: String?
    public var hookLimits = HookLimits()

    /// The default rules, the bell once per alert, no hook.
    public init() {}

    /// The hook to run, when there is a command.
    public var hook: Hook? { onAlert.map { Hook(command: $0, limits: hookLimits) } }
}
