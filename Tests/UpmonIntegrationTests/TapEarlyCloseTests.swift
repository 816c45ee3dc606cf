import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
import Upnode
import UpnodeMonitor

@testable import UpnodeTap

/// A side that ends or leaves early, on embedded channels: what it sent still reaches the
/// other side, its end is mirrored after it, and what the other side answers is still read
/// and decoded (counted) though nobody is left to forward it to.
@Suite("Tap: early close")
struct TapEarlyCloseTests {
    /// Records the close modes that reach the channel; a half-close is taken here (an
    /// embedded channel can only close fully).
    final class CloseRecorder: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var modes: [CloseMode] = []

        func close(
            context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?
        ) {
            modes.append(mode)
            if mode == .output {
                promise?.succeed(())
            } else {
                context.close(mode: mode, promise: promise)
            }
        }
    }

    final class Rig {
        let loop = EmbeddedEventLoop()
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let clientCloses = CloseRecorder()
        let serverCloses = CloseRecorder()
        let sink = CollectingSink()
        let pair: TapPair
        var dials = 0

        init() throws {
            client = EmbeddedChannel(loop: loop)
            server = EmbeddedChannel(loop: loop)
            pair = TapPair(
                monitor: TapConnectionMonitor(
                    conn: "c1.1", sink: sink.sink, options: .init(), maxLineBytes: 1 << 20))
            pair.dial = { [unowned self] in dials += 1 }
            let clientHalf = TapGlue(direction: .c2s, pair: pair)
            pair.clientHalf = clientHalf
            try client.pipeline.syncOperations.addHandlers([clientCloses, clientHalf])
            try activate(client)
        }

        /// The dial succeeded and the target's channel is up.
        func connectTarget(waitsForHandshake: Bool = false) throws {
            let serverHalf = TapGlue(
                direction: .s2c, pair: pair, waitsForHandshake: waitsForHandshake)
            pair.serverHalf = serverHalf
            try server.pipeline.syncOperations.addHandlers([serverCloses, serverHalf])
            pair.dialFinished(failure: nil)
            try activate(server)
        }

        func send(_ text: String, on channel: EmbeddedChannel) throws {
            try channel.writeInbound(channel.allocator.buffer(string: text))
        }

        func end(_ channel: EmbeddedChannel) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }

        func received(_ channel: EmbeddedChannel) throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: buffer)
            }
            return text
        }

        var states: [String] {
            sink.events.compactMap { event in
                guard case .state(let from, let to, let reason, let detail, _) = event.kind else {
                    return nil
                }
                return "\(from.rawValue)>\(to.rawValue) \(reason)"
                    + (detail.map { ": \($0)" } ?? "")
            }
        }

        var summaries: [String] { sink.events.compactMap(\.tapSummary) }
    }

    static let call =
        #"{"method":"add","arguments":[2,3,"[Function]"],"callbacks":{"0":["2"]},"links":[]}"#
        + "\n"
    static let answer = #"{"method":0,"arguments":[5],"callbacks":{},"links":[]}"# + "\n"

    @Test(
        "a client that sends a call and closes before the target is connected: the call and then its end reach the target, whose answer is decoded"
    )
    func clientGoneBeforeTarget() throws {
        let rig = try Rig()
        #expect(rig.dials == 1)
        try rig.send(Self.call, on: rig.client)
        rig.end(rig.client)
        try rig.client.close().wait()
        #expect(rig.states.isEmpty, "the row waits for the dial: \(rig.states)")

        try rig.connectTarget()
        #expect(try rig.received(rig.server) == Self.call)
        #expect(rig.serverCloses.modes == [.output])
        #expect(rig.server.isActive)

        // The target answers after the client left: decoded and counted, not forwarded.
        try rig.send(Self.answer, on: rig.server)
        #expect(rig.summaries == ["call add", "result add ok"])
        rig.end(rig.server)
        #expect(!rig.server.isActive)
        #expect(
            rig.states == [
                "connecting>up ready", "up>closed remote_closed: the client closed",
            ])
    }

    @Test(
        "a client that closes after its call, before the answer: the answer is still read and decoded"
    )
    func clientGoneBeforeAnswer() throws {
        let rig = try Rig()
        try rig.connectTarget()
        try rig.send(Self.call, on: rig.client)
        #expect(try rig.received(rig.server) == Self.call)
        rig.end(rig.client)
        #expect(rig.serverCloses.modes == [.output])
        try rig.client.close().wait()
        #expect(rig.server.isActive)

        try rig.send(Self.answer, on: rig.server)
        #expect(rig.summaries == ["call add", "result add ok"])
        rig.end(rig.server)
        #expect(!rig.server.isActive)
        #expect(rig.states.last == "up>closed remote_closed: the client closed")
    }

    @Test(
        "a target that closes first: the client gets every answer, then the end; what it still sends is decoded, not forwarded"
    )
    func targetClosesFirst() throws {
        let rig = try Rig()
        try rig.connectTarget()
        try rig.send(Self.call, on: rig.client)
        _ = try rig.received(rig.server)
        try rig.send(Self.answer, on: rig.server)
        #expect(try rig.received(rig.client) == Self.answer)
        rig.end(rig.server)
        #expect(rig.clientCloses.modes == [.output])
        try rig.server.close().wait()
        #expect(rig.client.isActive)

        // The client calls again: nobody to forward it to, but the call is counted and ends
        // unanswered when the connection closes.
        try rig.send(Self.call, on: rig.client)
        #expect(try rig.received(rig.server) == "")
        rig.end(rig.client)
        #expect(!rig.client.isActive)
        #expect(rig.summaries == ["call add", "result add ok", "call add"])
        #expect(
            rig.sink.events.contains {
                if case .tap(.unanswered(_, "add", _, _, "closed")) = $0.kind {
                    true
                } else {
                    false
                }
            })
        #expect(rig.states.last == "up>closed remote_closed: the server closed")
    }

    @Test("a survivor that never ends is closed after the drain time")
    func drainTimeout() throws {
        let rig = try Rig()
        rig.pair.drainTimeout = .seconds(10)
        try rig.connectTarget()
        try rig.client.close().wait()
        #expect(rig.serverCloses.modes == [.output])
        rig.loop.advanceTime(by: .seconds(9))
        #expect(rig.server.isActive)
        rig.loop.advanceTime(by: .seconds(1))
        #expect(!rig.server.isActive)
        #expect(rig.states.last == "up>closed remote_closed: the client closed")
    }

    @Test("a target that cannot be reached after the client left: the row goes down, then closed")
    func refusedAfterClientLeft() throws {
        let rig = try Rig()
        try rig.send(Self.call, on: rig.client)
        try rig.client.close().wait()
        rig.pair.dialFinished(failure: (LinkReasonName.refused, "target x refused: nobody there"))
        #expect(
            rig.states == [
                "connecting>down refused: target x refused: nobody there", "down>closed refused",
            ])
        // The call it made was never answered.
        #expect(
            rig.sink.events.contains {
                if case .tap(.unanswered(_, "add", _, _, "closed")) = $0.kind {
                    true
                } else {
                    false
                }
            })
    }

    @Test(
        "on loopback: a client that writes a call and closes at once; the target gets the call and the end, and its answer (sent after the end) is decoded"
    )
    func loopbackClientGoneAtOnce() async throws {
        let call = Array(Self.call.utf8)
        let answer = Array(Self.answer.utf8)
        // The target answers once the client's end reached it: the client is gone by then.
        let server = try await ScriptedServer.start(script: [answer], onEnd: true)
        let sink = CollectingSink()
        let route = TapRoute(
            id: "c1", name: "tap", listen: .tcp(host: "127.0.0.1", port: 0),
            target: server.endpoint)
        let tap = try await TapServer.start(route, sink: sink.sink)
        guard case .tcp(let host, let port) = tap.boundEndpoint else { throw CancellationError() }
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port).get()
        try await client.writeAndFlush(client.allocator.buffer(bytes: call))
        try await client.close()
        #expect(try await bytes(server.received) == call)
        #expect(await sink.eventually { $0.contains { $0.isState(to: .closed) } })
        #expect(sink.events.compactMap(\.tapSummary) == ["call add", "result add ok"])
        await tap.close()
        try await server.close()
    }

    @Test(
        "a TLS target that never finishes its handshake: closed, and the row goes down with connect_timeout"
    )
    func handshakeTimeout() throws {
        let rig = try Rig()
        try rig.send(Self.call, on: rig.client)
        try rig.connectTarget(waitsForHandshake: true)
        #expect(rig.states.isEmpty)
        // Nothing was forwarded to a target that is not ready.
        #expect(try rig.received(rig.server) == "")
        rig.pair.handshakeTimedOut(after: .seconds(10))
        #expect(!rig.server.isActive)
        #expect(!rig.client.isActive)
        #expect(
            rig.states == [
                "connecting>down connect_timeout: the server: no TLS handshake within 10000 ms",
                "down>closed connect_timeout",
            ])
    }

    @Test("both ends in turn: each is mirrored after the bytes before it, then both close")
    func halfClosesMirrored() throws {
        let rig = try Rig()
        try rig.connectTarget()
        try rig.send(Self.call, on: rig.client)
        rig.end(rig.client)
        #expect(try rig.received(rig.server) == Self.call)
        #expect(rig.serverCloses.modes == [.output])
        try rig.send(Self.answer, on: rig.server)
        #expect(try rig.received(rig.client) == Self.answer)
        rig.end(rig.server)
        #expect(rig.clientCloses.modes.first == .output)
        #expect(!rig.client.isActive)
        #expect(!rig.server.isActive)
        #expect(rig.states.last == "up>closed remote_closed: the client closed")
    }
}
