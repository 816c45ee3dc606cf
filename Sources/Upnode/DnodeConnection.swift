import DnodeProtocol
import NIOCore
import NIOSSL

/// What a connection tells its owner (client or server), in order.
enum ConnectionEvent: Sendable {
    case remoteReady(remote: DnodeValue, methods: [String])
    case warning(String)
    case closed(LinkReason)
}

/// One dnode connection, confined to its channel's event loop.
///
/// The session, the pending requests and the write path all live on the event loop, so a
/// message costs no thread or actor hop; replies written while handling a read are flushed
/// once per read burst (`channelReadComplete`).
///
/// Backpressure (docs/PROTOCOL.md, "Backpressure"): while the channel is not writable
/// (outbound bytes above the write-buffer high-water mark) the connection handles no more
/// lines and withholds `read()`, so a peer that sends without reading cannot grow this side;
/// below the low-water mark it handles what it buffered, in order, and reads again.
final class DnodeConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var session: DnodeSession
    var framer: LineFramer
    let defaultOnEvent: @Sendable (ConnectionEvent) -> Void
    /// Set by the server once the handle exists (the initial closure cannot capture it).
    var onEventOverride: (@Sendable (ConnectionEvent) -> Void)?
    var heartbeat: RepeatedTask?
    var outstandingPingSince: NIODeadline?
    /// The client's heartbeat, once it has sent a ping (HeartbeatPing.swift).
    var heartbeatPing: HeartbeatPing?

    func onEvent(_ event: ConnectionEvent) {
        (onEventOverride ?? defaultOnEvent)(event)
    }
    var context: ChannelHandlerContext?
    var pending: [Int: PendingRequest] = [:]
    var nextRequestID = 0
    var isReading = false
    var needsFlush = false
    var closeReason: LinkReason?
    var isClosed = false
    var scratch: [UInt8] = []
    /// The channel is above its high-water mark: handle no lines, read nothing.
    var isPaused = false
    /// A `read()` came while paused; it is passed on when the connection resumes.
    var readWithheld = false
    /// Told when outbound backpressure starts (`false`) and ends (`true`): the client holds
    /// new transactions back meanwhile.
    var onWritabilityChanged: (@Sendable (Bool) -> Void)?

    struct PendingRequest {
        let method: String
        let callback: LocalCallback
        let complete: @Sendable (Result<[DnodeValue], UpnodeError>) -> Void
    }

    init(
        session: DnodeSession, maxLineBytes: Int,
        onEvent: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.session = session
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
        self.defaultOnEvent = onEvent
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            becameActive = true
            sendMethods()
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive = true
        sendMethods()
        context.fireChannelActive()
    }

    /// A channel that never connected is reported by the dial's failure (refused, TLS …),
    /// not as a close of a link that never existed.
    var becameActive = false

    private var hasSentMethods = false

    /// Send `methods` first thing: an RST before it kills a Node server.
    /// See docs/PROTOCOL.md, "Talking to Node peers".
    func sendMethods() {
        guard !hasSentMethods else { return }
        hasSentMethods = true
        do {
            if let message = try session.start() { write(message) }
        } catch {
            onEvent(.warning("cannot export methods: \(error)"))
        }
        flushIfNeeded()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        isReading = true
        do {
            try framer.append(&bytes, while: { !isPaused }, onLine: { line in handleLine(line) })
        } catch {
            fail(.frameTooLong(limit: framer.maxLineBytes), context: context)
        }
    }

    /// Outbound `read()`: withheld while paused, so the socket is not read (autoRead asks
    /// again after every read burst).
    func read(context: ChannelHandlerContext) {
        if isPaused {
            readWithheld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if !writable {
            isPaused = true
        } else if isPaused {
            // Not from inside NIO's write path that reported the change.
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { bound.value.resume() }
        }
        onWritabilityChanged?(writable)
        context.fireChannelWritabilityChanged()
    }

    /// Below the low-water mark again: handle the lines buffered while paused (stopping again
    /// if they push the channel over the high-water mark), then read from the peer again.
    func resume() {
        guard isPaused, !isClosed, let context, context.channel.isWritable else { return }
        isPaused = false
        isReading = true
        do {
            try framer.resume(while: { !isPaused }, onLine: { line in handleLine(line) })
        } catch {
            fail(.frameTooLong(limit: framer.maxLineBytes), context: context)
        }
        isReading = false
        flushIfNeeded()
        if !isPaused, readWithheld {
            readWithheld = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func handleLine(_ line: ByteBufferView) {
        guard !isClosed else { return }
        if heartbeatPing != nil {
            if heartbeatPing?.isReply(line) == true { return heartbeatReplied() }
            if HeartbeatPing.mayBeCull(line) { heartbeatPing?.isStale = true }
        }
        let actions =
            line.withContiguousStorageIfAvailable { session.receive(line: $0) }
            ?? session.receive(line: Array(line))
        perform(actions)
    }

    func perform(_ actions: [DnodeSession.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                write(message)
            case .invoke(let callback, let arguments):
                callback.invoke(arguments)
            case .remoteReady(let remote, let methods, _):
                onEvent(.remoteReady(remote: remote, methods: methods))
            case .error(let error):
                if error.isFatal, let context {
                    fail(.protocolError(error.description), context: context)
                } else {
                    onEvent(.warning(error.description))
                }
            }
        }
    }

    func write(_ message: DnodeMessage) {
        guard let context, !isClosed else { return }
        scratch.removeAll(keepingCapacity: true)
        message.encode(into: &scratch)
        var buffer = context.channel.allocator.buffer(capacity: scratch.count)
        buffer.writeBytes(scratch)
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        if !isReading && !flushScheduled {
            // Coalesce: one flush after every write queued in this event-loop tick.
            flushScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute {
                bound.value.flushScheduled = false
                bound.value.flushIfNeeded()
            }
        }
    }
    var flushScheduled = false

    func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        // The encoding space serves one burst of writes; an idle link should not keep it.
        scratch = []
        context.flush()
    }

    /// Calls the remote function `target`; `complete` gets the first callback invocation.
    func request(
        _ target: DnodeFunction, method: String, arguments: [DnodeValue], handle: ConnectionHandle,
        complete: @escaping @Sendable (Result<[DnodeValue], UpnodeError>) -> Void
    ) {
        guard !isClosed else {
            complete(.failure(.linkLost(method: method)))
            return
        }
        let id = nextRequestID
        nextRequestID += 1
        let callback = LocalCallback(label: method, isOneShot: true) { arguments in
            handle.onLoop { connection in connection.completeRequest(id, arguments) }
        }
        pending[id] = PendingRequest(method: method, callback: callback, complete: complete)
        do {
            write(try session.invoke(target, arguments + [.function(.local(callback))]))
        } catch {
            pending[id] = nil
            complete(.failure(.protocolError(error)))
        }
    }

    func completeRequest(_ id: Int, _ arguments: [DnodeValue]) {
        let request = pending.removeValue(forKey: id)
        // An idle link should not keep the storage of its busiest moment (RSS per idle link).
        if pending.isEmpty { pending = [:] }
        request?.complete(.success(arguments))
    }

    /// Sends a call without waiting for anything.
    func send(_ target: DnodeFunction, arguments: [DnodeValue]) throws(DnodeProtocolError) {
        guard !isClosed else { return }
        write(try session.invoke(target, arguments))
    }

    func fail(_ reason: LinkReason, context: ChannelHandlerContext) {
        if closeReason == nil { closeReason = reason }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let isTLS = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
        fail(isTLS ? .tlsError("\(error)") : .ioError("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(closeReason ?? .remoteClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(closeReason ?? .remoteClosed)
        self.context = nil
    }

    /// Calls that were sent and never answered fail with `linkLost` (Node drops them silently).
    func finish(_ reason: LinkReason) {
        guard !isClosed else { return }
        isClosed = true
        heartbeat?.cancel()
        heartbeat = nil
        // The peer is gone: buffered input and the scratch space go with it.
        framer.reset()
        scratch = []
        onWritabilityChanged = nil
        heartbeatPing = nil  // its callback and waiting reply hold this connection and the client
        let unanswered = pending.values
        pending.removeAll()
        session.close()
        // Report the close first: a caller reacting to linkLost must find the link already
        // down, so its next call waits in the queue instead of dying on this connection.
        if becameActive { onEvent(.closed(reason)) }
        for request in unanswered { request.complete(.failure(.linkLost(method: request.method))) }
    }
}

extension DnodeConnection {
    /// The server side of the heartbeat: ping the client every `interval`; close the link if
    /// a ping stays unanswered for `timeout`. Only one ping is in flight at a time.
    func startHeartbeat(interval: Duration, timeout: Duration, handle: ConnectionHandle) {
        guard heartbeat == nil, !isClosed, let context else { return }
        let period = TimeAmount.nanoseconds(Int64(interval.milliseconds * 1_000_000))
        let limit = TimeAmount.nanoseconds(Int64(timeout.milliseconds * 1_000_000))
        heartbeat = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) {
            _ in
            handle.onLoop { $0.heartbeatTick(limit: limit, handle: handle) }
        }
    }

    func heartbeatTick(limit: TimeAmount, handle: ConnectionHandle) {
        guard !isClosed, let context else { return }
        if let since = outstandingPingSince {
            if NIODeadline.now() - since > limit { fail(.pingTimeout, context: context) }
            return
        }
        guard let ping = remoteFunction("ping") else { return }
        outstandingPingSince = .now()
        request(ping, method: "ping", arguments: [], handle: handle) { _ in
            handle.onLoop { $0.outstandingPingSince = nil }
        }
    }
}

/// A thread-safe reference to a `DnodeConnection`: work is run on its event loop, in order.
///
/// Kept to one reference and one loop: every `Remote`, the client and some callbacks hold a
/// copy for the link's life (each field here costs an idle link once per copy).
public struct ConnectionHandle: Sendable {
    let connection: NIOLoopBound<DnodeConnection>

    var eventLoop: any EventLoop { connection.eventLoop }

    init(connection: DnodeConnection, channel: any Channel) {
        self.connection = NIOLoopBound(connection, eventLoop: channel.eventLoop)
    }

    /// Runs `body` on the connection's event loop: at once when already there, else queued
    /// behind earlier work (so calls keep their order).
    func onLoop(_ body: @escaping @Sendable (DnodeConnection) -> Void) {
        if eventLoop.inEventLoop {
            body(connection.value)
        } else {
            let connection = self.connection
            eventLoop.execute { body(connection.value) }
        }
    }

    /// Closes the connection with FIN, never RST (docs/PROTOCOL.md, "Talking to Node peers").
    func close(reason: LinkReason) {
        onLoop { connection in
            if let context = connection.context { connection.fail(reason, context: context) }
        }
    }
}
