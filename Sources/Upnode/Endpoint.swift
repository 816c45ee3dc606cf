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
            guard !path.isEmpty else {
                throw .badEndpoint("'\(text)' has no socket path (want unix:/path/to.sock)")
            }
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
            guard let close = rest.firstIndex(of: "]"),
                rest[rest.index(after: close)...].hasPrefix(":")
            else {
                throw .badEndpoint("'\(text)' is not [ipv6]:port")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else {
                throw .badEndpoint(
                    "'\(text)' has no port (want host:port, tls://host:port or unix:/path)")
            }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .badEndpoint("'\(text)': port '\(portText)' is not a number from 0 to 65535")
        }
        guard !host.isEmpty else { throw .badEndpoint("'\(text)' has no host") }
        if let bad = Self.firstInvalidHostCharacter(host, bracketed: rest.hasPrefix("[")) {
            throw .badEndpoint(
                "'\(Self.shown(text))': host '\(Self.shown(host))' contains \(Self.describe(bad)),"
                    + " which cannot be in a host name"
                    + " (want a DNS name of letters, digits, '-', '.' and '_', an IPv4 address"
                    + " or [ipv6])")
        }
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

    /// The first character of `host` that no host name or IP literal may contain, or `nil`.
    ///
    /// Allowed: ASCII letters and digits, `-`, `.` and `_` (DNS names, including the `_` that
    /// service names use, and IPv4 addresses). An IPv6 literal also has `:`, and `%` for a zone
    /// (`fe80::1%eth0`); these are allowed in `[brackets]`, and without them when the host has a
    /// `:` (an unbracketed IPv6 literal, as `::1:7000` has always been read). Anything else
    /// (`=`, `/`, `@`, spaces, control bytes, non-ASCII; internationalised names must be given
    /// in their `xn--` form) is refused rather than handed to the resolver.
    static func firstInvalidHostCharacter(_ host: Substring, bracketed: Bool) -> Unicode.Scalar? {
        let isIPv6 = bracketed || host.contains(":")
        for scalar in host.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": continue
            case ":" where isIPv6, "%" where isIPv6: continue
            default: return scalar
            }
        }
        return nil
    }

    /// `text` cut to 60 characters (with `…`), so a huge argument keeps the message readable.
    static func shown(_ text: some StringProtocol) -> String {
        text.count > 60 ? text.prefix(60) + "…" : String(text)
    }

    /// `'='` for a printable ASCII character, `U+0009` for anything else.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.value > 0x20, scalar.value < 0x7F { return "'\(Character(scalar))'" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
