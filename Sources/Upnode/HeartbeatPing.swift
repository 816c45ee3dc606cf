import DnodeProtocol
import NIOCore

/// The client's heartbeat on one connection, off the general request path.
///
/// Every ping of a connection passes the same callback, so the session gives it the same id
/// each time (docs/PROTOCOL.md, "Heartbeat") and the request line never changes: it is encoded
/// once, by the general encoder, and written again as it is. The reply `cb()` is one fixed
/// line too, recognised by its bytes before any parsing; a reply written any other way (keys
/// in another order, arguments) takes the general path to the same callback. With 10,000
/// links pinging every second this saves, per ping, the request's callback, scrubbing,
/// encoding and buffer, and the reply's parsing and dispatch.
struct HeartbeatPing {
    /// The peer's `ping` the line calls.
    let target: RemoteCallback
    /// The callback every ping of the connection passes.
    let callback: LocalCallback
    /// `ping(cb)` as the general encoder wrote it, newline included.
    let line: ByteBuffer
    /// `cb()` as Node and upmon write it, without the newline.
    let reply: [UInt8]
    /// Runs when the ping in flight is answered; nil while none is.
    var waiting: (@Sendable () -> Void)?
    /// Set when a `cull` arrived: the next ping is encoded again (the id may be gone).
    var isStale = false

    /// Whether a line that took the general path may be a `cull` (which could release the
    /// callback's id): a byte search for `"cull"`, rare lines only.
    static func mayBeCull(_ line: ByteBufferView) -> Bool {
        let needle: [UInt8] = Array(#""cull""#.utf8)
        guard line.count >= needle.count else { return false }
        let found = line.withContiguousStorageIfAvailable { bytes in
            (0...(bytes.count - needle.count)).contains { start in
                needle.indices.allSatisfy { bytes[start + $0] == needle[$0] }
            }
        }
        return found ?? true
    }

    /// Whether `line` is exactly the reply line.
    func isReply(_ line: ByteBufferView) -> Bool {
        guard line.count == reply.count else { return false }
        let equal = line.withContiguousStorageIfAvailable { bytes in
            reply.withUnsafeBufferPointer { bytes.elementsEqual($0) }
        }
        return equal ?? line.elementsEqual(reply)
    }

    /// The ping of `target` with `callback` through `session` (which keeps the callback and
    /// its id for the connection's life), or nil when the session refuses to send it.
    static func make(
        target: RemoteCallback, callback: LocalCallback, session: inout DnodeSession,
        allocator: ByteBufferAllocator
    ) -> HeartbeatPing? {
        guard
            let request = try? session.invoke(.remote(target), [.function(.local(callback))]),
            request.callbacks.count == 1, let id = request.callbacks.keys.first
        else { return nil }
        var bytes: [UInt8] = []
        request.encode(into: &bytes)
        let reply = DnodeMessage(method: .callback(id), arguments: []).encode()
        return HeartbeatPing(
            target: target, callback: callback, line: allocator.buffer(bytes: bytes),
            reply: reply)
    }
}

extension DnodeConnection {
    /// Calls the peer's `ping(cb)` (the client's heartbeat); `replied` runs on the loop when
    /// `cb` is called. Flushed at once unless a read is being handled (then at its end).
    /// Nothing is sent when the connection is closed or the session refuses the call; the
    /// ping then times out as an unanswered one would.
    func sendHeartbeatPing(
        _ target: DnodeFunction, handle: ConnectionHandle,
        replied: @escaping @Sendable () -> Void
    ) {
        guard !isClosed, let context, case .remote(let remote) = target else { return }
        if heartbeatPing?.target != remote || heartbeatPing?.isStale != false {
            // One callback per connection: a new one only if the peer's `ping` changed.
            let callback =
                heartbeatPing.flatMap { $0.target == remote ? $0.callback : nil }
                ?? LocalCallback(label: "ping") { _ in handle.onLoop { $0.heartbeatReplied() } }
            guard
                let ping = HeartbeatPing.make(
                    target: remote, callback: callback, session: &session,
                    allocator: context.channel.allocator)
            else { return }
            heartbeatPing = ping
        }
        guard let line = heartbeatPing?.line else { return }
        heartbeatPing?.waiting = replied
        context.write(wrapOutboundOut(line), promise: nil)
        needsFlush = true
        if !isReading { flushIfNeeded() }
    }

    /// The heartbeat's callback was called: the ping in flight is answered. A call with no
    /// ping in flight (a peer answering twice) is ignored.
    func heartbeatReplied() {
        guard let waiting = heartbeatPing?.waiting else { return }
        heartbeatPing?.waiting = nil
        waiting()
    }
}
