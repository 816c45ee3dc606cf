import DnodeProtocol
import NIOCore

/// The other side of a link: its exported methods, callable by dotted name.
///
/// A `Remote` belongs to one connection. After that connection ends, calls through it fail
/// with `UpnodeError.linkLost` — they are never sent on a later connection, whose callback
/// ids mean something else.
public struct Remote: Sendable {
    let handle: ConnectionHandle
    /// The exported object (the remote's `methods`, or an object such as an auth session).
    /// `nil` means "whatever the peer's latest `methods` said" (looked up at call time).
    public let root: DnodeValue?
    /// Told about the first call made through this remote (keeps queued transactions in order).
    let onCall: (@Sendable () -> Void)?
    /// Where requests are counted by result (a client's link with a metrics backend).
    let metrics: LinkMetrics?
    /// Who hears of requests (a client's transactions, never its connect hook).
    let calls: CallObservers?
    /// Whether this remote runs a transaction that waited in the queue.
    let isQueued: Bool

    init(
        handle: ConnectionHandle, root: DnodeValue?, onCall: (@Sendable () -> Void)? = nil,
        metrics: LinkMetrics? = nil, calls: CallObservers? = nil, isQueued: Bool = false
    ) {
        self.handle = handle
        self.root = root
        self.onCall = onCall
        self.metrics = metrics
        self.calls = calls
        self.isQueued = isQueued
    }

    /// Dotted paths of the remote's functions (empty when not known yet).
    public var methods: [String] { root?.functionPaths() ?? [] }

    /// A remote for an object the peer sent, e.g. the session object returned by `auth`.
    public func object(_ value: DnodeValue) -> Remote {
        Remote(
            handle: handle, root: value, onCall: onCall, metrics: metrics, calls: calls,
            isQueued: isQueued)
    }

    /// Calls `method(arguments…, callback)` and returns the callback's first invocation's
    /// arguments.
    ///
    /// Throws `UpnodeError.linkLost` if the link dies first, `requestTimeout` after `timeout`,
    /// and `CancellationError` when the calling task is cancelled: the request's callback is
    /// then released at once and a late answer is ignored (the remote may still have run it).
    public func request(_ method: String, _ arguments: [DnodeValue] = [], timeout: Duration? = nil)
        async throws -> [DnodeValue]
    {
        let target = try function(method)
        try Task.checkCancellation()
        let wait = CancellableWait<[DnodeValue]>()
        let handle = self.handle
        let observed = calls?.begin()
        // Read the clock only for someone who times the call.
        let started = observed == nil ? nil : ContinuousClock.now
        if let observed {
            let sent = UpnodeCallEvent.sent(
                id: observed.id, method: method, arguments: arguments, queued: isQueued)
            for handler in observed.handlers { handler(sent) }
        }
        let outcome: Result<[DnodeValue], any Error>
        do {
            outcome = .success(
                try await withTaskCancellationHandler {
                    try await withUnsafeThrowingContinuation { continuation in
                        guard wait.install(continuation) else { return }
                        send(method, to: target, arguments, timeout: timeout, wait: wait) {
                            wait.resume($0.mapError { $0 as any Error })
                        }
                        // Signal only after the send is queued on the loop, so the next queued
                        // transaction's calls can never overtake this one.
                        onCall?()
                    }
                } onCancel: {
                    // Behind the send on the loop: the request is registered by then, or never.
                    guard wait.cancel() else { return }
                    handle.onLoop { connection in
                        if let id = wait.id { connection.cancelRequest(id) }
                    }
                })
        } catch {
            outcome = .failure(error)
        }
        if let metrics { metrics.countCall(Self.resultCode(outcome)) }
        if let observed {
            let finished = UpnodeCallEvent.finished(
                id: observed.id, duration: started.map { ContinuousClock.now - $0 } ?? .zero,
                result: outcome)
            for handler in observed.handlers { handler(finished) }
        }
        return try outcome.get()
    }

    /// `ok`, an `UpnodeError`'s code, or `cancelled`: the `result` dimension of call metrics.
    static func resultCode(_ outcome: Result<[DnodeValue], any Error>) -> String {
        switch outcome {
        case .success: "ok"
        case .failure(let error as UpnodeError): error.code
        case .failure(is CancellationError): "cancelled"
        case .failure: "other"
        }
    }

    /// Like `request`, but reports the result to `complete` (on the event loop) instead of awaiting.
    func requestDetached(
        _ method: String, _ arguments: [DnodeValue] = [],
        complete: @escaping @Sendable (Result<[DnodeValue], UpnodeError>) -> Void
    ) throws(UpnodeError) {
        send(
            method, to: try function(method), arguments, timeout: nil, wait: nil,
            complete: complete)
    }

    /// Queues the request on the connection's event loop; `target` nil means "look the method
    /// up in the peer's latest methods there". A cancelled `wait` sends nothing.
    private func send(
        _ method: String, to target: DnodeFunction?, _ arguments: [DnodeValue], timeout: Duration?,
        wait: CancellableWait<[DnodeValue]>?,
        complete: @escaping @Sendable (Result<[DnodeValue], UpnodeError>) -> Void
    ) {
        let handle = self.handle
        handle.onLoop { connection in
            if let wait, wait.isCancelled { return }
            guard let target = target ?? connection.remoteFunction(method) else {
                complete(.failure(.noSuchMethod(method)))
                return
            }
            let id = connection.request(
                target, method: method, arguments: arguments, timeout: timeout, handle: handle,
                complete: complete)
            if let wait, let id, !wait.setID(id) { connection.cancelRequest(id) }
        }
    }

    /// Calls `method(arguments…)` without waiting; callbacks inside `arguments` are invoked
    /// whenever the peer calls them. Calls keep their order.
    public func call(_ method: String, _ arguments: [DnodeValue] = []) throws(UpnodeError) {
        let target = try function(method)
        handle.onLoop { connection in
            guard let target = target ?? connection.remoteFunction(method) else {
                connection.onEvent(
                    .warning("call of '\(method)' dropped: the remote has no such method"))
                return
            }
            do {
                try connection.send(target, arguments: arguments)
            } catch {
                connection.onEvent(.warning("call of '\(method)' failed: \(error)"))
            }
        }
        onCall?()  // after the send is queued: keeps queued transactions in order
    }

    /// Invokes a function the peer passed us (typically the callback of an incoming call).
    public func invoke(_ function: DnodeFunction, _ arguments: [DnodeValue] = []) {
        handle.onLoop { connection in
            do {
                try connection.send(function, arguments: arguments)
            } catch {
                connection.onEvent(.warning("callback invocation failed: \(error)"))
            }
        }
    }

    /// Ends this connection (the client reconnects according to its policy).
    public func disconnect() { handle.close(reason: .remoteClosed) }

    func function(_ method: String) throws(UpnodeError) -> DnodeFunction? {
        guard let root else { return nil }
        guard let function = root.value(atDottedPath: method)?.function else {
            throw .noSuchMethod(method)
        }
        return function
    }
}

extension DnodeConnection {
    /// The peer's function at a dotted path, from its latest `methods`.
    func remoteFunction(_ method: String) -> DnodeFunction? {
        session.remote?.value(atDottedPath: method)?.function
    }

    /// - Returns: the pending request's id, or nil when it failed at once.
    func request(
        _ target: DnodeFunction, method: String, arguments: [DnodeValue], timeout: Duration?,
        handle: ConnectionHandle,
        complete: @escaping @Sendable (Result<[DnodeValue], UpnodeError>) -> Void
    ) -> Int? {
        let id = nextRequestID
        request(target, method: method, arguments: arguments, handle: handle, complete: complete)
        guard pending[id] != nil else { return nil }
        guard let timeout, let context else { return id }
        let loopHandle = handle
        context.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.milliseconds * 1_000_000))) {
            loopHandle.onLoop { connection in
                guard let request = connection.pending.removeValue(forKey: id) else { return }
                connection.session.release(request.callback)
                request.complete(.failure(.requestTimeout(method: method, after: timeout)))
            }
        }
        return id
    }

    /// Forgets a request whose task was cancelled: its callback is released, so a late
    /// answer finds nothing to call.
    func cancelRequest(_ id: Int) {
        guard let request = pending.removeValue(forKey: id) else { return }
        if pending.isEmpty { pending = [:] }
        session.release(request.callback)
    }
}
