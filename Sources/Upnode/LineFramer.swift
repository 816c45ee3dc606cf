import NIOCore

/// Cuts a byte stream into LF-terminated lines, with a length limit.
///
/// Raw bytes are buffered and only complete lines are decoded, so a UTF-8 character split
/// across TCP reads is never corrupted (Node gets this wrong: PROTOCOL §1.1).
struct LineFramer {
    let maxLineBytes: Int
    var buffer: ByteBuffer?

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Appends `bytes` and calls `onLine` for every complete line (without its LF).
    /// Throws `lineTooLong` when a line exceeds the limit; the framer must not be used after.
    mutating func append(_ bytes: inout ByteBuffer, onLine: (ByteBufferView) -> Void) throws(DnodeFramingError) {
        if var pending = buffer {
            buffer = nil
            pending.writeBuffer(&bytes)
            try drain(&pending, onLine: onLine)
            if pending.readableBytes > 0 { buffer = pending }
        } else {
            // Fast path: scan the incoming buffer directly, copying nothing.
            try drain(&bytes, onLine: onLine)
            if bytes.readableBytes > 0 { buffer = bytes }
        }
    }

    private func drain(_ bytes: inout ByteBuffer, onLine: (ByteBufferView) -> Void) throws(DnodeFramingError) {
        while let newline = bytes.readableBytesView.firstIndex(of: 0x0A) {
            let length = newline - bytes.readerIndex
            guard length <= maxLineBytes else { throw DnodeFramingError(length: length, limit: maxLineBytes) }
            onLine(bytes.readableBytesView[bytes.readerIndex..<newline])
            bytes.moveReaderIndex(forwardBy: length + 1)
        }
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
