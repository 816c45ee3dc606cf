/// Where a link goes: TCP, TLS over TCP, or a unix socket.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case tls(host: String, port: Int)
    case unix(path: String)

    /// Parses `host:port`, `[v6]:port`, `tcp://host:port`, `tls://host:port` or `unix:/path`.
    public init(parsing text: String) throws(UpnodeError) {
        if text.hasPrefix("unix:") {
            var path = String(text.dropFirst(5))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw .badEndpoint("'\(text)' has no socket path (want unix:/path/to.sock)") }
            self = .unix(path: path)
            return
        }
        var rest = Substring(text)
        var isTLS = false
        if rest.hasPrefix("tls://") {
            isTLS = true
            rest = rest.dropFirst(6)
        } else if rest.hasPrefix("tcp://") {
            rest = rest.dropFirst(6)
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw .badEndpoint("'\(text)' is not [ipv6]:port")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw .badEndpoint("'\(text)' has no port (want host:port, tls://host:port or unix:/path)")
            }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .badEndpoint("'\(text)': port '\(portText)' is not a number from 0 to 65535")
        }
        guard !host.isEmpty else { throw .badEndpoint("'\(text)' has no host") }
        self = isTLS ? .tls(host: String(host), port: port) : .tcp(host: String(host), port: port)
    }

    /// Normalised form used in recordings: tcp://host:port, tls://host:port, unix:/path.
    public var normalized: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(Self.bracketed(host)):\(port)"
        case .tls(let host, let port): "tls://\(Self.bracketed(host)):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// Short form for tables: host:port, tls://host:port, unix:/path.
    public var description: String {
        switch self {
        case .tcp(let host, let port): "\(Self.bracketed(host)):\(port)"
        case .tls(let host, let port): "tls://\(Self.bracketed(host)):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
