/// Where a connection attempt is.
public enum ConnectPhase: String, Sendable, Hashable {
    case dial, tls, methods, auth
}

/// The state of a link (docs/PROTOCOL.md, "Link states").
public enum LinkState: Sendable, Hashable, CustomStringConvertible {
    case idle
    case connecting(ConnectPhase)
    case up
    case down
    case reconnecting
    case closed

    /// The recording/state name: idle connecting up down reconnecting closed.
    public var name: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .up: "up"
        case .down: "down"
        case .reconnecting: "reconnecting"
        case .closed: "closed"
        }
    }

    public var description: String {
        if case .connecting(let phase) = self { return "connecting(\(phase.rawValue))" }
        return name
    }
}

/// Why a link changed state. `code` is the machine-readable reason recorded in `state`
/// events (docs/RECORDING.md, "Events").
public enum LinkReason: Sendable, Hashable, CustomStringConvertible {
    case start, retry, manualReconnect
    case ready, authOK
    case refused(String)
    case connectTimeout
    case tlsError(String)
    case authFailed(String)
    case authEnvMissing(String)
    case pingTimeout
    case remoteClosed
    case ioError(String)
    /// The peer sent a line longer than `limit` bytes (`maxLineBytes`).
    case frameTooLong(limit: Int)
    case protocolError(String)
    case held
    case retryScheduled
    case closed
    case phase

    public var code: String {
        switch self {
        case .start: "start"
        case .retry: "retry"
        case .manualReconnect: "manual_reconnect"
        case .ready: "ready"
        case .authOK: "auth_ok"
        case .refused: "refused"
        case .connectTimeout: "connect_timeout"
        case .tlsError: "tls_error"
        case .authFailed: "auth_failed"
        case .authEnvMissing: "auth_env_missing"
        case .pingTimeout: "ping_timeout"
        case .remoteClosed: "remote_closed"
        case .ioError: "io_error"
        case .frameTooLong: "frame_too_long"
        case .protocolError: "protocol_error"
        case .held: "held"
        case .retryScheduled: "retry_scheduled"
        case .closed: "closed"
        case .phase: "phase"
        }
    }

    /// Human text for logs and the event pane.
    public var detail: String? {
        switch self {
        case .refused(let text), .tlsError(let text), .authFailed(let text),
            .authEnvMissing(let text),
            .ioError(let text), .protocolError(let text):
            text
        case .connectTimeout: "no connection and methods within the connect timeout"
        case .pingTimeout: "no ping reply within the ping timeout"
        case .frameTooLong(let limit): Self.lineTooLongText(limit: limit)
        case .remoteClosed: "the peer closed the connection"
        default: nil
        }
    }

    public var description: String { detail.map { "\(code): \($0)" } ?? code }
}

extension LinkReason {
    /// The text of `frameTooLong`: the limit as people write it (`16 MiB`), and the setting
    /// that raises it where the limit was set (an app names its own option).
    public static func lineTooLongText(limit: Int, setting: String = "maxLineBytes") -> String {
        let size =
            if limit >= 1 << 20, limit % (1 << 20) == 0 {
                "\(limit >> 20) MiB"
            } else if limit >= 1 << 10, limit % (1 << 10) == 0 {
                "\(limit >> 10) KiB"
            } else {
                "\(limit) bytes"
            }
        return "the peer sent a line over the \(size) limit (raise \(setting))"
    }
}

/// Transaction queue counters; the totals are cumulative so a consumer that misses an event
/// still ends up correct. They count transactions that went through the queue: one that runs
/// at once on an up link with nothing queued never touches it (and costs no event).
public struct QueueStats: Sendable, Hashable {
    public var depth = 0
    /// Age of the oldest waiting transaction.
    public var oldestAge: Duration?
    public var enqueued = 0
    public var flushed = 0
    public var expired = 0
    public var failed = 0
    /// Transactions that left the queue because their task was cancelled.
    public var cancelled = 0

    public init() {}
}

/// Everything a client reports, in order, on its event streams.
///
/// Why a link went down (refused, TLS, ping timeout, frame too long, …) travels in the
/// `state` event's reason; problems that do not end the link are `warning`s.
public enum UpnodeEvent: Sendable, Equatable {
    case state(from: LinkState, to: LinkState, reason: LinkReason)
    /// The method paths of the remote (sorted), on every up.
    case remoteMethods([String])
    case ping(rtt: Duration)
    case pingTimeout(after: Duration, consecutive: Int)
    case reconnectScheduled(attempt: Int, delay: Duration)
    case queue(QueueStats)
    /// Something the peer did wrong that did not end the link, or a local warning.
    case warning(String)
}
