/// Cuts one direction's bytes into lines for the decoder, on the side: the bytes themselves
/// are forwarded untouched by the proxy, this only reads them.
///
/// A line that spans reads is copied into `partial`, at most `maxLineBytes` of it: past
/// that the direction stops being decoded for good (framing cannot be trusted after an
/// oversize line), while its bytes still pass.
struct TapLineSplitter {
    /// The longest line decoded; the project's 16 MiB default.
    let maxLineBytes: Int
    private(set) var partial: [UInt8] = []
    /// Set once a line was longer than the cap.
    private(set) var overCap = false
    /// Complete lines seen.
    private(set) var lines = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes left without a final newline (a peer that vanished mid-line).
    var unterminatedBytes: Int { partial.count }

    /// Feeds one read; `line` gets each complete line (without LF). Returns `false` the
    /// first time the cap is passed.
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, line: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        guard !overCap else { return true }
        var start = 0
        let count = bytes.count
        while start < count {
            guard let newline = Self.indexOfNewline(bytes, from: start) else {
                if partial.count + (count - start) > maxLineBytes { return passCap() }
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
                return true
            }
            lines += 1
            if partial.isEmpty {
                if newline - start > maxLineBytes { return passCap() }
                line(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
            } else {
                if partial.count + (newline - start) > maxLineBytes { return passCap() }
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                partial.withUnsafeBytes { line($0) }
                partial.removeAll(keepingCapacity: partial.capacity <= 65_536)
            }
            start = newline + 1
        }
        return true
    }

    private mutating func passCap() -> Bool {
        overCap = true
        partial = []
        return false
    }

    private static func indexOfNewline(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
