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
    mutating func append(
        _ bytes: inout ByteBuffer, onLine: (ByteBufferView) -> Void
    ) throws(DnodeFramingError) {
        if var pending = buffer {
            buffer = nil
            pending.writeBuffer(&bytes)
            try drain(&pending, skipping: scanned, onLine: onLine)
            keep(&pending)
        } else {
            // Fast path: scan the incoming buffer directly, copying nothing.
            try drain(&bytes, skipping: 0, onLine: onLine)
            keep(&bytes)
        }
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
        buffer = bytes
    }

    /// Hands out every complete line in `bytes`, searching for LF only past the first
    /// `known` readable bytes (already searched by an earlier call).
    private mutating func drain(
        _ bytes: inout ByteBuffer, skipping known: Int, onLine: (ByteBufferView) -> Void
    ) throws(DnodeFramingError) {
        var start = bytes.readerIndex + known
        while true {
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
