import Upnode

/// Where a running link came from: a config reload only touches links of the config file.
public enum LinkOrigin: String, Sendable, Equatable {
    /// A `[name]` section of the config file.
    case configFile
    /// An argument of `upmon watch` (or the demo).
    case commandLine
    /// `:connect` in the dashboard.
    case interactive
}

extension ConnectionSpec: Equatable {
    /// Same name and the same settings (`changedSettings(from:)` is empty).
    public static func == (lhs: ConnectionSpec, rhs: ConnectionSpec) -> Bool {
        lhs.name == rhs.name && lhs.changedSettings(from: rhs).isEmpty
    }

    /// The config keys whose values differ from `other`'s, in config order (`endpoint`,
    /// `tls…`, `ping`, …); the name is not compared.
    public func changedSettings(from other: ConnectionSpec) -> [String] {
        var keys: [String] = []
        func check(_ key: String, _ differs: Bool) { if differs { keys.append(key) } }
        check("endpoint", endpoint.normalized != other.endpoint.normalized)
        check("tls", (tls == nil) != (other.tls == nil))
        check("tls_ca", tls?.trustRootsFile != other.tls?.trustRootsFile)
        check("tls_server_name", tls?.serverName != other.tls?.serverName)
        check("tls_cert", tls?.certificateFile != other.tls?.certificateFile)
        check("tls_key", tls?.privateKeyFile != other.tls?.privateKeyFile)
        check("ping", link.pingInterval != other.link.pingInterval)
        check("timeout", link.pingTimeout != other.link.pingTimeout)
        check("reconnect", link.reconnect.kind != other.link.reconnect.kind)
        check("reconnect_max", link.reconnect.maxAttempts != other.link.reconnect.maxAttempts)
        check("connect_timeout", link.connectTimeout != other.link.connectTimeout)
        check("max_queue", link.maxQueuedTransactions != other.link.maxQueuedTransactions)
        check("max_line", link.maxLineBytes != other.link.maxLineBytes)
        check("auth_method", auth?.method != other.auth?.method)
        check("auth_args", (auth?.arguments ?? []) != (other.auth?.arguments ?? []))
        check("tags", tags != other.tags)
        return keys
    }
}
