import Synchronization

/// Fans events out to every subscriber: streams and synchronous handlers.
final class EventBroadcaster: Sendable {
    struct State {
        var next = 0
        var continuations: [Int: AsyncStream<UpnodeEvent>.Continuation] = [:]
        var handlers: [@Sendable (UpnodeEvent) -> Void] = []
        var finished = false
    }

    let state = Mutex(State())

    func subscribe(bufferingNewest limit: Int) -> AsyncStream<UpnodeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: UpnodeEvent.self, bufferingPolicy: .bufferingNewest(limit))
        let isFinished = state.withLock { state in
            if state.finished { return true }
            let id = state.next
            state.next += 1
            state.continuations[id] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.continuations.removeValue(forKey: id) }
            }
            return false
        }
        if isFinished { continuation.finish() }
        return stream
    }

    func addHandler(_ handler: @escaping @Sendable (UpnodeEvent) -> Void) {
        state.withLock { state in
            if !state.finished { state.handlers.append(handler) }
        }
    }

    func yield(_ event: UpnodeEvent) {
        let (continuations, handlers) = state.withLock { state in
            (state.continuations.isEmpty ? [] : Array(state.continuations.values), state.handlers)
        }
        for handler in handlers { handler(event) }
        for continuation in continuations { continuation.yield(event) }
    }

    func finish() {
        let continuations = state.withLock { state in
            state.finished = true
            state.handlers.removeAll()
            defer { state.continuations.removeAll() }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
