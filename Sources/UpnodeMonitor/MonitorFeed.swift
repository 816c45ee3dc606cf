import DnodeProtocol
import Upnode

/// Merges the event streams of many `UpnodeClient`s into one stream of `MonitorEvent`s,
/// stamped with the session clock. The only place where `UpnodeEvent` meets `MonitorEvent`.
public final class MonitorFeed: Sendable {
    /// Every event, in the order stamped.
    public let events: AsyncStream<MonitorEvent>
    let continuation: AsyncStream<MonitorEvent>.Continuation
    let origin: ContinuousClock.Instant

    /// A feed whose t = 0 is `origin`.
    public init(origin: ContinuousClock.Instant = .now) {
        self.origin = origin
        (events, continuation) = AsyncStream.makeStream(of: MonitorEvent.self, bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Seconds since the session started (millisecond precision, as recordings keep).
    public func now() -> Double {
        MonitorEvent.roundedTime((ContinuousClock.now - origin).inSeconds)
    }

    /// Starts forwarding `client`'s events as connection `id`.
    public func watch(_ client: UpnodeClient, as id: ConnectionID) {
        // A handler, not a stream + task per link: no hop per event, nothing per link to keep.
        client.addEventHandler { [weak self] event in self?.emit(Self.kind(of: event), conn: id) }
    }

    /// Adds an event that did not come from a client (a call, a result, a mark, a note).
    public func emit(_ kind: MonitorEvent.Kind, conn: ConnectionID?) {
        continuation.yield(MonitorEvent(t: now(), conn: conn, kind: kind).roundedToRecordingPrecision())
    }

    /// Stops forwarding and ends `events`.
    public func finish() {
        continuation.finish()  // handlers still attached to clients find a finished stream
    }

    /// The monitor form of a client event.
    public static func kind(of event: UpnodeEvent) -> MonitorEvent.Kind {
        switch event {
        case .state(let from, let to, let reason):
            var phase: ConnectPhaseName?
            if case .connecting(let connectPhase) = to { phase = ConnectPhaseName(rawValue: connectPhase.rawValue) }
            return .state(
                from: LinkStateName(rawValue: from.name) ?? .idle, to: LinkStateName(rawValue: to.name) ?? .idle,
                reason: reason.code, detail: reason.detail, phase: phase)
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
                depth: stats.depth, oldestMs: stats.oldestAge?.milliseconds ?? 0, enqueued: stats.enqueued,
                flushed: stats.flushed, expired: stats.expired, failed: stats.failed)
        case .warning(let text):
            return .note(level: .warning, text: text)
        }
    }
}

extension Duration {
    /// Seconds as a Double.
    public var inSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
