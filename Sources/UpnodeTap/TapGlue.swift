import NIOCore
import NIOSSL
import NIOTLS
import UpnodeMonitor

/// One half of a tapped connection: reads one channel and hands what it read, the very same
/// `ByteBuffer`s, to the pair, which writes them to the other half's channel.
///
/// Backpressure: a half reads only while its partner's channel is writable, so when one side
/// stops reading, the other side is no longer read either and at most one read burst waits
/// above the partner's write-buffer water mark. With TLS under it, the half is ready once the
/// handshake completed, and until then its reads pass (the handshake needs them).
final class TapGlue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The direction of the bytes this half reads.
    let direction: TapDirection
    let pair: TapPair
    /// A TLS handler sits under this half: ready means handshake done, not channel active.
    let waitsForHandshake: Bool
    private var context: ChannelHandlerContext?
    private var readHeld = false
    private(set) var isReady = false
    private var outputShut = false
    private var closing = false

    init(direction: TapDirection, pair: TapPair, waitsForHandshake: Bool = false) {
        self.direction = direction
        self.pair = pair
        self.waitsForHandshake = waitsForHandshake
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if waitsForHandshake {
            // The handshake's first read (autoRead is off; NIOSSL asks for the next ones).
            context.read()
        } else {
            becomeReady()
        }
    }

    private func becomeReady() {
        guard !isReady else { return }
        isReady = true
        pair.ready(direction)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { pair.monitor.observe($0, direction: direction) }
        pair.forward(buffer, from: direction)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pair.flush(from: direction)
    }

    /// Reads pass while the handshake runs; then as the pair allows (see `TapPair.mayRead`).
    func read(context: ChannelHandlerContext) {
        if !isReady || pair.mayRead(direction) {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pair.becameWritable(direction) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            pair.inputEnded(direction)
            return
        }
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            becomeReady()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pair.gone(direction)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TCP FIN without TLS close_notify: the `inputClosed` that follows ends this side.
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls { return }
        pair.failed(direction, error, beforeReady: !isReady)
        context.close(promise: nil)
    }

    // MARK: Called by the pair, on the same event loop.

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() { context?.flush() }

    func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    /// Shuts this half's output once what was written before has gone out (TLS sends its
    /// close_notify then); `fully` closes the channel after that.
    func closeAfterWrites(fully: Bool) {
        guard let context, !closing else { return }
        if fully { closing = true }
        let channel = context.channel
        if outputShut {
            if fully { channel.close(promise: nil) }
            return
        }
        outputShut = true
        let done = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: done)
        guard fully else { return }
        done.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Closes the channel at once, pending writes dropped.
    func closeNow() {
        closing = true
        context?.close(promise: nil)
    }

    /// Runs `action` after `delay` on this half's loop (nil once the half is gone).
    func schedule(in delay: TimeAmount, _ action: @escaping () -> Void) -> Scheduled<Void>? {
        guard let loop = context?.eventLoop else { return nil }
        let bound = NIOLoopBound(action, eventLoop: loop)
        return loop.scheduleTask(in: delay) { bound.value() }
    }

    /// Starts reading once the pair is complete (reads asked for before were held).
    func startReading() {
        guard let context else { return }
        readHeld = false
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }
}
