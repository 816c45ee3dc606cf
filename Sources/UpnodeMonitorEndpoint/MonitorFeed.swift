import DnodeProtocol
import Synchronization
import Upnode
import UpnodeMonitor

/// Merges the event streams of many `UpnodeClient`s into one stream of `MonitorEvent`s,
/// stamped with the session clock. The only place where `UpnodeEvent` meets `MonitorEvent`:
/// it lives here, next to `Upnode`, so that the monitor core needs no link library. The app
/// watches the links it dials with it; `UpnodeMonitorEndpoint` the links of another app.
///
/// The feed holds at most `capacity` undelivered events. It never drops silently: events
/// that do not fit are counted, and the next event that fits is preceded by a session-wide
/// `note` at level `error` saying how many were lost, so the log, `--json` and recordings
/// all show the gap.
///
/// The consumer (`events`, one at a time) takes events in batches: everything waiting in one
/// lock, then, once it has caught up, a pause of `coalescing` before it looks again. With
/// 10,000 links pinging, handing over one event at a time woke the consumer's thread for
/// every ping (futex, context switch: the largest cost after the links' own timers); now it
/// wakes at most once per `coalescing` under load, and at once for the first event after a
/// quiet spell.
public final class MonitorFeed: Sendable {
    /// Undelivered events the feed holds by default.
    public static let defaultCapacity = 100_000
    /// How long a consumer that has caught up waits for more events to gather before it
    /// looks again (events are then up to this much later; the dashboard draws at 4 Hz).
    public static let coalescing: Duration = .milliseconds(5)

    /// Every event, in the order stamped. One consumer at a time (of this or `batches`).
    public var events: Events { Events(feed: self) }
    /// The same events as `events`, a batch (never empty) at a time: what gathered since the
    /// consumer last looked, for consumers that write or lock once per batch.
    public var batches: Batches { Batches(feed: self) }
    /// The instant of t = 0.
    public let origin: ContinuousClock.Instant
    private let capacity: Int
    private let state = Mutex(Shared())

    /// Events waiting, the consumer waiting for them, and what was lost.
    struct Shared {
        var waiting: [MonitorEvent] = []
        var consumer: CheckedContinuation<Void, Never>?
        var isFinished = false
        /// Not yet reported by a note.
        var unreported = 0
        /// Since the feed started.
        var total = 0
    }

    /// A feed whose t = 0 is `origin`, holding at most `capacity` undelivered events.
    public init(origin: ContinuousClock.Instant = .now, capacity: Int = defaultCapacity) {
        self.origin = origin
        self.capacity = max(1, capacity)
    }

    /// Events dropped since the feed started because the consumer fell behind.
    public var droppedCount: Int { state.withLock { $0.total } }

    /// Seconds since the session started (millisecond precision, as recordings keep).
    public func now() -> Double {
        MonitorEvent.roundedTime((ContinuousClock.now - origin).inSeconds)
    }

    /// Starts forwarding `client`'s events as connection `id`.
    public func watch(_ client: UpnodeClient, as id: ConnectionID) {
        // A handler, not a stream + task per link: no hop per event, nothing per link to keep.
        // Held strongly: the feed holds no client, so there is no cycle, and a weak reference
        // costs every event a side-table retain on the one object all loops share.
        client.addEventHandler { event in
            self.emit(Self.kind(of: event), conn: id)
        }
    }

    /// Adds an event that did not come from a client (a call, a result, a mark, a note).
    public func emit(_ kind: MonitorEvent.Kind, conn: ConnectionID?) {
        // Stamped under the same lock as the append: the feed's order is the order of t,
        // whichever event-loop thread an event comes from.
        let consumer = state.withLock { shared in
            let event = MonitorEvent(t: now(), conn: conn, kind: kind).roundedToRecordingPrecision()
            deliver(event, into: &shared)
            let consumer = shared.consumer
            shared.consumer = nil
            return consumer
        }
        consumer?.resume()
    }

    private func deliver(_ event: MonitorEvent, into shared: inout Shared) {
        guard !shared.isFinished else { return }
        if shared.unreported > 0 {
            guard shared.waiting.count < capacity else {
                // Still full: this event cannot fit either.
                shared.unreported += 1
                shared.total += 1
                return
            }
            shared.waiting.append(
                MonitorEvent(
                    t: event.t, conn: nil,
                    kind: .note(level: .error, text: Self.lossText(shared.unreported))))
            shared.unreported = 0
        }
        guard shared.waiting.count < capacity else {
            shared.unreported += 1
            shared.total += 1
            return
        }
        shared.waiting.append(event)
    }

    static func lossText(_ count: Int) -> String {
        "\(count) event\(count == 1 ? "" : "s") dropped: the dashboard fell behind"
    }

    /// Ends `events` once the events already waiting are delivered; later ones are ignored.
    public func finish() {
        let consumer = state.withLock { shared in
            shared.isFinished = true
            let consumer = shared.consumer
            shared.consumer = nil
            return consumer
        }
        consumer?.resume()  // handlers still attached to clients find a finished feed
    }

    /// What `take` found.
    enum Taken {
        case batch([MonitorEvent])
        case empty
        case finished
    }

    func take() -> Taken {
        state.withLock { shared in
            if !shared.waiting.isEmpty {
                let batch = shared.waiting
                shared.waiting.removeAll(keepingCapacity: true)
                return .batch(batch)
            }
            return shared.isFinished ? .finished : .empty
        }
    }

    /// The next batch of events (never empty), or nil once finished and drained or when the
    /// task is cancelled. Runs in the caller's isolation: no executor hop per batch.
    func nextBatch(isolation: isolated (any Actor)? = #isolation) async -> [MonitorEvent]? {
        var hasPaused = false
        while !Task.isCancelled {
            switch take() {
            case .batch(let batch): return batch
            case .finished: return nil
            case .empty: break
            }
            if !hasPaused {
                // Caught up: let events gather before looking again.
                hasPaused = true
                try? await Task.sleep(for: Self.coalescing)
                continue
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    // Cancelled before this was installed: `onCancel` found no consumer.
                    let ready = state.withLock { shared in
                        guard shared.waiting.isEmpty, !shared.isFinished, !Task.isCancelled
                        else { return true }
                        shared.consumer = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                let consumer = state.withLock { shared in
                    let consumer = shared.consumer
                    shared.consumer = nil
                    return consumer
                }
                consumer?.resume()
            }
        }
        return nil
    }

    /// The feed's events a batch at a time.
    public struct Batches: AsyncSequence, Sendable {
        /// A batch: every event that gathered since the consumer last looked, in order.
        public typealias Element = [MonitorEvent]
        /// The feed never fails; it ends.
        public typealias Failure = Never
        let feed: MonitorFeed

        /// An iterator over the feed's batches.
        public func makeAsyncIterator() -> Iterator { Iterator(feed: feed) }

        /// Asks the feed for the next batch.
        public struct Iterator: AsyncIteratorProtocol {
            let feed: MonitorFeed

            /// The next batch, or nil once the feed is finished and drained.
            public mutating func next() async -> [MonitorEvent]? { await next(isolation: nil) }

            /// The next batch, waiting in the caller's isolation (no executor hop).
            public mutating func next(isolation actor: isolated (any Actor)?) async
                -> [MonitorEvent]?
            {
                await feed.nextBatch(isolation: actor)
            }
        }
    }

    /// The feed's events as an async sequence, delivered batch by batch.
    public struct Events: AsyncSequence, Sendable {
        /// One monitor event.
        public typealias Element = MonitorEvent
        /// The feed never fails; it ends.
        public typealias Failure = Never
        let feed: MonitorFeed

        /// An iterator over the feed's events.
        public func makeAsyncIterator() -> Iterator { Iterator(feed: feed) }

        /// Hands out the current batch, then asks the feed for the next.
        public struct Iterator: AsyncIteratorProtocol {
            let feed: MonitorFeed
            var batch: [MonitorEvent] = []
            var index = 0

            /// The next event, or nil once the feed is finished and drained.
            public mutating func next() async -> MonitorEvent? {
                await next(isolation: nil)
            }

            /// The next event, waiting in the caller's isolation (no executor hop).
            public mutating func next(isolation actor: isolated (any Actor)?) async -> MonitorEvent?
            {
                if index < batch.count {
                    index += 1
                    return batch[index - 1]
                }
                guard let fresh = await feed.nextBatch(isolation: actor) else {
                    batch = []
                    index = 0
                    return nil
                }
                batch = fresh
                index = 1
                return fresh[0]
            }
        }
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
