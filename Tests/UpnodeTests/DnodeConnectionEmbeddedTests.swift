import DnodeProtocol
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import Upnode

/// The connection handler on an `EmbeddedChannel`: byte-exact framing without sockets.
@Suite("DnodeConnection on an EmbeddedChannel")
struct DnodeConnectionEmbeddedTests {
    func makeChannel(
        maxLineBytes: Int = 1024, instance: DnodeValue = .object([:]), events: Locked<[String]>
    ) throws -> EmbeddedChannel {
        let connection = DnodeConnection(
            session: DnodeSession(sessionID: 1, instance: instance), maxLineBytes: maxLineBytes
        ) { event in
            switch event {
            case .remoteReady(_, let methods): events.withLock { $0.append("ready \(methods)") }
            case .warning(let text): events.withLock { $0.append("warning \(text)") }
            case .closed(let reason): events.withLock { $0.append("closed \(reason.code)") }
            }
        }
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func written(_ channel: EmbeddedChannel) throws -> [String] {
        var lines: [String] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            lines.append(buffer.readString(length: buffer.readableBytes) ?? "")
        }
        return lines.joined().split(separator: "\n").map(String.init)
    }

    @Test("sends methods first, as one ASCII line")
    func methodsFirst() throws {
        let events = Locked<[String]>([])
        let channel = try makeChannel(
            instance: .object(["ping": .function { _ in }]), events: events)
        #expect(
            try written(channel) == [
                #"{"method":"methods","arguments":[{"ping":"[Function]"}],"callbacks":{"0":["0","ping"]},"links":[]}"#
            ])
    }

    @Test("a line split at every byte, inside multi-byte UTF-8, arrives intact")
    func splitEverywhere() throws {
        let events = Locked<[String]>([])
        let received = Locked<[JSONValue]>([])
        let channel = try makeChannel(
            instance: .object([
                "echo": .function { args in received.withLock { $0 += args.map(\.json) } }
            ]), events: events)
        _ = try written(channel)
        let line = Array("{\"method\":0,\"arguments\":[\"é€😀\"]}\r\n".utf8)
        for byte in line {
            var buffer = channel.allocator.buffer(capacity: 1)
            buffer.writeInteger(byte)
            try channel.writeInbound(buffer)
        }
        #expect(received.value == ["é€😀"])
        #expect(events.value.isEmpty)
    }

    @Test("several messages in one read are all handled, and replies are flushed once per read")
    func coalesced() throws {
        let events = Locked<[String]>([])
        let channel = try makeChannel(events: events)
        _ = try written(channel)
        let methods =
            #"{"method":"methods","arguments":[{"f":"[Function]","g":"[Function]"}],"callbacks":{"0":["0","f"],"1":["0","g"]}}"#
        try channel.writeInbound(
            channel.allocator.buffer(string: methods + "\n" + #"{"method":7}"# + "\n"))
        #expect(
            events.value == [
                "ready [\"f\", \"g\"]", "warning no callback with id 7 (never sent, or released)",
            ])
    }

    @Test("a line over the limit closes the link with frame_too_long")
    func oversize() throws {
        let events = Locked<[String]>([])
        let channel = try makeChannel(maxLineBytes: 64, events: events)
        try channel.writeInbound(
            channel.allocator.buffer(string: String(repeating: "x", count: 100)))
        #expect(events.value.contains("closed frame_too_long"))
        #expect(!channel.isActive)
    }
}
