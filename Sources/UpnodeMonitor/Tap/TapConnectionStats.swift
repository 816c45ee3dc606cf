import DequeModule
import DnodeProtocol
import OrderedCollections

/// What the tap measured on one tapped connection: traffic, and calls per method.
///
/// Built only from `TapEvent`s, so live and replay agree. Bounded: at most `maxMethods`
/// methods (calls of further methods are counted in `otherCalls`), `latencyWindow`
/// durations per method for the percentiles and `recentCapacity` recent calls.
public struct TapConnectionStats: Equatable, Sendable {
    /// Methods kept per connection.
    public static let maxMethods = 256
    /// First-answer durations kept per method for p50/p95/p99.
    public static let latencyWindow = 512
    /// Finished calls kept for the detail view.
    public static let recentCapacity = 64
    /// Upper bounds of the Prometheus histogram buckets, in seconds (`+Inf` is implied).
    public static let bucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// Seconds of recent calls the calls/s rate covers.
    public static let rateWindow = 10.0
    /// Calls kept per method for the Methods view's call list (in flight ones included).
    public static let tracesPerMethod = 100
    /// Bytes (roughly, as JSON) of arguments or an answer a trace keeps; a larger value (only
    /// with recorded arguments) is kept as its shape, so 100 traces stay small.
    public static let traceValueBudget = 2048

    /// A method as called by one side: server methods are called by the client, and the
    /// other way round (the server's heartbeat calls the client's `ping`).
    public struct MethodKey: Hashable, Sendable, Comparable {
        public var caller: TapSide
        public var method: String
        /// `method` called by `caller`.
        public init(caller: TapSide, method: String) {
            self.caller = caller
            self.method = method
        }
        /// Client calls first, then by name.
        public static func < (lhs: MethodKey, rhs: MethodKey) -> Bool {
            (lhs.caller == .server ? 1 : 0, lhs.method) < (
                rhs.caller == .server ? 1 : 0, rhs.method
            )
        }
        /// `add`, or `← ping` for a method the server calls on the client.
        public var label: String { caller == .client ? method : "← " + method }
    }

    /// Counts and latencies of one method.
    public struct MethodStats: Equatable, Sendable {
        /// Calls made.
        public var calls = 0
        /// Calls waiting for a first answer, not yet unanswered.
        public var inFlight = 0
        /// Calls whose first answer came.
        public var answered = 0
        /// First answers that were errors.
        public var errors = 0
        /// Calls counted unanswered.
        public var unanswered = 0
        /// Answers after the first (streaming callbacks).
        public var streamed = 0
        /// Sum of first-answer durations, milliseconds.
        public var sumMs: Double = 0
        /// Recent first-answer durations, milliseconds.
        public var durations = RingBuffer<Double>(capacity: latencyWindow)
        /// Cumulative counts per `bucketBounds` entry (Prometheus `le` buckets).
        public var buckets = [Int](repeating: 0, count: bucketBounds.count)
        /// Start times of recent calls, for calls/s.
        public var recentStarts = RingBuffer<Double>(capacity: 256)
        /// The latest `tracesPerMethod` calls, oldest first, updated as their answers come.
        public var traces = Deque<CallTrace>()
        /// Nothing counted.
        public init() {}

        /// The newest trace of call `id`, by position.
        func traceIndex(of id: String) -> Int? { traces.lastIndex { $0.id == id } }

        /// Nearest-rank percentile of the recent durations (ms).
        public func percentile(_ p: Int) -> Double? {
            RTTStats.nearestRank(p, of: durations.elements.sorted())
        }

        /// Calls per second over the last `rateWindow` seconds before `now`.
        public func callsPerSecond(now: Double) -> Double {
            let count = recentStarts.elements.count { now - $0 <= rateWindow && $0 <= now }
            return Double(count) / rateWindow
        }
    }

    /// A call the detail view lists.
    public struct CallRecord: Equatable, Sendable {
        public var t: Double
        public var key: MethodKey
        /// `ok`, `error`, or the unanswered reason.
        public var outcome: String
        /// First-answer (or waiting) time, ms.
        public var durMs: Double
        /// The result's shape (or value, when arguments are recorded and it is small).
        public var payload: JSONValue
        /// A finished call of `key`.
        public init(t: Double, key: MethodKey, outcome: String, durMs: Double, payload: JSONValue) {
            self.t = t
            self.key = key
            self.outcome = outcome
            self.durMs = durMs
            self.payload = payload
        }
    }

    /// One call of a method as the Methods view lists it: when, who, how it ended.
    public struct CallTrace: Equatable, Sendable {
        /// Where a call stands.
        public enum Outcome: Equatable, Sendable {
            /// Waiting for its first answer.
            case inFlight
            /// Made without a callback: nothing to wait for.
            case noReply
            /// The first answer was a result.
            case ok
            /// The first answer was an error.
            case error
            /// No first answer in time (`timeout`, `culled`, `evicted`, `closed`).
            case unanswered(reason: String)
        }
        /// The call's id within its connection.
        public var id: String
        /// When it was made.
        public var t: Double
        /// Its arguments: shapes, or values when arguments are recorded.
        public var args: JSONValue
        /// Where it stands now.
        public var outcome: Outcome
        /// Time to the first answer (or until it counted unanswered), ms.
        public var durMs: Double?
        /// Answers seen, streaming ones and late ones included.
        public var answers = 0
        /// The first answer's value or error (shape, or value when arguments are recorded).
        public var payload: JSONValue = .null
        /// A call `id` made at `t`.
        public init(
            id: String, t: Double, args: JSONValue, outcome: Outcome, durMs: Double? = nil,
            answers: Int = 0, payload: JSONValue = .null
        ) {
            self.id = id
            self.t = t
            self.args = args
            self.outcome = outcome
            self.durMs = durMs
            self.answers = answers
            self.payload = payload
        }
    }

    /// The client's address.
    public var client: String
    /// Where the tap connected it.
    public var target: String
    public var bytesC2S = 0
    public var bytesS2C = 0
    public var linesC2S = 0
    public var linesS2C = 0
    /// When anything last happened on the connection.
    public var lastActivityT: Double
    /// Per-method figures, in first-call order.
    public var methods: OrderedDictionary<MethodKey, MethodStats> = [:]
    /// Calls of methods beyond `maxMethods`.
    public var otherCalls = 0
    /// Recently finished calls, oldest first.
    public var recent = RingBuffer<CallRecord>(capacity: recentCapacity)

    /// A connection just opened at `t`.
    public init(client: String, target: String, t: Double) {
        self.client = client
        self.target = target
        self.lastActivityT = t
    }

    /// Calls over all methods.
    public var calls: Int { methods.values.reduce(otherCalls) { $0 + $1.calls } }
    /// Error answers over all methods.
    public var errors: Int { methods.values.reduce(0) { $0 + $1.errors } }
    /// Unanswered calls over all methods.
    public var unanswered: Int { methods.values.reduce(0) { $0 + $1.unanswered } }
    /// Calls in flight over all methods.
    public var inFlight: Int { methods.values.reduce(0) { $0 + $1.inFlight } }

    /// Applies one tap event at `t`; returns whether the first answer of a call was ok
    /// (`true`), an error (`false`), or `nil` for anything else (for the link's call counts).
    @discardableResult
    public mutating func apply(_ event: TapEvent, t: Double) -> Bool? {
        lastActivityT = max(lastActivityT, t)
        switch event {
        case .open:
            return nil
        case .call(let id, let method, let caller, let args, let awaits):
            let key = MethodKey(caller: caller, method: method)
            let kept = update(key) { stats in
                stats.calls += 1
                if awaits { stats.inFlight += 1 }
                stats.recentStarts.append(t)
                stats.traces.append(
                    CallTrace(
                        id: id, t: t, args: Self.kept(args),
                        outcome: awaits ? .inFlight : .noReply))
                if stats.traces.count > Self.tracesPerMethod { stats.traces.removeFirst() }
            }
            if !kept { otherCalls += 1 }
            return nil
        case .result(
            let id, let method, let caller, let n, let ok, let durMs, let late, let payload):
            let key = MethodKey(caller: caller, method: method)
            guard n == 1 else {
                update(key) { stats in
                    stats.streamed += 1
                    if let index = stats.traceIndex(of: id) { stats.traces[index].answers += 1 }
                }
                return nil
            }
            update(key) { stats in
                if let index = stats.traceIndex(of: id) {
                    stats.traces[index].answers += 1
                    // A late answer leaves the call unanswered, as the counts do.
                    if !late { stats.traces[index].outcome = ok ? .ok : .error }
                    if !late || stats.traces[index].durMs == nil {
                        stats.traces[index].durMs = durMs
                    }
                    stats.traces[index].payload = Self.kept(payload)
                }
                stats.answered += 1
                if !late { stats.inFlight = max(0, stats.inFlight - 1) }
                if !ok { stats.errors += 1 }
                stats.sumMs += durMs
                stats.durations.append(durMs)
                let seconds = durMs / 1000
                for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound {
                    stats.buckets[index] += 1
                }
            }
            recent.append(
                CallRecord(
                    t: t, key: key, outcome: ok ? "ok" : "error", durMs: durMs,
                    payload: Self.kept(payload)))
            return ok
        case .unanswered(let id, let method, let caller, let afterMs, let reason):
            let key = MethodKey(caller: caller, method: method)
            update(key) { stats in
                stats.unanswered += 1
                stats.inFlight = max(0, stats.inFlight - 1)
                if let index = stats.traceIndex(of: id) {
                    stats.traces[index].outcome = .unanswered(reason: reason)
                    stats.traces[index].durMs = afterMs
                }
            }
            recent.append(
                CallRecord(t: t, key: key, outcome: reason, durMs: afterMs, payload: .null))
            return nil
        case .traffic(let bytesC2S, let bytesS2C, let linesC2S, let linesS2C):
            self.bytesC2S = bytesC2S
            self.bytesS2C = bytesS2C
            self.linesC2S = linesC2S
            self.linesS2C = linesS2C
            return nil
        }
    }

    /// `value` when it is small, else its shape (else `"<large>"`): what a trace keeps.
    static func kept(_ value: JSONValue) -> JSONValue {
        if fits(value, budget: traceValueBudget) { return value }
        let shape = Redaction.shape(of: value)
        return fits(shape, budget: traceValueBudget) ? shape : .string("<large>")
    }

    /// Whether `value` written as JSON takes about `budget` bytes or fewer; stops early.
    private static func fits(_ value: JSONValue, budget: Int) -> Bool {
        var left = budget
        func walk(_ value: JSONValue) -> Bool {
            switch value {
            case .null, .bool, .int, .double: left -= 8
            case .string(let text): left -= text.utf8.count + 2
            case .array(let items):
                left -= 2
                for item in items where left >= 0 { _ = walk(item) }
            case .object(let members):
                left -= 2
                for (key, item) in members where left >= 0 {
                    left -= key.utf8.count + 3
                    _ = walk(item)
                }
            }
            return left >= 0
        }
        return walk(value)
    }

    /// Runs `body` on `key`'s figures; `false` when the method table is full.
    @discardableResult
    private mutating func update(_ key: MethodKey, _ body: (inout MethodStats) -> Void) -> Bool {
        if methods[key] == nil, methods.count >= Self.maxMethods { return false }
        body(&methods[key, default: MethodStats()])
        return true
    }
}
