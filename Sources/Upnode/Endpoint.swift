import NIOCore

/// Where a link goes: TCP, TLS over TCP, a unix socket, a command's stdin/stdout, or any
/// channel you connect yourself.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// Plain TCP to `host` and `port`.
    case tcp(host: String, port: Int)
    /// TLS over TCP; certificates come from `TLSOptions` (client) or `ServerTLSOptions` (server).
    case tls(host: String, port: Int)
    /// A unix-domain socket at `path`.
    case unix(path: String)
    /// A command started for every connection attempt (like ssh's `ProxyCommand`), speaking
    /// dnode over its stdin and stdout; its stderr lines become `warning` events. `arguments`
    /// is the argv (the first is the command, looked up in `PATH`); no shell is involved.
    case exec(arguments: [String])
    /// Any full-duplex stream: the factory connects a channel for every connection attempt.
    case channel(ChannelFactory)

    /// Parses `host:port`, `[v6]:port`, `tcp://host:port`, `tls://host:port`, `unix:/path` or
    /// `exec:command args…` (split like a shell splits words: `'…'`, `"…"` and `\` quote;
    /// pipes, redirections and `$` need an explicit `exec:sh -c '…'`).
    public init(parsing text: String) throws(UpnodeError) {
        if text.hasPrefix("exec:") {
            self = .exec(arguments: try Self.splitCommand(String(text.dropFirst(5)), in: text))
            return
        }
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

    /// Normalised form used in recordings: tcp://host:port, tls://host:port, unix:/path,
    /// exec:command args (quoted so that it parses back), channel:name.
    public var normalized: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(Self.bracketed(host)):\(port)"
        case .tls(let host, let port): "tls://\(Self.bracketed(host)):\(port)"
        case .unix(let path): "unix:\(path)"
        case .exec(let arguments): "exec:" + arguments.map(Self.shellQuoted).joined(separator: " ")
        case .channel(let factory): "channel:\(factory.name)"
        }
    }

    /// Short form for tables: host:port, tls://host:port, unix:/path, exec:…, channel:name.
    public var description: String {
        switch self {
        case .tcp(let host, let port): "\(Self.bracketed(host)):\(port)"
        case .exec, .channel, .tls, .unix: normalized
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

    /// Whether `host` is an IPv4 or IPv6 address (not a name): a `tls://` host that is one
    /// cannot be the name its certificate is verified for.
    public static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// `'='` for a printable ASCII character, `U+0009` for anything else.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.value > 0x20, scalar.value < 0x7F { return "'\(Character(scalar))'" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

/// Connects a channel for an `Endpoint.channel` link, once per connection attempt (so again on
/// every reconnect). The dnode handler is added to the channel it returns, which must be active
/// (or become active) on the event loop it is given: the link's own loop.
///
/// ```swift
/// let endpoint = Endpoint.channel(ChannelFactory(name: "relay") { eventLoop in
///     try await ClientBootstrap(group: eventLoop).connect(host: "10.0.0.5", port: 7000).get()
/// })
/// ```
public struct ChannelFactory: Sendable, Hashable {
    /// Shown in tables, logs and recordings (as `channel:name`).
    public let name: String
    /// Makes one connected channel on the given loop; a thrown error fails that attempt (the
    /// link reconnects per its policy).
    public let makeChannel: @Sendable (any EventLoop) async throws -> any Channel
    /// Identity: two factories are the same endpoint only if they are the same value.
    let identity = Identity()

    final class Identity: Sendable {}

    /// A factory named for tables, logs and recordings.
    ///
    /// - Parameters:
    ///   - name: shown as `channel:name`.
    ///   - makeChannel: connects one channel on the loop it is given (see `makeChannel`).
    public init(
        name: String, makeChannel: @escaping @Sendable (any EventLoop) async throws -> any Channel
    ) {
        self.name = name
        self.makeChannel = makeChannel
    }

    /// The same factory value (copies included); two factories made apart never are.
    public static func == (lhs: ChannelFactory, rhs: ChannelFactory) -> Bool {
        lhs.identity === rhs.identity
    }

    /// Hashes the identity `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(identity)) }
}

extension Endpoint {
    /// Splits an `exec:` command into words as a POSIX shell would for simple quoting:
    /// blanks separate words; `'…'` is literal; `"…"` keeps blanks, with `\"`, `\\`, `\$` and
    /// `` \` `` escaped; `\` outside quotes escapes the next character. Characters that only a
    /// shell could honour (`|`, `&`, `;`, `<`, `>`, `$`, `` ` ``, `(`, `)`) are refused unquoted.
    static func splitCommand(_ command: String, in text: String) throws(UpnodeError) -> [String] {
        enum Quote { case none, single, double }
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote = Quote.none
        var iterator = command.makeIterator()
        while let character = iterator.next() {
            switch quote {
            case .single:
                if character == "'" { quote = .none } else { word.append(character) }
            case .double:
                if character == "\"" {
                    quote = .none
                } else if character == "\\" {
                    guard let next = iterator.next() else { break }
                    if !"\"\\$`".contains(next) { word.append("\\") }
                    word.append(next)
                } else {
                    word.append(character)
                }
            case .none:
                switch character {
                case " ", "\t", "\n":
                    if inWord { words.append(word) }
                    word = ""
                    inWord = false
                case "'":
                    quote = .single
                    inWord = true
                case "\"":
                    quote = .double
                    inWord = true
                case "\\":
                    if let next = iterator.next() { word.append(next) }
                    inWord = true
                case "|", "&", ";", "<", ">", "$", "`", "(", ")":
                    throw .badEndpoint(
                        "'\(shown(text))': '\(character)' needs a shell, which exec: does not"
                            + " start; quote it, or write exec:sh -c '…'")
                default:
                    word.append(character)
                    inWord = true
                }
            }
        }
        guard quote == .none else {
            throw .badEndpoint("'\(shown(text))' has an unterminated quote")
        }
        if inWord { words.append(word) }
        guard !words.isEmpty else {
            throw .badEndpoint("'\(shown(text))' has no command (want exec:command args…)")
        }
        return words
    }

    /// `word` as a shell (and `splitCommand`) reads it back: bare when it is plain, else in
    /// single quotes.
    static func shellQuoted(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", ":", "=", "@", ",", "+",
                    "%":
                    true
                default: false
                }
            }
        if plain { return word }
        return "'"
            + word.split(separator: "'", omittingEmptySubsequences: false).joined(
                separator: "'\\''") + "'"
    }
}
