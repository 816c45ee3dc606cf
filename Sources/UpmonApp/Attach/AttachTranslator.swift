import DnodeProtocol
import UpnodeMonitor

/// Turns what one app's monitor endpoint sends (docs/RECORDING.md, "JSON output is a
/// recording") into events for upmon's own links. Pure: lines in, events out.
///
/// The app's links get upmon ids of their own (`c3` in the app may be `c5` here), matched by
/// name on every attach, so an app that restarts and registers the same names lands on the
/// same rows. A `snap` becomes the transitions that bring each row to the app's state, and
/// losing the app (`detach`) takes every row down with the reason `detached`.
public struct AttachTranslator: Sendable {
    /// Reason code of the transitions made when upmon attaches to an app.
    public static let attachedReason = "attached"
    /// Reason code of the transitions made when the app goes away.
    public static let detachedReason = "detached"

    /// The app's link names, mapped to upmon's ids (fixed for the whole session).
    public let localIDs: [String: ConnectionID]
    /// The app's header from the latest attach.
    public private(set) var header: RecordingHeader?
    /// App id → upmon id, for the current attach.
    var mapping: [ConnectionID: ConnectionID] = [:]
    /// The state each of upmon's rows is in, as the translator made it.
    public private(set) var states: [ConnectionID: LinkStateName] = [:]

    /// A translator for an app whose links were named `localIDs` when upmon started.
    public init(localIDs: [String: ConnectionID]) {
        self.localIDs = localIDs
        for id in localIDs.values { states[id] = .idle }
    }

    /// upmon's rows for the links an app lists in `header`, numbered from `firstIndex`; with a
    /// `prefix`, names read `prefix/name`.
    public static func connections(
        of header: RecordingHeader, firstIndex: Int, prefix: String?
    ) -> [ConnectionInfo] {
        header.connections.enumerated().map { offset, link in
            ConnectionInfo(
                id: ConnectionID(index: firstIndex + offset),
                name: prefix.map { "\($0)/\(link.name)" } ?? link.name,
                endpoint: link.endpoint, options: link.options)
        }
    }

    /// A new attach: the app sent `header`. Returns notes for links the app has now that
    /// upmon did not know when it started (they are not shown).
    public mutating func attach(_ header: RecordingHeader) -> [MonitorEvent.Kind] {
        self.header = header
        mapping = [:]
        var unknown: [String] = []
        for link in header.connections {
            if let local = localIDs[link.name] {
                mapping[link.id] = local
            } else {
                unknown.append(link.name)
            }
        }
        guard !unknown.isEmpty else { return [] }
        return [
            .note(
                level: .warning,
                text:
                    "the app has links upmon did not see at start (\(unknown.joined(separator: ", "))); "
                    + "restart upmon attach to show them")
        ]
    }

    /// The events for one line after the header.
    public mutating func translate(_ line: RecordingLine) -> [(ConnectionID?, MonitorEvent.Kind)] {
        switch line {
        case .event(let event):
            if case .end = event.kind { return [] }
            guard let appID = event.conn else { return [(nil, event.kind)] }
            guard let local = mapping[appID] else { return [] }
            if case .state(_, let to, _, _, _) = event.kind { states[local] = to }
            return [(local, event.kind)]
        case .snap(let t, let json):
            guard let header,
                let state = try? MonitorState(json: json, connections: header.connections)
            else { return [] }
            return snapshot(state, at: t)
        case .ignored:
            return []
        }
    }

    /// Transitions that bring each row to the app's state at `t`, with what the row shows
    /// at once: the remote's methods, the queue, the latest round trip.
    mutating func snapshot(_ state: MonitorState, at t: Double) -> [(
        ConnectionID?, MonitorEvent.Kind
    )] {
        var events: [(ConnectionID?, MonitorEvent.Kind)] = []
        for link in state.connections {
            guard let local = mapping[link.id] else { continue }
            let from = states[local] ?? .idle
            let age = max(0, t - link.since)
            events.append(
                (
                    local,
                    .state(
                        from: from, to: link.state, reason: Self.attachedReason,
                        detail: "the app's link has been \(link.state.rawValue) for "
                            + DashboardFormat.duration(age),
                        phase: link.phase)
                ))
            states[local] = link.state
            if !link.methods.isEmpty { events.append((local, .remoteMethods(link.methods))) }
            let queue = link.queue
            events.append(
                (
                    local,
                    .queue(
                        depth: queue.depth,
                        oldestMs: queue.oldestT.map { max(0, t - $0) * 1000 } ?? 0,
                        enqueued: queue.enqueued, flushed: queue.flushed, expired: queue.expired,
                        failed: queue.failed)
                ))
            if let rtt = link.rtt.last?.rttMs { events.append((local, .ping(rttMs: rtt))) }
        }
        return events
    }

    /// The app went away: every row that is not already down goes down, saying why.
    public mutating func detach(because text: String) -> [(ConnectionID?, MonitorEvent.Kind)] {
        header = nil
        mapping = [:]
        var events: [(ConnectionID?, MonitorEvent.Kind)] = []
        for (local, state) in states.sorted(by: { $0.key < $1.key }) where state != .down {
            events.append(
                (
                    local,
                    .state(
                        from: state, to: .down, reason: Self.detachedReason, detail: text,
                        phase: nil)
                ))
            states[local] = .down
        }
        return events
    }
}
