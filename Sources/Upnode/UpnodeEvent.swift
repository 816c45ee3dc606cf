/// Where a connection attempt is.
public enum ConnectPhase: String, Sendable, Hashable {
    /// Opening the TCP or Unix-socket connection.
    case dial
    /// The TLS handshake of a `.tls` endpoint (this client's state machine reports it as part
    /// of `dial`).
    case tls
    /// Connected; waiting for the peer's `methods` message.
    case methods
    /// Running the connect hook (e.g. an `auth` call) before the link goes up.
    case auth
}

/// The state of a link (docs/PROTOCOL.md, "Link states").
public enum LinkState: Sendable, Hashable, CustomStringConvertible {
    /// Created, not started yet.
    case idle
    /// A connection attempt is under way, in this phase.
    case connecting(ConnectPhase)
    /// Connected and ready: transactions run and the heartbeat is on.
    case up
    /// The connection ended; a reconnect is scheduled next unless held or out of attempts.
    case down
    /// Waiting for the reconnect delay of the ``ReconnectPolicy`` before dialing again.
    case reconnecting
    /// `close()` was called; the link never comes back.
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
    /// The first connection attempt after `start()`.
    case start
    /// A scheduled reconnect attempt.
    case retry
    /// The app asked to reconnect now (`reconnectNow()`), skipping any wait.
    case manualReconnect
    /// The peer's `methods` arrived and no connect hook was needed: the link is up.
    case ready
    /// The connect hook succeeded: the link is up.
    case authOK
    /// The dial failed (connection refused, no such host or socket…); the text says why.
    case refused(String)
    /// No connection and `methods` within ``LinkConfiguration/connectTimeout``.
    case connectTimeout
    /// The TLS handshake or TLS setup failed: check certificates, trust roots and server name.
    case tlsError(String)
    /// The connect hook threw (e.g. the server refused the credentials); the text is the error.
    case authFailed(String)
    /// The credentials the app reads from the environment are not set (the app reports it).
    case authEnvMissing(String)
    /// The peer did not answer pings within the ping timeout: the link is presumed dead.
    case pingTimeout
    /// The peer closed the connection.
    case remoteClosed
    /// A read or write on the connection failed; the text is the system error.
    case ioError(String)
    /// The peer sent a line longer than `limit` bytes (`maxLineBytes`).
    case frameTooLong(limit: Int)
    /// The peer sent something that breaks the dnode protocol; the text says what.
    case protocolError(String)
    /// `hold()` took the link down; it stays down until `reconnectNow()`.
    case held
    /// The link went down and a reconnect is scheduled
    /// (``UpnodeEvent/reconnectScheduled(attempt:delay:)`` says when).
    case retryScheduled
    /// `close()` was called.
    case closed
    /// A connection attempt moved to its next ``ConnectPhase``.
    case phase

    /// The machine-readable reason, as recorded in `state` events: `refused`, `ping_timeout`, …
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
    /// Transactions waiting now.
    public var depth = 0
    /// Age of the oldest waiting transaction.
    public var oldestAge: Duration?
    /// Transactions accepted by the queue.
    public var enqueued = 0
    /// Transactions the queue started on an up link.
    public var flushed = 0
    /// Transactions whose `up(timeout:)` expired while they waited
    /// (``UpnodeError/queueTimeout(_:)``).
    public var expired = 0
    /// Transactions refused because the queue was full, or failed in it by `close()`.
    public var failed = 0
    /// Transactions that left the queue because their task was cancelled.
    public var cancelled = 0

    /// Empty counters.
    public init() {}
}

/// Everything a client reports, in order, on its event streams.
///
/// Why a link went down (refused, TLS, ping timeout, frame too long, …) travels in the
/// `state` event's reason; problems that do not end the link are `warning`s.
public enum UpnodeEvent: Sendable, Equatable {
    /// The link changed state, and why.
    case state(from: LinkState, to: LinkState, reason: LinkReason)
    /// The method paths of the remote (sorted), on every up.
    case remoteMethods([String])
    /// A heartbeat ping was answered after `rtt`.
    case ping(rtt: Duration)
    /// A ping got no answer within `after`; `consecutive` counts the misses in a row.
    case pingTimeout(after: Duration, consecutive: Int)
    /// The next dial (`attempt`, 1-based) happens after `delay`.
    case reconnectScheduled(attempt: Int, delay: Duration)
    /// The transaction queue changed (depth or counters).
    case queue(QueueStats)
    /// Something the peer did wrong that did not end the link, or a local warning.
    case warning(String)
}
