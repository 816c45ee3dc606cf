import DnodeProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Upnode

/// The client heartbeat's fast path (HeartbeatPing.swift) on an `EmbeddedChannel`: what it
/// writes is what the general encoder writes, and replies it does not recognise by their
/// bytes still reach it through the session.
@Suite("Heartbeat ping fast path")
struct HeartbeatPingTests {
    /// The peer's `methods`: `ping` is its callback 0.
    static let methods =
        #"{"method":"methods","arguments":[{"ping":"[Function]"}],"callbacks":{"0":["0","ping"]},"links":[]}"#

    /// What a client exports: its own `ping` (our callback 0), so the heartbeat's is 1.
    static let instance: DnodeValue = .object(["ping": .function { _ in }])

    struct Link {
        let channel: EmbeddedChannel
        let connection: DnodeConnection
        let handle: ConnectionHandle
        let replies = Locked(0)
        let warnings = Locked<[String]>([])

        init() throws {
            let warnings = self.warnings
            let connection = DnodeConnection(
                session: DnodeSession(sessionID: 1, instance: HeartbeatPingTests.instance),
                maxLineBytes: 4096
            ) { event in
                if case .warning(let text) = event { warnings.withLock { $0.append(text) } }
            }
            channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(connection)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            self.connection = connection
            handle = ConnectionHandle(connection: connection, channel: channel)
            _ = try written()  // our methods
            try receive(HeartbeatPingTests.methods)
        }

        var ping: DnodeFunction {
            get throws { try #require(connection.remoteFunction("ping")) }
        }

        func sendPing() throws {
            let replies = self.replies
            connection.sendHeartbeatPing(try ping, handle: handle) {
                replies.withLock { $0 += 1 }
            }
        }

        func receive(_ line: String) throws {
            try channel.writeInbound(channel.allocator.buffer(string: line + "\n"))
        }

        func written() throws -> [String] {
            var text = ""
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text.split(separator: "\n").map(String.init)
        }
    }

    /// The general path's lines for `count` pings passing one callback, on a session in the
    /// same state (our methods sent, the peer's received).
    static func generalLines(count: Int) throws -> [String] {
        var session = DnodeSession(sessionID: 1, instance: instance)
        _ = try session.start()
        _ = session.receive(line: Array(methods.utf8))
        let function = try #require(session.remote?.value(atDottedPath: "ping")?.function)
        let callback = LocalCallback(label: "ping") { _ in }
        return try (0..<count).map { _ in
            String(
                decoding: try session.invoke(function, [.function(.local(callback))]).encode(),
                as: UTF8.self)
        }
    }

    @Test("every ping is byte-identical to the general encoder's line, and flushed at once")
    func sameBytes() throws {
        let link = try Link()
        var lines: [String] = []
        for _ in 0..<3 {
            try link.sendPing()
            lines += try link.written()  // already flushed: nothing else ran the loop
            try link.receive(#"{"method":1,"arguments":[],"callbacks":{},"links":[]}"#)
        }
        #expect(lines == (try Self.generalLines(count: 3)))
        #expect(
            lines.first
                == #"{"method":0,"arguments":["[Function]"],"callbacks":{"1":["0"]},"links":[]}"#)
        #expect(link.replies.value == 3)
        #expect(link.warnings.value.isEmpty)
    }

    @Test("a reply in another shape takes the general path to the same callback")
    func otherShapes() throws {
        let link = try Link()
        for reply in [
            #"{"arguments":[],"method":1}"#,
            #"{"method":1,"arguments":[null,"extra"],"callbacks":{},"links":[]}"#,
            #"{"method":1, "arguments":[], "callbacks":{}, "links":[]}"#,
        ] {
            let before = link.replies.value
            try link.sendPing()
            try link.receive(reply)
            #expect(link.replies.value == before + 1, "\(reply)")
        }
        #expect(link.warnings.value.isEmpty)
    }

    @Test("a reply with no ping in flight is ignored; other lines are handled as before")
    func repeatsAndOthers() throws {
        let link = try Link()
        let reply = #"{"method":1,"arguments":[],"callbacks":{},"links":[]}"#
        try link.sendPing()
        try link.receive(reply)
        try link.receive(reply)  // answered twice
        #expect(link.replies.value == 1)
        try link.receive(#"{"method":9,"arguments":[]}"#)  // not ours: the session says so
        #expect(link.warnings.value == ["no callback with id 9 (never sent, or released)"])
    }

    @Test(
        "after a cull of the ping callback the next ping is encoded again, as the general path would"
    )
    func cull() throws {
        let link = try Link()
        try link.sendPing()
        let first = try link.written()
        try link.receive(#"{"method":1,"arguments":[],"callbacks":{},"links":[]}"#)
        try link.receive(#"{"method":"cull","arguments":[1]}"#)
        try link.sendPing()
        let second = try link.written()
        #expect(
            first == [
                #"{"method":0,"arguments":["[Function]"],"callbacks":{"1":["0"]},"links":[]}"#
            ])
        // The culled id is gone from the session; the callback gets the next free id.
        #expect(
            second == [
                #"{"method":0,"arguments":["[Function]"],"callbacks":{"2":["0"]},"links":[]}"#
            ])
        try link.receive(#"{"method":2,"arguments":[],"callbacks":{},"links":[]}"#)
        #expect(link.replies.value == 2)
    }

    @Test("a closed connection sends nothing and forgets the ping")
    func closed() throws {
        let link = try Link()
        let ping = try link.ping  // the session forgets the peer's methods when it closes
        try link.sendPing()
        _ = try link.written()
        try link.channel.close().wait()
        #expect(link.connection.heartbeatPing == nil)
        link.connection.sendHeartbeatPing(ping, handle: link.handle) {
            Issue.record("a closed connection answered a ping")
        }
        #expect(try link.channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(link.replies.value == 0)
    }
}
