#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin POSIX file helpers for the recorder and the replayer. Errors come back as text
/// from `strerror` so callers can wrap them in a `RecordingError`.
enum FileAccess {
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// Reads a whole file with `fstat` + `read`, straight into the array's storage.
    ///
    /// The array is sized from `fstat` plus one byte, so the usual read fills it once with no
    /// zero-filling and no second copy; that extra byte also shows a file that grew meanwhile,
    /// which is then read on in chunks. A file that shrinks meanwhile just gives fewer bytes.
    /// (Mapping the file instead would be cheaper still, but a mapped file truncated by another
    /// process makes the next access to it a `SIGBUS`, which the replayer cannot rule out.)
    static func readAll(path: String) -> Result<[UInt8], FileFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(FileFailure(code: errno)) }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(FileFailure(code: errno)) }
        let expected = max(0, Int(info.st_size))
        var failure: FileFailure?
        var bytes = [UInt8](unsafeUninitializedCapacity: expected + 1) { buffer, initialized in
            let (filled, error) = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = filled
            failure = error
        }
        if let failure { return .failure(failure) }
        guard bytes.count > expected else { return .success(bytes) }
        // The file grew since `fstat`: read the rest in chunks.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let (filled, error) = chunk.withUnsafeMutableBytes { readFully(descriptor, into: $0) }
            if let error { return .failure(error) }
            bytes.append(contentsOf: chunk[..<filled])
            if filled < chunk.count { return .success(bytes) }
        }
    }

    /// Asks for transparent huge pages in a large buffer that is about to be filled, so that
    /// filling it takes one page fault per 2 MiB rather than per 4 KiB (most of the cost of
    /// reading a big file into fresh memory). Advisory only: it changes no contents, and a
    /// failure is ignored.
    private static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
            let huge = 2 << 20
            guard buffer.count >= 4 * huge, let base = buffer.baseAddress else { return }
            let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
            let stop = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
            guard stop > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else {
                return
            }
            _ = madvise(aligned, stop - start, MADV_HUGEPAGE)
        #endif
    }

    /// Reads until `buffer` is full or the end of the file; returns the bytes read and the
    /// error that stopped it, if any.
    private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> (Int, FileFailure?)
    {
        guard let base = buffer.baseAddress else { return (0, nil) }
        var filled = 0
        while filled < buffer.count {
            let count = read(descriptor, base + filled, buffer.count - filled)
            if count < 0 {
                if errno == EINTR { continue }
                return (filled, FileFailure(code: errno))
            }
            if count == 0 { break }
            filled += count
        }
        return (filled, nil)
    }

    /// Creates a file with mode 0600; with `overwrite` false it must not exist yet (`O_EXCL`).
    static func create(path: String, overwrite: Bool) -> Result<Int32, FileFailure> {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC
        flags |= overwrite ? O_TRUNC : O_EXCL
        let descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else { return .failure(FileFailure(code: errno)) }
        if overwrite { _ = fchmod(descriptor, 0o600) }
        return .success(descriptor)
    }

    /// Writes every byte, retrying short writes and `EINTR`.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> FileFailure? {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return FileFailure(code: errno)
            }
            written += count
        }
        return nil
    }

    static func syncAndClose(_ descriptor: Int32) -> FileFailure? {
        var failure: FileFailure?
        if fsync(descriptor) != 0 { failure = FileFailure(code: errno) }
        if close(descriptor) != 0 && failure == nil { failure = FileFailure(code: errno) }
        return failure
    }

    static func closeQuietly(_ descriptor: Int32) { _ = close(descriptor) }
}

/// An `errno` from a failed file operation.
struct FileFailure: Error {
    let code: Int32
    var isAlreadyExists: Bool { code == EEXIST }
    var text: String { FileAccess.errorText(code) }
}
