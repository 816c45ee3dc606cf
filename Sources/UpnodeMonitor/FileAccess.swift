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

    /// Reads a whole file with `fstat` + `read`.
    static func readAll(path: String) -> Result<[UInt8], FileFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(FileFailure(code: errno)) }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(FileFailure(code: errno)) }
        var bytes = [UInt8](repeating: 0, count: max(0, Int(info.st_size)))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: 65536)) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(FileFailure(code: errno))
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return .success(bytes)
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
