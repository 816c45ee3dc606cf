import DnodeProtocol
import NIOCore
import Synchronization
import UpnodeMonitor

/// One process reading the endpoint: its channel and the bytes handed to it that the kernel
/// has not taken yet.
final class Subscriber: Sendable {
    let id: Int
    let channel: any Channel
    /// Bytes written but not yet flushed to the socket; above the limit the subscriber is
    /// dropped, so a reader that stops reading costs at most the limit.
    let queued = Atomic<Int>(0)

    init(id: Int, channel: any Channel) {
        self.id = id
        self.channel = channel
    }

    /// Writes `line`; false when that would pass `limit` queued bytes (nothing is written).
    ///
    /// The write is always handed to the channel's loop, never done in place: the hub calls
    /// this under its lock, also from the loop itself (a new subscriber), and a write that
    /// fails there at once would close the channel and re-enter the hub. Handed over under
    /// the lock, lines reach the loop in the hub's order.
    func send(_ line: [UInt8], limit: Int) -> Bool {
        let size = line.count
        let total = queued.add(size, ordering: .relaxed).newValue
        guard total <= limit else { return false }
        let channel = self.channel
        let buffer = channel.allocator.buffer(bytes: line)
        channel.eventLoop.execute {
            channel.writeAndFlush(buffer).whenComplete { _ in
                self.queued.subtract(size, ordering: .relaxed)
            }
        }
        return true
    }
}

/// The endpoint's state and readers: the app's links as a `MonitorState` (so that a new
/// reader starts from a snapshot), the header, and the subscribers.
///
/// Everything happens under one lock, so that every subscriber sees the header, then a
/// snapshot, then exactly the events after it, in the order they were applied.
final class EndpointHub: Sendable {
    struct State {
        var header: RecordingHeader
        var monitor: MonitorState
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var lastT = 0.0
        var isFinished = false
        var stats = MonitorEndpointStatistics()
    }

    let limit: Int
    let maxSubscribers: Int
    let state: Mutex<State>

    init(header: RecordingHeader, limit: Int, maxSubscribers: Int) {
        self.limit = limit
        self.maxSubscribers = maxSubscribers
        state = Mutex(State(header: header, monitor: MonitorState(connections: [])))
    }

    var statistics: MonitorEndpointStatistics {
        state.withLock { state in
            var stats = state.stats
            stats.subscribers = state.subscribers.count
            return stats
        }
    }

    /// Adds a link, in `first`'s state when given. Readers already attached are closed: the
    /// connection set is fixed per header (docs/RECORDING.md, "Header"), so they reattach and
    /// read the new one.
    /// The id is the next free one, taken under the lock (registrations may race).
    func add(
        _ info: (ConnectionID) -> ConnectionInfo, first: ((ConnectionID) -> MonitorEvent)? = nil
    ) -> ConnectionID {
        let (id, closing) = state.withLock { state -> (ConnectionID, [Subscriber]) in
            let id = ConnectionID(index: state.header.connections.count)
            state.header.connections.append(info(id))
            // The snapshot form keeps every link's history and the log; the new link starts idle.
            state.monitor =
                (try? MonitorState(
                    json: state.monitor.toJSON(), connections: state.header.connections))
                ?? MonitorState(connections: state.header.connections)
            if let first {
                let event = first(id)
                state.monitor.apply(event)
                state.lastT = max(state.lastT, event.t)
            }
            defer { state.subscribers.removeAll() }
            return (id, Array(state.subscribers.values))
        }
        for subscriber in closing { subscriber.channel.close(promise: nil) }
        return id
    }

    /// Applies an event and sends it to every subscriber; one that cannot keep up is dropped.
    func publish(_ event: MonitorEvent) {
        let dropped = state.withLock { state -> [Subscriber] in
            guard !state.isFinished else { return [] }
            state.monitor.apply(event)
            state.lastT = max(state.lastT, event.t)
            state.stats.events += 1
            guard !state.subscribers.isEmpty else { return [] }
            let line = RecordingEncoder.line(event)
            var dropped: [Subscriber] = []
            for subscriber in state.subscribers.values
            where !subscriber.send(line, limit: limit) {
                dropped.append(subscriber)
            }
            for subscriber in dropped { state.subscribers[subscriber.id] = nil }
            state.stats.droppedSubscribers += dropped.count
            return dropped
        }
        for subscriber in dropped { subscriber.channel.close(promise: nil) }
    }

    /// Starts a subscriber: the header and a snapshot at `now`, then every later event.
    /// Returns its id, or nil when the endpoint is finished or full (the channel is closed).
    @discardableResult
    func subscribe(_ channel: any Channel, now: Double) -> Int? {
        let id = state.withLock { state -> Int? in
            guard !state.isFinished, state.subscribers.count < maxSubscribers else {
                state.stats.refusedSubscribers += 1
                return nil
            }
            let id = state.nextID
            state.nextID += 1
            let subscriber = Subscriber(id: id, channel: channel)
            let t = max(state.lastT, now)
            let opening =
                RecordingEncoder.line(state.header)
                + RecordingEncoder.snapLine(state.monitor, t: t)
            guard subscriber.send(opening, limit: max(limit, opening.count)) else { return nil }
            state.subscribers[id] = subscriber
            state.stats.subscriptions += 1
            return id
        }
        if id == nil { channel.close(promise: nil) }
        return id
    }

    /// Counts a reader refused before it subscribed (another user).
    func countRefused() {
        state.withLock { $0.stats.refusedSubscribers += 1 }
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
    }

    /// Writes `end` to every subscriber and closes them; nothing is published after it.
    func finish(t: Double) -> [any Channel] {
        state.withLock { state in
            guard !state.isFinished else { return [] }
            state.isFinished = true
            let t = max(state.lastT, t)
            let channels = state.subscribers.values.map { subscriber -> any Channel in
                let end = RecordingEncoder.line(
                    MonitorEvent(t: t, conn: nil, kind: .end(reason: .stopped, lines: 0)))
                _ = subscriber.send(end, limit: Int.max)
                return subscriber.channel
            }
            state.subscribers.removeAll()
            return channels
        }
    }
}

/// Counters of a monitor endpoint, for the app's own logs and for tests.
public struct MonitorEndpointStatistics: Sendable, Equatable {
    /// Readers attached now.
    public var subscribers = 0
    /// Readers that were attached since the endpoint opened.
    public var subscriptions = 0
    /// Readers dropped because they fell more than the buffer behind.
    public var droppedSubscribers = 0
    /// Readers refused: another user, or too many readers.
    public var refusedSubscribers = 0
    /// Events published since the endpoint opened.
    public var events = 0
    /// Counters at zero.
    public init() {}
}
