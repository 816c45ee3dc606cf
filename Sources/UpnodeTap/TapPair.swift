import NIOCore
import NIOSSL
import UpnodeMonitor

/// The two halves of one tapped connection, what they share and the row's life: lives on
/// their event loop (both channels are on it), so it needs no lock.
///
/// Nothing a side sent is lost because the other side was slow or already gone:
/// - bytes read before the target is ready wait here and go out first once it is, followed
///   by the client's end (FIN) when it came meanwhile, even if the client is gone by then;
/// - an end (FIN) is mirrored to the other side after the bytes before it;
/// - when one side is gone, the other side's output is shut after its pending writes and it
///   is still read, decoded and not forwarded, until it ends (at most `drainTimeout`), so
///   answers to calls of a client that left are counted.
final class TapPair {
    enum Phase { case connecting, up, finished }

    let monitor: TapConnectionMonitor
    var clientHalf: TapGlue?
    var serverHalf: TapGlue?
    /// Dials the target; run once, when the client half is ready (TCP up, TLS handshake done).
    var dial: (() -> Void)?
    /// Run once when the target is ready (the server starts the tick there).
    var onUp: (() -> Void)?
    /// How long a side is still read after the other side went away.
    var drainTimeout: TimeAmount = .seconds(10)
    /// The periodic tick of this connection, cancelled when it finishes.
    var tick: RepeatedTask?
    /// Set once the target is ready; until then reads are kept, not forwarded.
    private(set) var isPaired = false
    private(set) var phase = Phase.connecting
    private var dialling = false
    private var ended: Set<TapDirection> = []
    private var gone: Set<TapDirection> = []
    private var early: [TapDirection: [ByteBuffer]] = [:]
    /// The side that ended first (FIN or close), for the reason text.
    private var firstEnded: TapDirection?
    /// The first error on an established connection.
    private var failure: (reason: String, detail: String)?
    /// Why the connection never came up (target refused, TLS handshake failed, …).
    private var setupFailure: (reason: String, detail: String)?
    private var drainTimer: Scheduled<Void>?

    init(monitor: TapConnectionMonitor) {
        self.monitor = monitor
    }

    private func half(_ direction: TapDirection) -> TapGlue? {
        direction == .c2s ? clientHalf : serverHalf
    }

    private static func other(_ direction: TapDirection) -> TapDirection {
        direction == .c2s ? .s2c : .c2s
    }

    // MARK: Life of the connection

    /// A half is ready: the client's dials the target, the target's completes the pair.
    func ready(_ direction: TapDirection) {
        if direction == .c2s {
            guard let dial else { return }
            self.dial = nil
            dialling = true
            dial()
        } else if phase == .connecting {
            phase = .up
            emit(from: .connecting, to: .up, reason: LinkReasonName.ready, detail: nil)
            let action = onUp
            onUp = nil
            action?()
            paired()
        }
    }

    /// The dial finished; `failure` when there will be no target channel.
    func dialFinished(failure: (reason: String, detail: String)?) {
        dialling = false
        if let failure {
            // A channel that never connected never goes inactive: its half is let go here.
            serverHalf = nil
            targetFailed(reason: failure.reason, detail: failure.detail)
        }
        finishIfDone()
    }

    /// The target's TLS handshake is not done `after` the dial: its channel is closed and the
    /// row goes down (`connect_timeout`). Nothing happens once the pair is up or gone.
    func handshakeTimedOut(after: TimeAmount) {
        guard phase == .connecting, let serverHalf else { return }
        if failure == nil {
            failure = (
                LinkReasonName.connectTimeout,
                "the server: no TLS handshake within \(after.nanoseconds / 1_000_000) ms"
            )
        }
        serverHalf.closeNow()
    }

    /// The target could not be reached or set up: the client is closed, the row goes down.
    private func targetFailed(reason: String, detail: String) {
        if setupFailure == nil {
            setupFailure = (reason, detail)
            monitor.note(.warning, detail)
        }
        clientHalf?.closeNow()
    }

    /// Both ready: what was read early goes out, ends seen early are mirrored, a side that
    /// already left is handled as if it left now, and both sides are read from now on.
    private func paired() {
        isPaired = true
        for direction in TapDirection.allCases {
            guard let held = early.removeValue(forKey: direction), !held.isEmpty,
                let receiver = half(Self.other(direction))
            else { continue }
            for buffer in held { receiver.write(buffer) }
            receiver.flush()
        }
        early = [:]
        for direction in TapDirection.allCases where ended.contains(direction) {
            if gone.contains(direction) { otherSideLeft(direction) } else { mirrorEnd(direction) }
        }
        clientHalf?.startReading()
        serverHalf?.startReading()
    }

    // MARK: Bytes

    /// Bytes read from `direction`'s sender (already decoded): to the other side, kept
    /// until the pair is complete, or dropped when the other side is gone.
    func forward(_ buffer: ByteBuffer, from direction: TapDirection) {
        guard !gone.contains(Self.other(direction)) else { return }
        if isPaired, let receiver = half(Self.other(direction)) {
            receiver.write(buffer)
        } else {
            early[direction, default: []].append(buffer)
        }
    }

    func flush(from direction: TapDirection) {
        if isPaired { half(Self.other(direction))?.flush() }
    }

    /// Whether `direction`'s sender may be read: once paired, while the other side takes
    /// more, or always when the other side is gone (it is drained).
    func mayRead(_ direction: TapDirection) -> Bool {
        guard isPaired else { return false }
        if gone.contains(Self.other(direction)) { return true }
        return half(Self.other(direction))?.isWritable ?? false
    }

    /// `direction`'s channel can take more: the other side may be read again.
    func becameWritable(_ direction: TapDirection) {
        half(Self.other(direction))?.resumeReading()
    }

    // MARK: Ends

    /// `direction`'s sender sent FIN.
    func inputEnded(_ direction: TapDirection) {
        guard ended.insert(direction).inserted else { return }
        monitor.ended(direction)
        if firstEnded == nil { firstEnded = direction }
        guard isPaired else { return }
        if gone.contains(Self.other(direction)) {
            // Drained to its end: nobody is left to write to.
            half(direction)?.closeAfterWrites(fully: true)
        } else {
            mirrorEnd(direction)
        }
    }

    /// The other side's output is shut after the bytes before the end; both ended, both close.
    private func mirrorEnd(_ direction: TapDirection) {
        let both = ended.count == 2
        half(Self.other(direction))?.closeAfterWrites(fully: both)
        if both { half(direction)?.closeAfterWrites(fully: true) }
    }

    /// `direction`'s channel is gone.
    func gone(_ direction: TapDirection) {
        if direction == .c2s { clientHalf = nil } else { serverHalf = nil }
        gone.insert(direction)
        if ended.insert(direction).inserted { monitor.ended(direction) }
        if firstEnded == nil { firstEnded = direction }
        if isPaired {
            otherSideLeft(direction)
        } else if direction == .s2c {
            let detail =
                failure?.detail ?? "the server closed the connection before it was ready"
            targetFailed(reason: failure?.reason ?? LinkReasonName.ioError, detail: detail)
        }
        // A client gone before the target is ready: what it sent waits in `early` and goes
        // out, with its end, once the target is ready.
        finishIfDone()
    }

    /// `direction`'s side left: the survivor's output is shut after its pending writes and
    /// it is drained (read, decoded, not forwarded) until it ends or `drainTimeout` passes.
    private func otherSideLeft(_ direction: TapDirection) {
        let survivor = Self.other(direction)
        guard let half = half(survivor) else { return }
        if ended.contains(survivor) {
            half.closeAfterWrites(fully: true)
            return
        }
        half.closeAfterWrites(fully: false)
        half.resumeReading()
        if drainTimer == nil {
            drainTimer = half.schedule(in: drainTimeout) { [weak half] in half?.closeNow() }
        }
    }

    /// An error on `direction`'s channel (which is closed next).
    func failed(_ direction: TapDirection, _ error: any Error, beforeReady: Bool) {
        let isTLS = error is NIOSSLError || error is BoringSSLError
        let reason = isTLS ? LinkReasonName.tlsError : LinkReasonName.ioError
        let who = TapConnectionMonitor.words(direction)
        var detail = "\(who): \(TapServer.describe(error))"
        if beforeReady, isTLS {
            detail =
                "\(who): TLS handshake failed: \(TapServer.describe(error))"
                + Self.hint(direction, error)
        }
        if beforeReady, direction == .c2s, setupFailure == nil {
            setupFailure = (reason, detail)
            monitor.note(.warning, detail)
            return
        }
        // A side that had ended and then resets (we wrote to a socket it closed) just left.
        guard beforeReady || !ended.contains(direction), failure == nil else { return }
        failure = (reason, detail)
    }

    /// What to check when `direction`'s handshake failed with `error`.
    static func hint(_ direction: TapDirection, _ error: any Error) -> String {
        let text = "\(error)"
        switch direction {
        case .c2s:
            return text.contains("ALERT")
                ? " (the client refused the tap's certificate: does it trust --tls-cert / tap_cert?)"
                : " (does the client speak TLS? This listener is tls://)"
        case .s2c:
            let plaintext = ["WRONG_VERSION_NUMBER", "eofDuringHandshake", "PACKET_LENGTH"]
            return plaintext.contains { text.contains($0) }
                ? " (does the target speak TLS? Without it, drop tls:// from the target)"
                : " (check the target's trust: --tls-ca / tls_ca, and its name:"
                    + " --tls-server-name / tls_server_name)"
        }
    }

    /// Both channels are gone and no dial is running: the row's last states.
    private func finishIfDone() {
        guard phase != .finished, clientHalf == nil, serverHalf == nil, !dialling else { return }
        let wasUp = phase == .up
        phase = .finished
        drainTimer?.cancel()
        tick?.cancel()
        // They hold the pair (a client whose handshake failed never ran them).
        dial = nil
        onUp = nil
        monitor.closed()
        if wasUp {
            let closer = TapConnectionMonitor.words(firstEnded ?? .c2s)
            emit(
                from: .up, to: .closed, reason: failure?.reason ?? LinkReasonName.remoteClosed,
                detail: failure?.detail ?? "\(closer) closed")
        } else {
            let cause =
                setupFailure
                ?? (LinkReasonName.remoteClosed, "the client left before the target was dialled")
            emit(from: .connecting, to: .down, reason: cause.reason, detail: cause.detail)
            emit(from: .down, to: .closed, reason: cause.reason, detail: nil)
        }
    }

    private func emit(from: LinkStateName, to: LinkStateName, reason: String, detail: String?) {
        monitor.sink.emit(
            .state(from: from, to: to, reason: reason, detail: detail, phase: nil), monitor.conn)
    }
}
