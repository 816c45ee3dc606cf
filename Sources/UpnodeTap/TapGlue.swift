import NIOCore
import UpnodeMonitor

/// One half of a tapped connection: reads one channel and writes what it read, the very
/// same `ByteBuffer`s, to the other half's channel.
///
/// Backpressure: a half reads only while its partner's channel is writable, so when one side
/// stops reading, the other side is no longer read either and at most one read burst waits
/// above the partner's write-buffer water mark. Half-close is mirrored: when a side sends
/// FIN, the other side's output is shut once everything before it was written.
final class TapGlue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The direction of the bytes this half reads.
    let direction: TapDirection
    let pair: TapPair
    private var context: ChannelHandlerContext?
    private var readHeld = false
    private var early: [ByteBuffer] = []
    /// Run once when the channel becomes active (the client half dials the target then: a
    /// unix socket connects at once, and the pair must not start before the client is up).
    var onActive: (() -> Void)?

    init(direction: TapDirection, pair: TapPair) {
        self.direction = direction
        self.pair = pair
    }

    private var partner: TapGlue? { direction == .c2s ? pair.serverHalf : pair.clientHalf }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func channelActive(context: ChannelHandlerContext) {
        let action = onActive
        onActive = nil
        action?()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { pair.monitor.observe($0, direction: direction) }
        if pair.isPaired {
            partner?.write(buffer)
        } else {
            // Read before the target was connected (a channel may read once as it becomes
            // active): kept until the pair is complete; reading is held meanwhile.
            early.append(buffer)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pair.isPaired { partner?.flush() }
    }

    /// Hands what was read before the pair was complete to the partner.
    func flushEarly() {
        guard !early.isEmpty, let partner else { return }
        for buffer in early { partner.write(buffer) }
        early = []
        partner.flush()
    }

    /// Reading waits until the partner exists (the target is being dialled) and while it
    /// cannot take more.
    func read(context: ChannelHandlerContext) {
        if pair.isPaired, let partner, partner.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            pair.inputEnded(direction)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pair.halfClosed(direction)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pair.failed(direction, error)
        context.close(promise: nil)
    }

    // MARK: Called by the partner, on the same event loop.

    fileprivate func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    fileprivate func flush() { context?.flush() }

    func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    /// Shuts this half's output (or closes it) once what was written before has gone out.
    func closeAfterWrites(fully: Bool) {
        guard let context else { return }
        let channel = context.channel
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)), promise: done)
        done.futureResult.whenComplete { _ in
            channel.close(mode: fully ? .all : .output, promise: nil)
        }
    }

    /// Starts reading once the pair is complete (reads asked for before were held).
    func startReading() {
        guard let context else { return }
        readHeld = false
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }
}

/// The two halves of one tapped connection and what they share; lives on their event loop.
final class TapPair {
    let monitor: TapConnectionMonitor
    var clientHalf: TapGlue?
    var serverHalf: TapGlue?
    private var inputEnded: Set<TapDirection> = []
    /// Set once the target is connected; until then reads are kept, not forwarded.
    private(set) var isPaired = false
    /// The side that ended first (FIN or close), for the reason text.
    private var firstEnded: TapDirection?
    private var finished = false
    /// Called once when both halves are gone, with the reason.
    var onFinish: ((_ reason: String, _ detail: String?) -> Void)?
    private var failure: String?

    init(monitor: TapConnectionMonitor) {
        self.monitor = monitor
    }

    /// Both channels are up: what was read early goes out, ends seen early are mirrored,
    /// and both sides are read from now on.
    func paired() {
        isPaired = true
        clientHalf?.flushEarly()
        serverHalf?.flushEarly()
        for direction in TapDirection.allCases where inputEnded.contains(direction) {
            mirrorEnd(direction)
        }
        clientHalf?.startReading()
        serverHalf?.startReading()
    }

    /// A side sent FIN: the other side's output is shut after the bytes before it.
    func inputEnded(_ direction: TapDirection) {
        monitor.ended(direction)
        inputEnded.insert(direction)
        if firstEnded == nil { firstEnded = direction }
        if isPaired { mirrorEnd(direction) }
    }

    private func mirrorEnd(_ direction: TapDirection) {
        let receiver = direction == .c2s ? serverHalf : clientHalf
        receiver?.closeAfterWrites(fully: inputEnded.count == 2)
        if inputEnded.count == 2 {
            (direction == .c2s ? clientHalf : serverHalf)?.closeAfterWrites(fully: true)
        }
    }

    /// A channel went away: the other one follows, after its pending writes.
    func halfClosed(_ direction: TapDirection) {
        if !inputEnded.contains(direction) {
            inputEnded.insert(direction)
            monitor.ended(direction)
        }
        if firstEnded == nil { firstEnded = direction }
        let other = direction == .c2s ? serverHalf : clientHalf
        if direction == .c2s { clientHalf = nil } else { serverHalf = nil }
        other?.closeAfterWrites(fully: true)
        guard clientHalf == nil, serverHalf == nil, !finished else { return }
        finished = true
        monitor.closed()
        let reason = failure == nil ? "remote_closed" : "io_error"
        let closer = TapConnectionMonitor.words(firstEnded ?? direction)
        onFinish?(reason, failure ?? "\(closer) closed")
        onFinish = nil
    }

    func failed(_ direction: TapDirection, _ error: any Error) {
        let text = "\(TapConnectionMonitor.words(direction)): \(error)"
        if failure == nil { failure = text }
    }
}
