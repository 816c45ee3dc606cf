import DnodeProtocol

/// Errors of the upnode client and server, each with a message a user can act on.
public enum UpnodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `up(timeout:)` expired while the link was down; the body never ran.
    case queueTimeout(Duration)
    /// The queue already holds `limit` transactions.
    case queueFull(limit: Int)
    /// A call had been sent when the link died; it may or may not have run remotely.
    case linkLost(method: String)
    /// `close()` was called.
    case closed
    /// A request got no callback invocation in time.
    case requestTimeout(method: String, after: Duration)
    /// The remote does not export this method.
    case noSuchMethod(String)
    /// The remote answered an error-first callback with an error.
    case remote(JSONValue)
    /// The peer's message or our call broke the dnode protocol; the error says how.
    case protocolError(DnodeProtocolError)
    /// An endpoint string could not be parsed; the text says what is wrong and the expected form.
    case badEndpoint(String)
    /// TLS could not be set up (unreadable or invalid certificate or key files); the text
    /// says which.
    case tls(String)

    /// A short machine-readable code (`timeout`, `queue_full`, `link_down`, …) for logs and
    /// metrics.
    public var code: String {
        switch self {
        case .queueTimeout, .requestTimeout: "timeout"
        case .queueFull: "queue_full"
        case .linkLost: "link_down"
        case .closed: "closed"
        case .noSuchMethod: "no_such_method"
        case .remote: "remote"
        case .protocolError: "protocol_error"
        case .badEndpoint: "bad_endpoint"
        case .tls: "tls_error"
        }
    }

    public var description: String {
        switch self {
        case .queueTimeout(let after):
            "timed out after \(after.milliseconds) ms waiting for the link to come up"
        case .queueFull(let limit):
            "the transaction queue is full (\(limit) waiting); raise maxQueuedTransactions or wait"
        case .linkLost(let method):
            "the link went down while '\(method)' was in flight; it may or may not have run"
        case .closed: "the client was closed"
        case .requestTimeout(let method, let after):
            "'\(method)' got no answer within \(after.milliseconds) ms"
        case .noSuchMethod(let name): "the remote has no method '\(name)'"
        case .remote(let value): "remote error: \(value.jsonText)"
        case .protocolError(let error): "protocol error: \(error)"
        case .badEndpoint(let text): "bad endpoint: \(text)"
        case .tls(let text): "TLS: \(text)"
        }
    }
}

/// Millisecond helpers for messages and logs.
extension Duration {
    /// Whole and fractional milliseconds.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// A compact human form: 800 ms, 1.5 s.
    public var shortDescription: String {
        let ms = milliseconds
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let seconds = ms / 1000
        return seconds == seconds.rounded()
            ? "\(Int(seconds)) s" : "\((seconds * 10).rounded() / 10) s"
    }
}
