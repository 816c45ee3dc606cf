import NIOCore

/// Cuts a byte stream into LF-terminated lines, with a length limit.
///
/// Raw bytes are buffered and only complete lines are decoded, so a UTF-8 character split
/// across TCP reads is never corrupted (Node gets this wrong: docs/PROTOCOL.md, "Framing").
///
/// Each byte is searched for LF once: the framer remembers how much of the unfinished line it
/// has already scanned, so a peer trickling a long line costs linear, not quadratic, work.
struct LineFramer {
    let maxLineBytes: Int
    var buffer: ByteBuffer?
    /// Readable bytes at the front of `buffer` already searched (no LF among them).
    private var scanned = 0
    /// Bytes searched for LF so far, over the framer's life (tests hold it to linear work).
    private(set) var bytesScanned = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Appends `bytes` and calls `onLine` for every complete line (without its LF).
    /// Throws `lineTooLong` when a line exceeds the limit; the framer must not be used after.
    ///
    /// Before each line `proceed` is asked whether to go on; once it says no, the rest stays
    /// buffered (complete lines too) until `resume` (backpressure: the reader stopped reading).
    mutating func append(
        _ bytes: inout ByteBuffer, while proceed: () -> Bool = { true },
        onLine: (ByteBufferView) -> Void
    ) throws(DnodeFramingError) {
        if var pending = buffer {
            buffer = nil
            pending.writeBuffer(&bytes)
            try drain(&pending, skipping: scanned, while: proceed, onLine: onLine)
            keep(&pending)
        } else {
            // Fast path: scan the incoming buffer directly, copying nothing.
            try drain(&bytes, skipping: 0, while: proceed, onLine: onLine)
            keep(&bytes)
        }
    }

    /// Hands out the complete lines buffered by an `append` that was told to stop.
    mutating func resume(
        while proceed: () -> Bool, onLine: (ByteBufferView) -> Void
    ) throws(DnodeFramingError) {
        guard var pending = buffer else { return }
        buffer = nil
        try drain(&pending, skipping: scanned, while: proceed, onLine: onLine)
        keep(&pending)
    }

    /// Forgets everything buffered (the connection closed): no storage outlives the peer.
    mutating func reset() {
        buffer = nil
        scanned = 0
    }

    /// Keeps the unfinished line, if any, for the next read. Lines already handed out are
    /// dropped once they outweigh it, so the buffer never grows with consumed bytes and each
    /// byte is moved at most once.
    private mutating func keep(_ bytes: inout ByteBuffer) {
        guard bytes.readableBytes > 0 else {
            scanned = 0
            return
        }
        if bytes.readerIndex >= bytes.readableBytes { bytes.discardReadBytes() }
        if bytes.capacity > Self.compactAbove, bytes.capacity > 4 * bytes.readableBytes {
            // A huge read or line left a small remainder: keep the remainder, not the storage.
            var small = ByteBufferAllocator().buffer(capacity: bytes.readableBytes)
            small.writeBuffer(&bytes)
            bytes = small
        }
        buffer = bytes
    }

    /// Storage above this is given back once it holds mostly consumed bytes.
    static let compactAbove = 256 << 10

    /// Hands out every complete line in `bytes`, searching for LF only past the first
    /// `known` readable bytes (already searched by an earlier call).
    private mutating func drain(
        _ bytes: inout ByteBuffer, skipping known: Int, while proceed: () -> Bool,
        onLine: (ByteBufferView) -> Void
    ) throws(DnodeFramingError) {
        var start = bytes.readerIndex + known
        while true {
            guard proceed() else {
                // Stopped at a line start: nothing past it counts as searched. The limit is
                // checked when lines are handed out again (the reader reads nothing meanwhile).
                scanned = start - bytes.readerIndex
                return
            }
            let view = bytes.readableBytesView
            guard let newline = view[start..<view.endIndex].firstIndex(of: 0x0A) else {
                bytesScanned += view.endIndex - start
                break
            }
            bytesScanned += newline - start + 1
            let length = newline - bytes.readerIndex
            guard length <= maxLineBytes else {
                throw DnodeFramingError(length: length, limit: maxLineBytes)
            }
            onLine(view[bytes.readerIndex..<newline])
            bytes.moveReaderIndex(forwardBy: length + 1)
            start = bytes.readerIndex
        }
        scanned = bytes.readableBytes
        if bytes.readableBytes > maxLineBytes {
            throw DnodeFramingError(length: bytes.readableBytes, limit: maxLineBytes)
        }
    }

    /// Bytes of an unfinished line at the end of the stream.
    var unfinishedBytes: Int { buffer?.readableBytes ?? 0 }
}

struct DnodeFramingError: Error {
    let length: Int
    let limit: Int
}
