/// Everything the monitor knows about one link.
///
/// Memory per connection is bounded: the state history holds 64 entries, the RTT history
/// 600 outcomes (about 10 KB), the method list at most `maxMethods` names of at most
/// `maxNameBytes` bytes each, and the pending-call table `maxPendingCalls` entries. All other
/// fields are fixed-size counters, so one connection stays under roughly 300 KB in the worst
/// case and around 15 KB in practice.
public struct ConnectionStats: Equatable, Sendable {
    /// State transitions kept per link.
    public static let historyCapacity = 64
    /// Heartbeat outcomes kept per link (the sparkline history).
    public static let rttCapacity = 600
    /// Outcomes the derived statistics cover.
    public static let statsWindow = 120
    /// Remote method names kept per link.
    public static let maxMethods = 1024
    /// Longest method name or reason kept, in UTF-8 bytes.
    public static let maxNameBytes = 256
    /// Calls remembered so that results can be logged with their method name.
    public static let maxPendingCalls = 64

    /// One state transition in the history.
    public struct StateChange: Hashable, Sendable {
        public var t: Double
        public var state: LinkStateName
        /// Records entering `state` at `t`.
        public init(t: Double, state: LinkStateName) {
            self.t = t
            self.state = state
        }
    }

    /// One heartbeat outcome: an RTT in milliseconds, or `nil` for a timeout.
    public struct RTTSample: Hashable, Sendable {
        public var t: Double
        public var rttMs: Double?
        /// An outcome at `t`; `rttMs` is `nil` for a timeout.
        public init(t: Double, rttMs: Double?) {
            self.t = t
            self.rttMs = rttMs
        }
        /// Whether the ping timed out.
        public var isTimeout: Bool { rttMs == nil }
    }

    /// Transaction queue figures; the counts are running totals since the session began.
    public struct QueueStats: Hashable, Sendable {
        /// Transactions waiting now.
        public var depth = 0
        /// When the oldest waiting item was enqueued, on the session time axis.
        public var oldestT: Double?
        public var enqueued = 0
        public var flushed = 0
        public var expired = 0
        public var failed = 0
        /// Empty figures.
        public init() {}
    }

    /// Outcomes of calls (first callback invocation only).
    public struct CallStats: Hashable, Sendable {
        /// Calls whose first invocation succeeded.
        public var ok = 0
        /// Calls that failed, timeouts included.
        public var err = 0
        /// Errors that were library timeouts (`{"code":"timeout"}`); included in `err`.
        public var timeouts = 0
        /// Duration of the latest call.
        public var lastDurationMs: Double?
        public init() {}
    }

    /// A call whose results may still arrive.
    public struct PendingCall: Hashable, Sendable {
        public var id: String
        public var method: String
        /// A call `id` to `method`.
        public init(id: String, method: String) {
            self.id = id
            self.method = method
        }
    }

    /// The link as configured.
    public var info: ConnectionInfo
    /// The current link state.
    public var state: LinkStateName = .idle
    /// When the link entered `state`.
    public var since: Double = 0
    /// Progress while `connecting`.
    public var phase: ConnectPhaseName?
    /// Held down by `hold()`: no automatic reconnect until a manual one.
    public var isHeld = false
    /// Recent transitions, oldest first.
    public var history = RingBuffer<StateChange>(capacity: historyCapacity)
    /// Recent heartbeat outcomes, oldest first.
    public var rtt = RingBuffer<RTTSample>(capacity: rttCapacity)
    /// Reconnect attempt number of the current run of failures; 0 once up.
    public var attempt = 0
    /// Reconnect attempts scheduled in total.
    public var reconnects = 0
    /// Times the link reached `up`.
    public var connects = 0
    /// Times the link left `up`.
    public var disconnects = 0
    /// When the scheduled reconnect fires, while one is pending.
    public var nextRetryT: Double?
    /// Transaction queue figures.
    public var queue = QueueStats()
    /// Call outcome counts.
    public var calls = CallStats()
    /// The remote's method paths from its last `up`.
    public var methods: [String] = []
    /// Recent calls, so results can be logged with their method name.
    public var pendingCalls: [PendingCall] = []
    /// When the link first left `idle`; the start of the availability period.
    public var firstAttemptT: Double?
    /// Seconds spent `up` in completed up periods (the current one is added by queries).
    public var upSeconds: Double = 0
    /// Successful pings since the session started (Prometheus `_count`).
    public var pingCount = 0
    /// Sum of all successful RTTs in milliseconds (Prometheus `_sum`).
    public var pingSumMs: Double = 0
    /// Ping timeouts since the session started.
    public var pingTimeouts = 0
    /// The reason code of the latest transition to `down` or `closed` since the link was
    /// last up (`refused`, `auth_failed`, …); `nil` while up and before any failure.
    public var downReason: String?
    /// The human text that came with `downReason`, such as `connection refused`.
    public var downDetail: String?
    /// When the link last went up or stopped being up (the first attempt, if never up):
    /// retry cycles (down → reconnecting → connecting) do not move it.
    public var updownSince: Double = 0
    /// Transitions to `down` since the link was last up: the failed attempts of this outage.
    public var failures = 0
    /// What `upmon tap` measured, for a tapped connection's row (`nil` for other links).
    public var tap: TapConnectionStats?

    /// A link that is `idle` with nothing measured.
    public init(info: ConnectionInfo) {
        self.info = info
    }

    /// The link's id.
    public var id: ConnectionID { info.id }

    /// The statistics window: the newest `statsWindow` outcomes, oldest first.
    public var windowSamples: [RTTSample] { rtt.suffix(Self.statsWindow) }

    /// Derived RTT statistics over the window.
    public var rttStats: RTTStats { RTTStats(samples: windowSamples) }

    /// Seconds in the current state.
    public func timeInState(now: Double) -> Double { max(0, now - since) }

    /// `updownSince` worked out from the kept history, for snapshots that do not store it:
    /// the start of the newest run of up (or of not-up) states; the first attempt when the
    /// link was never up in the kept history.
    func derivedUpdownSince() -> Double {
        let isUp = state == .up
        var boundary = since
        for change in history.elements.reversed() {
            if (change.state == .up) != isUp { return boundary }
            boundary = change.t
        }
        return isUp ? boundary : min(boundary, firstAttemptT ?? boundary)
    }

    /// Why the link is not up, in a few words (`connection refused`, `auth refused`,
    /// `unknown host`, `timeout`); `nil` while up, idle, or connecting before any failure.
    public var whyNotUp: String? {
        guard state != .up, state != .idle else { return nil }
        if isHeld { return "held" }
        guard let downReason else { return state == .closed ? "closed" : nil }
        return LinkReasonName.phrase(downReason, detail: downDetail)
    }

    /// Share of time spent `up` since the first connection attempt, 0…1; `nil` before any
    /// attempt or when no time has passed.
    public func availability(now: Double) -> Double? {
        guard let start = firstAttemptT, now > start else { return nil }
        var up = upSeconds
        if state == .up { up += max(0, now - since) }
        return min(1, max(0, up / (now - start)))
    }
}

/// Statistics over a window of heartbeat outcomes. Percentiles use the nearest-rank method.
public struct RTTStats: Equatable, Sendable {
    /// Outcomes in the window, timeouts included.
    public var outcomes: Int
    /// Timeouts in the window.
    public var timeouts: Int
    /// The newest successful RTT in milliseconds.
    public var last: Double?
    /// Whether the newest outcome was a timeout.
    public var lastTimedOut: Bool
    /// Median RTT (nearest rank).
    public var p50: Double?
    /// 95th percentile RTT (nearest rank).
    public var p95: Double?
    /// Mean RTT.
    public var avg: Double?
    /// Lowest RTT.
    public var best: Double?
    /// Highest RTT.
    public var worst: Double?
    /// Population standard deviation of the successful RTTs.
    public var stdev: Double?
    /// Mean absolute difference between consecutive successful RTTs.
    public var jitter: Double?
    /// Timeouts ÷ outcomes, 0…1 (0 with no outcomes).
    public var loss: Double

    /// Computes the statistics of `samples` (oldest first).
    public init(samples: [ConnectionStats.RTTSample]) {
        let rtts = samples.compactMap(\.rttMs)
        outcomes = samples.count
        timeouts = samples.count - rtts.count
        last = rtts.last
        lastTimedOut = samples.last?.isTimeout ?? false
        loss = samples.isEmpty ? 0 : Double(timeouts) / Double(samples.count)
        guard !rtts.isEmpty else {
            p50 = nil
            p95 = nil
            avg = nil
            best = nil
            worst = nil
            stdev = nil
            jitter = nil
            return
        }
        let sorted = rtts.sorted()
        p50 = Self.nearestRank(50, of: sorted)
        p95 = Self.nearestRank(95, of: sorted)
        best = sorted.first
        worst = sorted.last
        let mean = rtts.reduce(0, +) / Double(rtts.count)
        avg = mean
        let variance = rtts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rtts.count)
        stdev = variance.squareRoot()
        if rtts.count >= 2 {
            let differences = zip(rtts.dropFirst(), rtts).map { abs($0 - $1) }
            jitter = differences.reduce(0, +) / Double(differences.count)
        } else {
            jitter = nil
        }
    }

    /// The nearest-rank percentile: the value at rank ⌈p/100 × N⌉ of the sorted values.
    /// Integer arithmetic keeps e.g. p95 of 20 values at rank 19 exactly.
    public static func nearestRank(_ percentile: Int, of sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = (percentile * sorted.count + 99) / 100
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
