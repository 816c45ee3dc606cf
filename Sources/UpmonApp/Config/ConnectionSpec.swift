import DnodeProtocol
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

    public init(name: String, endpoint: Endpoint) {
        self.name = name
        self.endpoint = endpoint
    }

    /// Parses a command-line connection: `host:port`, `name=host:port`, `unix:/path`, `tls://host:port`.
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
            throw ConfigError(file: "command line", line: 0, message: "\(error)")
        }
        if let name, name.isEmpty { throw ConfigError(file: "command line", line: 0, message: "'\(text)' has an empty name before '='") }
        self.name = name ?? endpoint.description
        if case .tls = endpoint { tls = TLSOptions() }
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
    public func resolve(environment: [String: String]) -> Result<[DnodeValue], AuthEnvironmentMissing> {
        var values: [DnodeValue] = []
        for argument in arguments {
            switch argument {
            case .literal(let json): values.append(DnodeValue(json))
            case .environment(let name):
                guard let value = environment[name] else { return .failure(AuthEnvironmentMissing(variable: name)) }
                values.append(.string(value))
            }
        }
        return .success(values)
    }
}

public struct AuthEnvironmentMissing: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public var description: String { "environment variable \(variable) (named in auth_args) is not set" }
}
