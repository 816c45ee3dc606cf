import DnodeProtocol
import Synchronization
import Upnode
import UpnodeMonitor

/// Merges the event streams of many `UpnodeClient`s into one stream of `MonitorEvent`s,
/// stamped with the session clock. The only place where `UpnodeEvent` meets `MonitorEvent`:
/// it lives here, next to `Upnode`, so that the monitor core needs no link library. The app
/// watches the links it dials with it; `UpnodeMonitorEndpoint` the links of another app.
///
/// The stream holds at most `capacity` undelivered events. It never drops silently: events
/// that do not fit are counted, and the next event that fits is preceded by a session-wide
/// `note` at level `error` saying how many were lost, so the log, `--json` and recordings
/// all show the gap.
public final class MonitorFeed: Sendable {
    /// Undelivered events the stream holds by default.
    public static let defaultCapacity = 100_000

    /// Every event, in the order stamped.
    public let events: AsyncStream<MonitorEvent>
    let continuation: AsyncStream<MonitorEvent>.Continuation
    let origin: ContinuousClock.Instant
    private let losses = Mutex(Losses())

    /// Events the stream refused.
    struct Losses {
        /// Not yet reported by a note.
        var unreported = 0
        /// Since the feed started.
        var total = 0
    }

    /// A feed whose t = 0 is `origin`, holding at most `capacity` undelivered events.
    public init(origin: ContinuousClock.Instant = .now, capacity: Int = defaultCapacity) {
        self.origin = origin
        // Oldest: when full, the new event is refused (and counted), never one already queued.
        (events, continuation) = AsyncStream.makeStream(
            of: MonitorEvent.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
    }

    /// Events dropped since the feed started because the consumer fell behind.
    public var droppedCount: Int { losses.withLock { $0.total } }

    /// Seconds since the session started (millisecond precision, as recordings keep).
    public func now() -> Double {
        MonitorEvent.roundedTime((ContinuousClock.now - origin).inSeconds)
    }

    /// Starts forwarding `client`'s events as connection `id`.
    public func watch(_ client: UpnodeClient, as id: ConnectionID) {
        // A handler, not a stream + task per link: no hop per event, nothing per link to keep.
        client.addEventHandler { [weak self] event in
            self?.emit(Self.kind(of: event), conn: id)
        }
    }

    /// Adds an event that did not come from a client (a call, a result, a mark, a note).
    public func emit(_ kind: MonitorEvent.Kind, conn: ConnectionID?) {
        // Stamped under the same lock as the yield: the stream's order is the order of t,
        // whichever event-loop thread an event comes from.
        losses.withLock { losses in
            let event = MonitorEvent(t: now(), conn: conn, kind: kind).roundedToRecordingPrecision()
            deliver(event, losses: &losses)
        }
    }

    private func deliver(_ event: MonitorEvent, losses: inout Losses) {
        if losses.unreported > 0 {
            let note = MonitorEvent(
                t: event.t, conn: nil,
                kind: .note(level: .error, text: Self.lossText(losses.unreported)))
            switch continuation.yield(note) {
            case .enqueued:
                losses.unreported = 0
            case .dropped:
                // Still full: this event cannot fit either.
                losses.unreported += 1
                losses.total += 1
                return
            case .terminated:
                return
            @unknown default:
                return
            }
        }
        if case .dropped = continuation.yield(event) {
            losses.unreported += 1
            losses.total += 1
        }
    }

    static func lossText(_ count: Int) -> String {
        "\(count) event\(count == 1 ? "" : "s") dropped: the dashboard fell behind"
    }

    /// Stops forwarding and ends `events`.
    public func finish() {
        continuation.finish()  // handlers still attached to clients find a finished stream
    }

    /// A reason's text for people; an oversize line names upmon's own setting to raise.
    static func detail(of reason: LinkReason) -> String? {
        guard case .frameTooLong(let limit) = reason else { return reason.detail }
        return LinkReason.lineTooLongText(
            limit: limit, setting: "max_line in the config or --max-line")
    }

    /// The monitor form of a client event.
    public static func kind(of event: UpnodeEvent) -> MonitorEvent.Kind {
        switch event {
        case .state(let from, let to, let reason):
            var phase: ConnectPhaseName?
            if case .connecting(let connectPhase) = to {
                phase = ConnectPhaseName(rawValue: connectPhase.rawValue)
            }
            return .state(
                from: LinkStateName(rawValue: from.name) ?? .idle,
                to: LinkStateName(rawValue: to.name) ?? .idle,
                reason: reason.code, detail: detail(of: reason), phase: phase)
        case .remoteMethods(let methods):
            return .remoteMethods(methods)
        case .ping(let rtt):
            return .ping(rttMs: rtt.milliseconds)
        case .pingTimeout(let after, let consecutive):
            return .pingTimeout(afterMs: after.milliseconds, consecutive: consecutive)
        case .reconnectScheduled(let attempt, let delay):
            return .reconnect(attempt: attempt, delayMs: delay.milliseconds)
        case .queue(let stats):
            return .queue(
                depth: stats.depth, oldestMs: stats.oldestAge?.milliseconds ?? 0,
                enqueued: stats.enqueued, flushed: stats.flushed, expired: stats.expired,
                failed: stats.failed)
        case .warning(let text):
            return .note(level: .warning, text: text)
        }
    }
}
