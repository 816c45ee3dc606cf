import NIOCore
import NIOEmbedded
import Testing
import UpnodeMonitor

@testable import UpnodeTap

/// The proxy's two halves on embedded channels: reading one side follows the other side's
/// writability exactly, and what is read is the very buffer written on.
@Suite("Tap backpressure")
struct TapBackpressureTests {
    /// Counts the reads that get past the glue (it sits between the glue and the channel).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    struct Rig {
        let loop = EmbeddedEventLoop()
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let clientReads = ReadCounter()
        let serverReads = ReadCounter()
        let pair: TapPair

        init() throws {
            client = EmbeddedChannel(loop: loop)
            server = EmbeddedChannel(loop: loop)
            let sink = TapSink(emit: { _, _ in }, now: { 0 })
            pair = TapPair(
                monitor: TapConnectionMonitor(
                    conn: "c1.1", sink: sink, options: .init(), maxLineBytes: 1 << 20))
            let clientHalf = TapGlue(direction: .c2s, pair: pair)
            let serverHalf = TapGlue(direction: .s2c, pair: pair)
            pair.clientHalf = clientHalf
            pair.serverHalf = serverHalf
            try client.pipeline.syncOperations.addHandlers([clientReads, clientHalf])
            try server.pipeline.syncOperations.addHandlers([serverReads, serverHalf])
            try activate(client)
            // The target's channel is up: the pair is complete and starts reading.
            try activate(server)
        }
    }

    @Test("a side is read only while the other side is writable; bytes pass as the same buffer")
    func readsFollowWritability() throws {
        let rig = try Rig()
        #expect(rig.clientReads.reads == 1)  // the pair started reading both sides

        var buffer = rig.client.allocator.buffer(capacity: 16)
        buffer.writeString("{\"method\":0}\n")
        try rig.client.writeInbound(buffer)
        #expect(try rig.server.readOutbound(as: ByteBuffer.self) == buffer)

        // The server stops taking bytes: the client is no longer read.
        rig.server.isWritable = false
        rig.server.pipeline.fireChannelWritabilityChanged()
        let before = rig.clientReads.reads
        rig.client.read()
        rig.client.read()
        #expect(rig.clientReads.reads == before)

        // It drains: the held read goes through, once.
        rig.server.isWritable = true
        rig.server.pipeline.fireChannelWritabilityChanged()
        #expect(rig.clientReads.reads == before + 1)

        // The other direction is independent.
        rig.client.isWritable = false
        rig.client.pipeline.fireChannelWritabilityChanged()
        let serverBefore = rig.serverReads.reads
        rig.server.read()
        #expect(rig.serverReads.reads == serverBefore)
        rig.client.read()
        #expect(rig.clientReads.reads == before + 2)
    }

    @Test("bytes read before the target is connected wait, then go out first")
    func earlyBytes() throws {
        let loop = EmbeddedEventLoop()
        let client = EmbeddedChannel(loop: loop)
        let server = EmbeddedChannel(loop: loop)
        let pair = TapPair(
            monitor: TapConnectionMonitor(
                conn: "c1.1", sink: TapSink(emit: { _, _ in }, now: { 0 }), options: .init(),
                maxLineBytes: 1 << 20))
        let clientHalf = TapGlue(direction: .c2s, pair: pair)
        pair.clientHalf = clientHalf
        try client.pipeline.syncOperations.addHandler(clientHalf)
        try activate(client)
        var early = client.allocator.buffer(capacity: 8)
        early.writeString("early\n")
        try client.writeInbound(early)
        let serverHalf = TapGlue(direction: .s2c, pair: pair)
        pair.serverHalf = serverHalf
        try server.pipeline.syncOperations.addHandler(serverHalf)
        #expect(try server.readOutbound(as: ByteBuffer.self) == nil)
        try activate(server)
        #expect(try server.readOutbound(as: ByteBuffer.self) == early)
    }
}

/// Connects an embedded channel so that it is active.
func activate(_ channel: EmbeddedChannel) throws {
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7000)).wait()
}
