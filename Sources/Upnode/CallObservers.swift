import DnodeProtocol
import Synchronization

/// A request an app made through a client's transactions (`up`, `whenUp`), for monitors such
/// as an `UpnodeMonitorEndpoint` (see ``UpnodeClient/addCallHandler(_:)``).
///
/// Only `Remote.request` calls are reported (they have an answer to time); the connect hook's
/// calls (an `auth`) never are.
public enum UpnodeCallEvent: Sendable {
    /// Request `id` to `method` was sent; `queued` when it ran from the transaction queue.
    case sent(id: Int, method: String, arguments: [DnodeValue], queued: Bool)
    /// Request `id` ended after `duration`: its callback's first arguments, or the error
    /// (an `UpnodeError`, or `CancellationError` when the calling task was cancelled).
    case finished(id: Int, duration: Duration, result: Result<[DnodeValue], any Error>)
}

/// The call handlers of one client; empty (and free) unless a monitor asked.
final class CallObservers: Sendable {
    struct State {
        var handlers: [@Sendable (UpnodeCallEvent) -> Void] = []
        var next = 0
    }

    let state = Mutex(State())
    /// Read on every request: set once a handler is added, never cleared.
    let isObserved = Atomic(false)

    func add(_ handler: @escaping @Sendable (UpnodeCallEvent) -> Void) {
        state.withLock { $0.handlers.append(handler) }
        isObserved.store(true, ordering: .releasing)
    }

    /// A new request id and the handlers, or nil when nobody watches.
    func begin() -> (id: Int, handlers: [@Sendable (UpnodeCallEvent) -> Void])? {
        guard isObserved.load(ordering: .acquiring) else { return nil }
        return state.withLock { state in
            state.next += 1
            return (state.next, state.handlers)
        }
    }
}

extension UpnodeClient {
    /// Calls `handler` with every request the app's transactions make on this link and how it
    /// ended (synchronously, on whichever thread sent or answered it: return quickly). The
    /// connect hook's calls are never reported. Without a handler requests cost nothing extra.
    public nonisolated func addCallHandler(_ handler: @escaping @Sendable (UpnodeCallEvent) -> Void)
    {
        callObservers.add(handler)
    }
}
