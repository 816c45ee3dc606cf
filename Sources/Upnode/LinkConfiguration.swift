import NIOCore

/// Link options, with Node upnode's defaults.
public struct LinkConfiguration: Sendable {
    /// How often to ping the remote (Node: `ping`, 10 s). Zero turns the heartbeat off.
    public var pingInterval: Duration = .seconds(10)
    /// How long to wait for a ping reply before the link counts as dead (Node: `timeout`, 5 s).
    /// Zero waits forever.
    public var pingTimeout: Duration = .seconds(5)
    /// Send the first ping as soon as the link is up, so there are numbers at once.
    public var pingImmediately = true
    /// When to reconnect (Node: fixed 1 s).
    public var reconnect: ReconnectPolicy = .fixed(.seconds(1))
    /// Dial + methods + auth must finish within this (Node has none: a silent peer hangs it).
    public var connectTimeout: Duration = .seconds(10)
    /// Transactions that may wait for the link at once.
    public var maxQueuedTransactions = 10_000
    /// The longest line (one dnode message) accepted from the peer; a longer one resets the
    /// link with `frameTooLong`. Node has no limit; 16 MiB holds any sane message.
    public var maxLineBytes = LinkConfiguration.defaultMaxLineBytes

    /// Backpressure: once this many bytes wait to be written to the peer, the link reads
    /// nothing more from it and new transactions wait in the queue, until the bytes drain
    /// below `outboundLowWater`. Must be at least `outboundLowWater`.
    public var outboundHighWater = LinkConfiguration.defaultOutboundHighWater
    /// See `outboundHighWater`.
    public var outboundLowWater = LinkConfiguration.defaultOutboundLowWater

    /// The default `maxLineBytes` of clients and servers: 16 MiB.
    public static let defaultMaxLineBytes = 16 << 20
    /// The default `outboundHighWater` of clients and servers: 4 MiB.
    public static let defaultOutboundHighWater = 4 << 20
    /// The default `outboundLowWater` of clients and servers: 1 MiB.
    public static let defaultOutboundLowWater = 1 << 20

    /// Node upnode's defaults (see each property); change the fields you need.
    public init() {}
}

extension LinkConfiguration {
    var writeBufferWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: outboundLowWater, high: outboundHighWater)
    }

    /// Read buffers that start small: NIO keeps a channel's last read buffer for the next read,
    /// so its default 2 KiB start costs every idle link ~1.8 KB of RSS, where heartbeats need a
    /// few hundred bytes. It still doubles on every full read (up to 64 KiB) for a busy link.
    static var recvAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536)
    }
}
