import DequeModule

/// The transaction queue: transactions wait while the link is not up (or its connection is
/// above its outbound high-water mark) and start one at a time, in order, once it is (the next
/// when the running one made its first call or ended).
extension LinkStateMachine {
    struct Queued: Sendable {
        let id: Int
        let enqueuedAt: Duration
        let timeout: Duration?
    }

    /// The ids of the waiting transactions, oldest first.
    public var queuedTransactions: [Int] { queue.map(\.id) }

    mutating func enqueue(
        _ id: Int, timeout: Duration?, now: Duration, into actions: inout [Action]
    ) {
        if state == .closed {
            actions.append(.failTransaction(id, .closed))
            return
        }
        if case .up = state, isWritable, queue.isEmpty, startingTransaction == nil {
            queueStats.enqueued += 1
            queueStats.flushed += 1
            startingTransaction = id
            actions.append(.runTransaction(id, generation: generation))
            emitQueue(now: now, into: &actions)
            return
        }
        let limit = configuration.maxQueuedTransactions
        guard queue.count < limit else {
            queueStats.failed += 1
            actions.append(.failTransaction(id, .queueFull(limit: limit)))
            return
        }
        queueStats.enqueued += 1
        queue.append(Queued(id: id, enqueuedAt: now, timeout: timeout))
        if let timeout { actions.append(.arm(.transaction(id), after: timeout)) }
        emitQueue(now: now, into: &actions)
    }

    /// Starts the oldest waiting transaction if the link is up and none is starting.
    mutating func flushQueue(now: Duration, into actions: inout [Action]) {
        guard case .up = state, isWritable, startingTransaction == nil,
            let item = queue.popFirst()
        else {
            return
        }
        if queue.isEmpty { queue = [] }  // an idle link keeps no storage from a burst
        if item.timeout != nil { actions.append(.cancel(.transaction(item.id))) }
        queueStats.flushed += 1
        startingTransaction = item.id
        actions.append(.runTransaction(item.id, generation: generation))
        emitQueue(now: now, into: &actions)
    }

    /// A waiting transaction's timeout fired: it leaves the queue and fails.
    mutating func expire(_ id: Int, now: Duration, into actions: inout [Action]) {
        // Timeouts mostly expire oldest first, so the search and removal are O(1) then.
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return }
        let item = queue.remove(at: index)
        if queue.isEmpty { queue = [] }
        queueStats.expired += 1
        actions.append(.failTransaction(id, .queueTimeout(item.timeout ?? .zero)))
        emitQueue(now: now, into: &actions)
    }

    /// A waiting transaction's task was cancelled: it leaves the queue and never runs.
    mutating func cancel(_ id: Int, now: Duration, into actions: inout [Action]) {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return }
        let item = queue.remove(at: index)
        if queue.isEmpty { queue = [] }
        if item.timeout != nil { actions.append(.cancel(.transaction(id))) }
        queueStats.cancelled += 1
        actions.append(.dropTransaction(id))
        emitQueue(now: now, into: &actions)
    }

    /// Fails every waiting transaction with `error` and empties the queue.
    /// - Returns: whether anything was waiting.
    mutating func failQueue(_ error: UpnodeError, into actions: inout [Action]) -> Bool {
        for item in queue {
            if item.timeout != nil { actions.append(.cancel(.transaction(item.id))) }
            actions.append(.failTransaction(item.id, error))
            queueStats.failed += 1
        }
        let hadQueue = !queue.isEmpty
        queue.removeAll()
        return hadQueue
    }

    mutating func emitQueue(now: Duration, into actions: inout [Action]) {
        queueStats.depth = queue.count
        queueStats.oldestAge = queue.first.map { now - $0.enqueuedAt }
        actions.append(.emit(.queue(queueStats)))
    }
}
