import DnodeProtocol
import TerminalUI
import Upnode

/// One link to watch: where it goes and how to keep it up.
public struct ConnectionSpec: Sendable {
    public var name: String
    public var endpoint: Endpoint
    public var tls: TLSOptions?
    public var link = LinkConfiguration()
    /// `auth_method(args…, cb)` run on every connect (the upnode auth pattern).
    public var auth: AuthSpec?
    public var tags: [String] = []
    /// Where the link came from (a reload only touches `configFile` links).
    public var origin = LinkOrigin.commandLine
    /// `tap = …`: a tap in front of this link's endpoint (config files only).
    public var tap: TapSpec?

    public init(name: String, endpoint: Endpoint) {
        self.name = name
        self.endpoint = endpoint
    }

    /// Parses a command-line connection: `host:port`, `name=host:port`, `unix:/path`,
    /// `tls://host:port`, `exec:command args…`.
    public init(commandLine text: String) throws(ConfigError) {
        var name: String?
        var rest = text
        if let equals = text.firstIndex(of: "="), !text[..<equals].contains(":") {
            name = String(text[..<equals])
            rest = String(text[text.index(after: equals)...])
        }
        do {
            endpoint = try Endpoint(parsing: rest)
        } catch {
            throw ConfigError(
                file: "command line", line: 0,
                message: shownInMessage(String(describing: error), limit: 300))
        }
        if let problem = Self.problem(with: endpoint) {
            throw ConfigError(file: "command line", line: 0, message: "bad endpoint: \(problem)")
        }
        if let name, name.isEmpty {
            throw ConfigError(
                file: "command line", line: 0, message: "'\(text)' has an empty name before '='")
        }
        self.name = name ?? endpoint.description
        if case .tls = endpoint { tls = TLSOptions() }
    }
}

extension ConnectionSpec {
    /// Longest DNS host name (RFC 1035) and unix socket path (`sun_path` less its NUL).
    static let maxHostBytes = 253
    static let maxUnixPathBytes = 107

    /// What is wrong with an endpoint that parsed but cannot work: a host name or a socket
    /// path too long for DNS or the kernel. Nil when it is fine.
    static func problem(with endpoint: Endpoint) -> String? {
        switch endpoint {
        case .tcp(let host, _), .tls(let host, _):
            guard host.utf8.count > maxHostBytes else { return nil }
            return
                "host name '\(shownInMessage(host))' is \(host.utf8.count) bytes; a host name is at most \(maxHostBytes)"
        case .unix(let path):
            guard path.utf8.count > maxUnixPathBytes else { return nil }
            return
                "socket path '\(shownInMessage(path))' is \(path.utf8.count) bytes; unix socket paths are at most \(maxUnixPathBytes)"
        case .exec, .channel:
            return nil
        }
    }
}

/// Credentials for the connect hook. Values come from the environment at each connect
/// attempt, so they never sit in the config, a recording or a log.
public struct AuthSpec: Sendable {
    public enum Argument: Sendable, Equatable {
        case environment(String)
        case literal(JSONValue)
    }

    public var method: String
    public var arguments: [Argument]

    public init(method: String, arguments: [Argument]) {
        self.method = method
        self.arguments = arguments
    }

    /// The argument values, or the name of the first missing environment variable.
    public func resolve(environment: [String: String]) -> Result<
        [DnodeValue], AuthEnvironmentMissing
    > {
        var values: [DnodeValue] = []
        for argument in arguments {
            switch argument {
            case .literal(let json): values.append(DnodeValue(json))
            case .environment(let name):
                guard let value = environment[name] else {
                    return .failure(AuthEnvironmentMissing(variable: name))
                }
                values.append(.string(value))
            }
        }
        return .success(values)
    }
}

public struct AuthEnvironmentMissing: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public var description: String {
        "environment variable \(variable) (named in auth_args) is not set"
    }
}
