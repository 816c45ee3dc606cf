#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a monitor endpoint could not be opened.
public struct MonitorEndpointError: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Problem: Equatable, Sendable {
        /// Something that is not a socket is at the path; it is never replaced.
        case notASocket
        /// Another process listens on the path (a live endpoint is never taken over).
        case inUse
        /// A system call failed; the text is the system error.
        case system(String)
    }

    /// The socket path.
    public let path: String
    /// What went wrong.
    public let problem: Problem

    /// An error about `path`.
    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// The problem in words, naming the path.
    public var description: String {
        switch problem {
        case .notASocket: "\(path) exists and is not a socket; not replacing it"
        case .inUse: "\(path) is in use: another process is listening on it"
        case .system(let text): "\(path): \(text)"
        }
    }
}

/// The file side of the endpoint's socket: what may be at the path before binding, and the
/// mode after it.
enum SocketFile {
    /// What `lstat` found at a path.
    enum Existing: Equatable {
        case nothing
        case socket
        case other
    }

    /// What to do with what is at the path before binding. Pure, for tests.
    static func decision(existing: Existing, isLive: Bool) -> MonitorEndpointError.Problem? {
        switch existing {
        case .nothing: nil
        case .other: .notASocket
        case .socket: isLive ? .inUse : nil
        }
    }

    /// Gets the path ready for `bind`: nothing there is fine, a stale socket (nobody accepts on
    /// it) is removed, a live socket or any other file is refused.
    static func prepare(_ path: String) throws(MonitorEndpointError) {
        let existing = lookUp(path)
        let isLive = existing == .socket && accepts(path)
        if let problem = decision(existing: existing, isLive: isLive) {
            throw MonitorEndpointError(path: path, problem: problem)
        }
        if existing == .socket, unlink(path) != 0, errno != ENOENT {
            throw MonitorEndpointError(path: path, problem: .system(errorText()))
        }
    }

    static func lookUp(_ path: String) -> Existing {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .nothing }
        return (info.st_mode & S_IFMT) == S_IFSOCK ? .socket : .other
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func accepts(_ path: String) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// Sets the socket file to owner read/write only, whatever the umask was at `bind`.
    static func restrict(_ path: String) throws(MonitorEndpointError) {
        guard chmod(path, 0o600) == 0 else {
            throw MonitorEndpointError(path: path, problem: .system(errorText()))
        }
    }

    /// The permission bits of the file at `path` (for tests and checks).
    static func mode(_ path: String) -> UInt32? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode & 0o7777)
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// Who may subscribe: only a peer running as our own user. Pure, for tests.
enum PeerPolicy {
    /// Whether a peer whose uid is `peer` may subscribe to an endpoint running as `own`.
    /// An unknown uid (the system could not say) is refused where the system can tell
    /// (Linux); elsewhere the socket file's mode is the only guard.
    static func allows(peer: UInt32?, own: UInt32, systemReportsPeers: Bool) -> Bool {
        guard let peer else { return !systemReportsPeers }
        return peer == own
    }

    /// Whether this system reports a unix-socket peer's uid (`SO_PEERCRED`).
    static var systemReportsPeers: Bool {
        #if os(Linux)
            true
        #else
            false
        #endif
    }

    /// The uid this process runs as.
    static var ownUID: UInt32 { UInt32(getuid()) }
}
