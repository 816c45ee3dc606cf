/// Identifies one link within a session: `c1`, `c2`, … in header order.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The id as written in recordings.
    public let rawValue: String
    /// An id from its recorded form.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// An id from a literal such as `"c1"`.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The id of the link at zero-based position `index` in the header: `c1` for 0.
    public init(index: Int) { self.rawValue = "c\(index + 1)" }
    /// The raw id.
    public var description: String { rawValue }
    /// Orders ids by their text.
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// The link states, spelled as in the recording format.
public enum LinkStateName: String, Sendable, CaseIterable {
    case idle, connecting, up, down, reconnecting, closed
}

/// Progress inside `connecting`, shown as `◌ auth` and the like.
public enum ConnectPhaseName: String, Sendable, CaseIterable {
    case dial, tls, methods, auth
}

/// Machine-readable reasons for state transitions (docs/RECORDING.md, "Events").
///
/// Reasons travel as plain strings so that a newer writer's reason is still shown; these
/// constants are the ones this version writes and understands.
public enum LinkReasonName {
    /// To `connecting`: the first attempt.
    public static let start = "start"
    /// To `connecting`: a scheduled reconnect fired.
    public static let retry = "retry"
    /// To `connecting`: reconnect requested by hand.
    public static let manualReconnect = "manual_reconnect"
    /// To `up`: methods exchanged, no auth hook.
    public static let ready = "ready"
    /// To `up`: the auth hook returned a remote.
    public static let authOK = "auth_ok"
    /// To `down`: connection refused.
    public static let refused = "refused"
    /// To `down`: connecting took too long.
    public static let connectTimeout = "connect_timeout"
    /// To `down`: TLS handshake failed.
    public static let tlsError = "tls_error"
    /// To `down`: the auth hook failed.
    public static let authFailed = "auth_failed"
    /// To `down`: an `env:` credential was not set.
    public static let authEnvMissing = "auth_env_missing"
    /// To `down`: heartbeats went unanswered.
    public static let pingTimeout = "ping_timeout"
    /// To `down`: the peer closed the connection.
    public static let remoteClosed = "remote_closed"
    /// To `down`: a socket error.
    public static let ioError = "io_error"
    /// To `down`: a line exceeded the length limit.
    public static let frameTooLong = "frame_too_long"
    /// To `down`: the peer broke the protocol.
    public static let protocolError = "protocol_error"
    /// The link was held down with `hold()`; it stays down until reconnected by hand.
    public static let held = "held"
    /// To `reconnecting`: the policy scheduled a retry.
    public static let retryScheduled = "retry_scheduled"
    /// To `closed`: `close()` was called.
    public static let closed = "closed"

    /// A reason in a few words for people: `connection refused`, `unknown host`, `timeout`,
    /// `auth refused`. `detail` (the text of the transition) refines a refused dial; a code
    /// this version does not know reads as its words (`some_code` → `some code`).
    public static func phrase(_ code: String, detail: String?) -> String {
        switch code {
        case refused:
            guard let detail = detail?.lowercased(), !detail.isEmpty else {
                return "connection refused"
            }
            if detail.contains("resolve") || detail.contains("unknown host") {
                return "unknown host"
            }
            if detail.contains("timed out") || detail.contains("timeout") { return "timeout" }
            return MonitorText.bounded(detail, toBytes: 40)
        case connectTimeout: return "timeout"
        case tlsError: return "tls error"
        case authFailed: return "auth refused"
        case authEnvMissing: return "auth credential missing"
        case pingTimeout: return "ping timeout"
        case remoteClosed: return "closed by peer"
        case ioError: return "i/o error"
        case frameTooLong: return "line too long"
        case protocolError: return "protocol error"
        case held: return "held"
        case closed: return "closed"
        default:
            return MonitorText.bounded(
                String(code.map { $0 == "_" ? " " : $0 }), toBytes: 40)
        }
    }
}

/// Connection options as shown in the header.
public struct ConnectionOptions: Hashable, Sendable {
    /// Heartbeat interval.
    public var pingMilliseconds: Int
    /// Heartbeat reply timeout.
    public var timeoutMilliseconds: Int
    /// `"fixed 1000ms"` or `"exponential"`.
    public var reconnect: String
    /// Options as configured.
    public init(pingMilliseconds: Int, timeoutMilliseconds: Int, reconnect: String) {
        self.pingMilliseconds = pingMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.reconnect = reconnect
    }
}

/// A monitored link as listed in a recording header.
public struct ConnectionInfo: Hashable, Sendable {
    /// The id events refer to.
    public var id: ConnectionID
    /// The config name shown in the UI, e.g. `api`.
    public var name: String
    /// Normalised endpoint: `tcp://host:port`, `tls://host:port` or `unix:/path`.
    public var endpoint: String
    /// Heartbeat and reconnect settings.
    public var options: ConnectionOptions
    /// A link description.
    public init(id: ConnectionID, name: String, endpoint: String, options: ConnectionOptions) {
        self.id = id
        self.name = name
        self.endpoint = endpoint
        self.options = options
    }
}

/// Severity of a `note` event and of event-log entries.
public enum NoteLevel: String, Sendable, CaseIterable {
    case info, warning, error
}

/// One line of the global event log: what happened, not how it reads. The dashboard words
/// it; recordings (format version 2) store these fields, so rewording changes no file.
/// Holds method names and outcomes, never arguments.
public struct LogEntry: Hashable, Sendable {
    /// When, on the session time axis.
    public var t: Double
    /// The link, or `nil` for session-wide entries.
    public var conn: ConnectionID?
    /// Severity, for colouring.
    public var level: NoteLevel
    /// What happened.
    public var event: Event

    /// An entry at `t` seconds into the session.
    public init(t: Double, conn: ConnectionID?, level: NoteLevel = .info, event: Event) {
        self.t = t
        self.conn = conn
        self.level = level
        self.event = event
    }

    /// The recording kind of the event that produced the entry (`state`, `call`, `note`, …).
    public var kind: String { event.kind }

    /// What a log entry records. Names coming from the remote are already bounded.
    public enum Event: Hashable, Sendable {
        /// A state transition; `detail` is the human-readable cause, if any.
        case transition(from: LinkStateName, to: LinkStateName, reason: String, detail: String?)
        /// No ping reply within `afterMs`; `consecutive` timeouts in a row.
        case pingTimeout(afterMs: Double, consecutive: Int)
        /// Reconnect attempt `attempt` scheduled after `delayMs`.
        case reconnect(attempt: Int, delayMs: Double)
        /// `count` queued transactions expired since the previous queue event.
        case queueExpired(count: Int)
        /// A call of `method` was sent.
        case call(method: String, origin: MonitorEvent.CallOrigin)
        /// Invocation `n` of the callback of a call of `method`, `durMs` after the call;
        /// `errorCode` (`timeout`, `link_lost`, `remote` for the peer's own error, …) may be
        /// set when not `ok`.
        case result(method: String, n: Int, ok: Bool, durMs: Double, errorCode: String?)
        /// The remote exposed `count` methods.
        case remoteMethods(count: Int)
        /// A user bookmark.
        case mark(label: String)
        /// A note (warnings from the link, upmon's own notices).
        case note(text: String)
        /// The recording or session ended.
        case end(reason: MonitorEvent.EndReason)
        /// An entry of a format version 1 snapshot, which stored the wording, not the fields:
        /// its kind and text as written.
        case legacy(kind: String, text: String)
        /// A link joined the session.
        case linkAdded(name: String, endpoint: String)
        /// A link left the session (`reason` as in `LinkRemovalReason`); `name` is kept here
        /// because the link is gone.
        case linkRemoved(name: String, reason: String)
        /// The alert `rule` of the entry's link fired or resolved; `value` and `threshold` in
        /// the rule's unit.
        case alert(rule: String, state: AlertChange.State, value: Double, threshold: Double)

        /// The recording kind that produces this entry.
        public var kind: String {
            switch self {
            case .transition: "state"
            case .pingTimeout: "ping_timeout"
            case .reconnect: "reconnect"
            case .queueExpired: "queue"
            case .call: "call"
            case .result: "result"
            case .remoteMethods: "remote_methods"
            case .mark: "mark"
            case .note: "note"
            case .end: "end"
            case .legacy(let kind, _): kind
            case .linkAdded: "link_added"
            case .linkRemoved: "link_removed"
            case .alert: "alert"
            }
        }
    }
}
