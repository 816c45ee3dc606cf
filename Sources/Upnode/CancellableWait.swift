import Synchronization

/// A continuation resumed exactly once: by its result, or with `CancellationError` when the
/// waiting task is cancelled. Whichever comes first wins; the other finds nobody waiting.
///
/// The continuation is an unsafe one (no checking box allocated per wait): `Phase` already
/// guarantees it is resumed exactly once, whoever comes first.
///
/// It also carries the id of what is being waited for (a queued transaction, a pending
/// request), so that the cancelling side can remove exactly that entry.
final class CancellableWait<Value: Sendable>: Sendable {
    private enum Phase {
        case starting
        case waiting(UnsafeContinuation<Value, any Error>)
        case cancelled
        case finished
    }

    private struct State {
        var phase = Phase.starting
        var id: Int?
    }

    private let state = Mutex(State())

    /// Stores the continuation. Returns false, having resumed it with `CancellationError`,
    /// when the task was cancelled before it got here.
    func install(_ continuation: UnsafeContinuation<Value, any Error>) -> Bool {
        let wasCancelled = state.withLock { state in
            guard case .starting = state.phase else { return true }
            state.phase = .waiting(continuation)
            return false
        }
        if wasCancelled { continuation.resume(throwing: CancellationError()) }
        return !wasCancelled
    }

    /// Resumes the waiting task. Returns false when it was cancelled first (nobody waits).
    @discardableResult
    func resume(_ result: Result<Value, any Error>) -> Bool {
        let continuation = state.withLock { state -> UnsafeContinuation<Value, any Error>? in
            guard case .waiting(let continuation) = state.phase else { return nil }
            state.phase = .finished
            return continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    /// Cancels the wait: resumes the task with `CancellationError` if it still waits.
    /// Returns whether anything was still waiting (then the caller cleans up after it).
    func cancel() -> Bool {
        let (continuation, wasActive) = state.withLock {
            state -> (UnsafeContinuation<Value, any Error>?, Bool) in
            switch state.phase {
            case .starting:
                state.phase = .cancelled
                return (nil, true)
            case .waiting(let continuation):
                state.phase = .cancelled
                return (continuation, true)
            case .cancelled, .finished:
                return (nil, false)
            }
        }
        continuation?.resume(throwing: CancellationError())
        return wasActive
    }

    var isCancelled: Bool {
        state.withLock { state in
            if case .cancelled = state.phase { return true }
            return false
        }
    }

    /// The id of the entry being waited for. Setting it returns false when the wait was
    /// cancelled meanwhile: the caller must then remove the entry itself.
    var id: Int? { state.withLock { $0.id } }

    func setID(_ id: Int) -> Bool {
        state.withLock { state in
            state.id = id
            if case .cancelled = state.phase { return false }
            return true
        }
    }
}
