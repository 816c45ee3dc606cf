import DnodeProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory for one test's sockets (short: unix socket paths are limited).
func scratchDirectory() throws -> String {
    let path = "/tmp/upmon-ep-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a blocking read on a thread of its own: never on a thread of the cooperative pool
/// (the endpoint's own task needs one) nor of Dispatch's width-limited global queues, which
/// back that pool on Linux.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A blocking reader of an endpoint's socket, one line at a time. Reads give up after
/// `timeout` so that a broken endpoint fails the test instead of hanging it.
///
/// `@unchecked Sendable`: each test uses its reader from one `offPool` call at a time, in
/// sequence, so its buffer is never touched by two threads at once.
final class LineReader: @unchecked Sendable {
    let fd: Int32
    var pending: [UInt8] = []

    init(path: String, timeout: Int = 30) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReaderError(text: "socket") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw ReaderError(text: "connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// The next line (without `\n`), or nil at the end of the stream.
    func line() throws -> String? {
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeSubrange(...end)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count == 0 { return nil }
            guard count > 0 else { throw ReaderError(text: "read timed out or failed") }
            pending += chunk[..<count]
        }
    }

    /// The next line parsed as JSON.
    func json() throws -> JSONValue? {
        guard let text = try line() else { return nil }
        return try JSONValue(parsing: Array(text.utf8))
    }

    /// Lines until one satisfies `match` (returned), or the stream ends (nil).
    func until(_ match: (JSONValue) -> Bool) throws -> JSONValue? {
        while let value = try json() {
            if match(value) { return value }
        }
        return nil
    }
}

struct ReaderError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
