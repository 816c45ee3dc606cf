import Synchronization

/// Transactions waiting to run, and the gate that lets a transaction skip the queue.
///
/// Each entry is taken exactly once, to run or to fail. A queued transaction blocks the fast
/// path from the moment it is admitted until its first call is on the wire (or it ended), so a
/// later transaction can never overtake it.
final class TransactionTable: Sendable {
    struct Entry: Sendable {
        let run: @Sendable (Remote) -> Void
        let fail: @Sendable (UpnodeError) -> Void
        /// Fires once: at the first call, when the body ends, or when the entry fails.
        let started = FirstCallFlag()
    }

    enum Admission {
        case runNow(Remote)
        case queued(Int)
    }

    struct State {
        var next = 0
        var entries: [Int: Entry] = [:]
        /// Queued transactions that have not made their first call yet.
        var blocking = 0
        /// The up link's remote, while the link is up; nil while down.
        var idleRemote: Remote?
        var idleGeneration: UInt64 = 0

        mutating func remove(_ id: Int) -> Entry? {
            let entry = entries.removeValue(forKey: id)
            if entries.isEmpty { entries = [:] }  // an idle link keeps no storage from a burst
            return entry
        }
    }

    let state = Mutex(State())

    /// The remote to run a transaction with at once: the link is up and nothing is ahead.
    func remoteIfIdle() -> Remote? {
        state.withLock { $0.blocking == 0 ? $0.idleRemote : nil }
    }

    func admit(
        run: @escaping @Sendable (Remote) -> Void, fail: @escaping @Sendable (UpnodeError) -> Void,
        allowImmediate: Bool
    ) -> Admission {
        state.withLock { state in
            if allowImmediate, state.blocking == 0, let remote = state.idleRemote {
                return .runNow(remote)
            }
            let id = state.next
            state.next += 1
            state.entries[id] = Entry(run: run, fail: fail)
            state.blocking += 1
            return .queued(id)
        }
    }

    func setIdleRemote(_ remote: Remote?, generation: UInt64) {
        state.withLock { state in
            state.idleRemote = remote
            state.idleGeneration = generation
        }
    }

    /// Called by the connection as it closes, before anything else hears of it.
    func clearIdleRemote(generation: UInt64) {
        state.withLock { state in
            if state.idleGeneration == generation { state.idleRemote = nil }
        }
    }

    /// A queued transaction made its first call or ended: later ones may run at once again.
    func unblock() {
        state.withLock { $0.blocking -= 1 }
    }

    func take(_ id: Int) -> Entry? {
        state.withLock { $0.remove(id) }
    }

    func fail(_ id: Int, _ error: UpnodeError) {
        guard let entry = state.withLock({ $0.remove(id) }) else { return }
        if entry.started.fire() { unblock() }
        entry.fail(error)
    }

    /// Removes a transaction without telling it anything (its waiting task was cancelled).
    func drop(_ id: Int) {
        guard let entry = state.withLock({ $0.remove(id) }) else { return }
        if entry.started.fire() { unblock() }
    }

    /// Transactions admitted and not yet taken to run or fail (tests check nothing is left).
    var count: Int { state.withLock { $0.entries.count } }

    func failAll(_ error: UpnodeError) {
        let entries = state.withLock { state in
            defer { state.entries.removeAll() }
            return Array(state.entries.values)
        }
        for entry in entries {
            if entry.started.fire() { unblock() }
            entry.fail(error)
        }
    }
}

final class FirstCallFlag: Sendable {
    let fired = Atomic<Bool>(false)
    func fire() -> Bool { !fired.exchange(true, ordering: .relaxed) }
}
