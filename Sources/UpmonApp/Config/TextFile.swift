#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a small text file (a config or a theme) and says exactly what is wrong when it
/// cannot: missing, a directory, not readable, not a regular file, too big, not UTF-8, or
/// binary (a NUL byte). Never blocks on a FIFO and never traps.
public enum TextFile {
    /// Largest file read (a config or theme is a few KB; this keeps `/dev/zero`-like input out).
    public static let maxBytes = 8 << 20

    /// Why a text file could not be used. `line` is 1-based where the problem has a line.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Problem: Sendable, Equatable {
            case missing
            case isDirectory
            case permissionDenied
            case notARegularFile
            case tooLarge(bytes: Int)
            case notUTF8(byte: UInt8, column: Int)
            case containsNUL(column: Int)
            case readFailed(String)
        }

        public let problem: Problem
        /// 1-based line of the problem; 0 when the problem is the whole file.
        public let line: Int

        public init(_ problem: Problem, line: Int = 0) {
            self.problem = problem
            self.line = line
        }

        /// The message without the file name, e.g. `no such file`.
        public var description: String {
            switch problem {
            case .missing: "no such file"
            case .isDirectory: "is a directory, not a file"
            case .permissionDenied: "permission denied (check the file's mode and owner)"
            case .notARegularFile: "is not a regular file"
            case .tooLarge(let bytes):
                "is \(bytes) bytes, more than the \(TextFile.maxBytes / (1 << 20)) MiB a text file may be"
            case .notUTF8(let byte, let column):
                "not UTF-8 text (byte 0x\(hex(byte)) at column \(column)); is this a binary file?"
            case .containsNUL(let column):
                "contains a NUL byte at column \(column); is this a binary file?"
            case .readFailed(let reason): "cannot read: \(reason)"
            }
        }

        private func hex(_ byte: UInt8) -> String {
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
    }

    /// The file's text, or why it cannot be used.
    public static func read(path: String) -> Result<String, Failure> {
        switch readBytes(path: path) {
        case .failure(let failure): return .failure(failure)
        case .success(let bytes): return decode(bytes)
        }
    }

    /// Checks that `bytes` are UTF-8 text without NUL bytes; the failure names line and column.
    public static func decode(_ bytes: [UInt8]) -> Result<String, Failure> {
        if let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) {
            return .success(text)
        }
        // Find the first bad byte, line by line, to say where it is.
        var lineNumber = 1
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                lineNumber += 1
                lineStart = index + 1
                index += 1
                continue
            }
            if byte == 0 {
                return .failure(
                    Failure(.containsNUL(column: index - lineStart + 1), line: lineNumber))
            }
            if byte < 0x80 {
                index += 1
                continue
            }
            let length = sequenceLength(bytes, at: index)
            if length == 0 {
                return .failure(
                    Failure(.notUTF8(byte: byte, column: index - lineStart + 1), line: lineNumber))
            }
            index += length
        }
        // Not reached for invalid input.
        return .failure(Failure(.notUTF8(byte: 0, column: 1), line: lineNumber))
    }

    /// The length of the valid UTF-8 sequence starting at `index`, or 0 when it is not valid.
    static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let end = min(bytes.count, index + 4)
        for length in 1...4 where index + length <= end {
            if String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil {
                return length
            }
        }
        return 0
    }

    static func readBytes(path: String) -> Result<[UInt8], Failure> {
        guard !path.isEmpty else { return .failure(Failure(.missing)) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return .failure(failure(errno)) }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(failure(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(Failure(.isDirectory))
        default: return .failure(Failure(.notARegularFile))
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else { return .failure(Failure(.tooLarge(bytes: size))) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes {
                systemRead(descriptor, $0.baseAddress, $0.count)
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failure(failure(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maxBytes { return .failure(Failure(.tooLarge(bytes: bytes.count))) }
        }
    }

    static func failure(_ code: Int32) -> Failure {
        switch code {
        case ENOENT, ENOTDIR: Failure(.missing)
        case EISDIR: Failure(.isDirectory)
        case EACCES, EPERM: Failure(.permissionDenied)
        default: Failure(.readFailed(strerror(code).map { String(cString: $0) } ?? "error \(code)"))
        }
    }
}

/// POSIX `read` (inside `TextFile` the name means `TextFile.read(path:)`).
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int)
    -> Int
{
    read(descriptor, buffer, count)
}
