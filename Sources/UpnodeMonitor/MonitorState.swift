import DnodeProtocol

/// What the dashboard knows about every link: the single model both live and replay views read.
///
/// `apply(_:)` is a pure reducer; it never reads a clock, and anything that depends on the
/// current time takes `now` as a parameter. The state never holds call arguments, so
/// snapshots of it (recording `snap` lines) carry none. Memory is bounded: see
/// `ConnectionStats` for the per-connection limits, plus a global log of `logCapacity`
/// entries.
public struct MonitorState: Equatable, Sendable {
    /// Entries kept in the global event log.
    public static let logCapacity = 500

    /// Counters summed over all connections, kept up to date by `apply` rather than scanned.
    public struct Totals: Equatable, Sendable {
        /// Links per state; states with none are absent.
        public var connectionsByState: [LinkStateName: Int] = [:]
        /// Reconnect attempts scheduled.
        public var reconnects = 0
        /// Successful calls.
        public var callsOK = 0
        /// Failed calls.
        public var callsErr = 0
        /// Transactions waiting across all queues.
        public var queueDepth = 0
        /// Ping timeouts since the session began.
        public var pingTimeouts = 0
        /// All zero.
        public init() {}

        /// Number of links currently in `state`.
        public func count(in state: LinkStateName) -> Int { connectionsByState[state] ?? 0 }

        /// What one link adds to the totals.
        struct Share: Equatable {
            var state: LinkStateName
            var reconnects, callsOK, callsErr, queueDepth, pingTimeouts: Int

            init(_ stats: borrowing ConnectionStats) {
                state = stats.state
                reconnects = stats.reconnects
                callsOK = stats.calls.ok
                callsErr = stats.calls.err
                queueDepth = stats.queue.depth
                pingTimeouts = stats.pingTimeouts
            }
        }

        mutating func add(_ stats: ConnectionStats, sign: Int) { add(Share(stats), sign: sign) }

        mutating func add(_ share: Share, sign: Int) {
            let count = (connectionsByState[share.state] ?? 0) + sign
            connectionsByState[share.state] = count == 0 ? nil : count
            reconnects += sign * share.reconnects
            callsOK += sign * share.callsOK
            callsErr += sign * share.callsErr
            queueDepth += sign * share.queueDepth
            pingTimeouts += sign * share.pingTimeouts
        }
    }

    /// Per-link statistics in header order.
    public internal(set) var connections: [ConnectionStats]
    /// The global event log, oldest first.
    public internal(set) var log = RingBuffer<LogEntry>(capacity: logCapacity)
    /// Counters across all links.
    public internal(set) var totals = Totals()
    /// Links that left the session (`link_removed`), in the order they left; snapshots keep
    /// them so that a replay does not bring a header link back as `idle`.
    public private(set) var departed: [ConnectionID] = []
    /// What the links in `departed` were, for words about them after they left (an alert
    /// hook's `UPMON_CONN`); not part of snapshots.
    public private(set) var departedInfo: [ConnectionID: ConnectionInfo] = [:]
    /// Alerts firing and recently resolved, as the `alert` events said.
    public internal(set) var alerts = AlertBook()
    var indexByID: [ConnectionID: Int]

    /// An initial state: every link `idle` since `t = 0`, nothing measured.
    public init(connections infos: [ConnectionInfo]) {
        self.init(stats: infos.map { ConnectionStats(info: $0) }, log: [])
    }

    /// A state made of existing per-link statistics (used when decoding snapshots).
    init(
        stats: [ConnectionStats], log: [LogEntry], departed: [ConnectionID] = [],
        alerts: AlertBook = AlertBook()
    ) {
        self.departed = departed
        connections = stats
        self.alerts = alerts
        var index: [ConnectionID: Int] = [:]
        for (position, entry) in stats.enumerated() where index[entry.id] == nil {
            index[entry.id] = position
        }
        indexByID = index
        self.log = RingBuffer(capacity: Self.logCapacity, elements: log)
        var totals = Totals()
        for entry in stats { totals.add(entry, sign: 1) }
        self.totals = totals
    }

    /// The statistics of link `id`, if it is part of the session.
    public subscript(id: ConnectionID) -> ConnectionStats? {
        indexByID[id].map { connections[$0] }
    }

    /// Whether `id` names a link of this session.
    public func contains(_ id: ConnectionID) -> Bool { indexByID[id] != nil }

    /// What link `id` is or was (also after it left the session, when this state saw it go).
    public func info(of id: ConnectionID) -> ConnectionInfo? {
        self[id]?.info ?? departedInfo[id]
    }

    public static func == (lhs: MonitorState, rhs: MonitorState) -> Bool {
        lhs.connections == rhs.connections && lhs.log == rhs.log && lhs.totals == rhs.totals
            && lhs.departed == rhs.departed
            && lhs.alerts == rhs.alerts
    }

    /// Updates the state with one event. Events for unknown links only reach the log when
    /// they are session-wide kinds; otherwise they are ignored.
    public mutating func apply(_ event: MonitorEvent) {
        switch event.kind {
        case .mark(let label):
            appendLog(event, .mark(label: label))
            return
        case .note(let level, let text):
            appendLog(event, .note(text: text), level: level)
            return
        case .end(let reason, _):
            appendLog(event, .end(reason: reason))
            return
        case .linkAdded(let name, let endpoint, let options):
            guard let conn = event.conn else { return }
            let info = ConnectionInfo(id: conn, name: name, endpoint: endpoint, options: options)
            addLink(info, at: event.t)
            appendLog(
                event,
                .linkAdded(
                    name: MonitorText.bounded(name), endpoint: MonitorText.bounded(endpoint)))
            return
        case .linkRemoved(let reason):
            guard let conn = event.conn, let name = removeLink(conn, t: event.t) else { return }
            appendLog(
                event, .linkRemoved(name: name, reason: MonitorText.bounded(reason)))
            return
        case .alert(let change):
            guard let conn = event.conn, contains(conn) else { return }
            alerts.apply(change, conn: conn, t: event.t)
            let logged = LogEntry.Event.alert(
                rule: MonitorText.bounded(change.rule), state: change.state, value: change.value,
                threshold: change.threshold)
            appendLog(event, logged, level: change.state == .firing ? .error : .info)
        case .tap(let tapEvent):
            applyTap(tapEvent, t: event.t, conn: event.conn)
            return
        default:
            break
        }
        guard let conn = event.conn, let index = indexByID[conn] else { return }
        // Most events (pings) leave the link's share of the totals as it was: skip the two
        // dictionary updates then (removing a share and adding it back changes nothing).
        let before = Totals.Share(connections[index])
        let entry = Self.update(&connections[index], with: event)
        let after = Totals.Share(connections[index])
        if before != after {
            totals.add(before, sign: -1)
            totals.add(after, sign: 1)
        }
        if let (logged, level) = entry {
            appendLog(event, logged, level: level)
        }
    }

    private mutating func appendLog(
        _ event: MonitorEvent, _ logged: LogEntry.Event, level: NoteLevel = .info
    ) {
        log.append(LogEntry(t: event.t, conn: event.conn, level: level, event: logged))
    }

    /// Applies a per-link event and returns the log entry it produces, if any.
    private static func update(
        _ stats: inout ConnectionStats, with event: MonitorEvent
    ) -> (LogEntry.Event, NoteLevel)? {
        let t = event.t
        switch event.kind {
        case .state(let from, let to, let reason, let detail, let phase):
            return applyTransition(
                &stats, t: t, from: from, to: to, reason: reason, detail: detail, phase: phase)
        case .ping(let rttMs):
            stats.rtt.append(.init(t: t, rttMs: rttMs))
            stats.pingCount += 1
            stats.pingSumMs += rttMs
            return nil
        case .pingTimeout(let afterMs, let consecutive):
            stats.rtt.append(.init(t: t, rttMs: nil))
            stats.pingTimeouts += 1
            return (.pingTimeout(afterMs: afterMs, consecutive: consecutive), .warning)
        case .reconnect(let attempt, let delayMs):
            stats.attempt = attempt
            stats.reconnects += 1
            stats.nextRetryT = t + delayMs / 1000
            return (.reconnect(attempt: attempt, delayMs: delayMs), .info)
        case .queue(let depth, let oldestMs, let enqueued, let flushed, let expired, let failed):
            let newlyExpired = expired - stats.queue.expired
            stats.queue.depth = depth
            stats.queue.oldestT = depth > 0 ? t - oldestMs / 1000 : nil
            stats.queue.enqueued = enqueued
            stats.queue.flushed = flushed
            stats.queue.expired = expired
            if let failed { stats.queue.failed = failed }
            guard newlyExpired > 0 else { return nil }
            return (.queueExpired(count: newlyExpired), .warning)
        case .call(let id, let method, let origin, _, _):
            let name = MonitorText.bounded(method)
            stats.pendingCalls.append(.init(id: id, method: name))
            if stats.pendingCalls.count > ConnectionStats.maxPendingCalls {
                stats.pendingCalls.removeFirst(
                    stats.pendingCalls.count - ConnectionStats.maxPendingCalls)
            }
            return (.call(method: name, origin: origin), .info)
        case .result(let id, let n, let ok, let durMs, let payload, _):
            let method =
                stats.pendingCalls.last(where: { $0.id == id })?.method ?? MonitorText.bounded(id)
            let isTimeout = !ok && payload["code"]?.stringValue == "timeout"
            if n == 1 {
                if ok { stats.calls.ok += 1 } else { stats.calls.err += 1 }
                if isTimeout { stats.calls.timeouts += 1 }
                stats.calls.lastDurationMs = durMs
            }
            let summary = ok ? nil : MonitorText.errorCode(payload)
            return (
                .result(method: method, n: n, ok: ok, durMs: durMs, errorCode: summary),
                ok ? .info : .warning
            )
        case .remoteMethods(let methods):
            stats.methods = methods.prefix(ConnectionStats.maxMethods).map(MonitorText.bounded)
            return (.remoteMethods(count: methods.count), .info)
        case .mark, .note, .end, .linkAdded, .linkRemoved, .alert, .tap:
            return nil
        }
    }

    /// A link joins at `t`: `idle` since then, last in the table's default order. A link the
    /// state already has is left as it is.
    private mutating func addLink(_ info: ConnectionInfo, at t: Double) {
        guard indexByID[info.id] == nil else { return }
        var stats = ConnectionStats(info: info)
        stats.since = t
        stats.updownSince = t
        departed.removeAll { $0 == info.id }
        indexByID[info.id] = connections.count
        connections.append(stats)
        totals.add(stats, sign: 1)
    }

    /// A link leaves: its statistics go, its id is remembered in `departed`, its firing alerts
    /// end. Returns its name, or nil when the state has no such link.
    private mutating func removeLink(_ id: ConnectionID, t: Double) -> String? {
        guard let index = indexByID[id] else { return nil }
        let stats = connections.remove(at: index)
        totals.add(stats, sign: -1)
        indexByID = [:]
        for (position, entry) in connections.enumerated() where indexByID[entry.id] == nil {
            indexByID[entry.id] = position
        }
        departed.append(id)
        departedInfo[id] = stats.info
        alerts.resolveDeparted(id, t: t)
        return stats.info.name
    }

    private static func applyTransition(
        _ stats: inout ConnectionStats, t: Double, from: LinkStateName, to: LinkStateName,
        reason: String, detail: String?, phase: ConnectPhaseName?
    ) -> (LogEntry.Event, NoteLevel) {
        let logged = LogEntry.Event.transition(
            from: from, to: to, reason: MonitorText.bounded(reason),
            detail: detail.map(MonitorText.bounded))
        if reason == LinkReasonName.held {
            stats.isHeld = true
            stats.nextRetryT = nil
        }
        if to == .down || to == .closed {
            // The cause, kept through the retry cycle so every mode can say why.
            stats.downReason = MonitorText.bounded(reason)
            stats.downDetail = detail.map(MonitorText.bounded)
        }
        if to == stats.state {
            // Same-state events (held while down, a new connecting phase) change no history.
            if to == .connecting { stats.phase = phase }
            return (logged, .info)
        }
        if stats.firstAttemptT == nil && to != .idle {
            stats.firstAttemptT = t
            stats.updownSince = t
        }
        if (stats.state == .up) != (to == .up) { stats.updownSince = t }
        if to == .down { stats.failures += 1 }
        if stats.state == .up {
            stats.upSeconds += max(0, t - stats.since)
            stats.disconnects += 1
        }
        stats.state = to
        stats.since = t
        stats.phase = to == .connecting ? phase : nil
        stats.history.append(.init(t: t, state: to))
        switch to {
        case .connecting:
            stats.isHeld = false
            stats.nextRetryT = nil
        case .up:
            stats.attempt = 0
            stats.failures = 0
            stats.downReason = nil
            stats.downDetail = nil
            stats.connects += 1
            stats.nextRetryT = nil
        case .closed, .idle:
            stats.nextRetryT = nil
        case .down, .reconnecting:
            break
        }
        let level: NoteLevel = (to == .down && reason != LinkReasonName.held) ? .warning : .info
        return (logged, level)
    }
}
