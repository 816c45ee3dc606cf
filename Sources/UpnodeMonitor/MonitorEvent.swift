import DnodeProtocol

/// One thing that happened in a session, stamped with the session clock.
///
/// Live, the app's `MonitorFeed` produces these from link events; in replay they come from the
/// recording. Both feed `MonitorState.apply(_:)`, so the screen is the same either way.
/// The kinds match the recording kinds (docs/RECORDING.md, "Events") apart from `snap`.
public struct MonitorEvent: Hashable, Sendable {
    /// Seconds since the session (or recording) started, from the monotonic clock.
    ///
    /// Recordings keep millisecond precision; stamping live events already rounded
    /// (`MonitorEvent.roundedTime(_:)`) makes a replay reproduce the live state exactly.
    public var t: Double
    /// The link the event belongs to; `nil` for session-wide events (`mark`, `end`, some notes).
    public var conn: ConnectionID?
    /// What happened.
    public var kind: Kind

    /// An event at `t` seconds into the session.
    public init(t: Double, conn: ConnectionID?, kind: Kind) {
        self.t = t
        self.conn = conn
        self.kind = kind
    }

    /// Where a call came from.
    public enum CallOrigin: String, Sendable, CaseIterable {
        /// The call dialog or `upmon call`.
        case manual
        /// Flushed from the `up` transaction queue.
        case queued
        case direct
    }

    /// Why a recording or session ended.
    public enum EndReason: String, Sendable, CaseIterable {
        case quit, signal
        case stdinClosed = "stdin_closed"
        case stopped, error
    }

    /// The event kinds, one per recording kind except `snap`.
    public enum Kind: Hashable, Sendable {
        /// A link state transition. `phase` is set when `to` is `connecting`.
        case state(
            from: LinkStateName, to: LinkStateName, reason: String, detail: String?,
            phase: ConnectPhaseName?)
        /// One successful heartbeat with its round trip time.
        case ping(rttMs: Double)
        /// No ping reply within the timeout.
        case pingTimeout(afterMs: Double, consecutive: Int)
        /// A reconnect attempt was scheduled after `delayMs`.
        case reconnect(attempt: Int, delayMs: Double)
        /// The transaction queue changed. Counts are running totals since the session began.
        /// `failed` is optional in the file (an addition to format version 1).
        case queue(
            depth: Int, oldestMs: Double, enqueued: Int, flushed: Int, expired: Int, failed: Int?)
        /// A call was sent. `args` is already redacted unless arguments are being recorded.
        case call(id: String, method: String, origin: CallOrigin, args: JSONValue, redacted: Bool)
        /// Invocation `n` of call `id`'s callback. `payload` is the value when `ok`,
        /// otherwise the error (`{"code":"timeout"}`, `{"remote":…}`).
        case result(id: String, n: Int, ok: Bool, durMs: Double, payload: JSONValue, redacted: Bool)
        /// The sorted method paths the remote exposed when it came up.
        case remoteMethods([String])
        /// A user bookmark.
        case mark(label: String)
        case note(level: NoteLevel, text: String)
        /// The last line of a recording; `lines` counts the lines before it, header included.
        case end(reason: EndReason, lines: Int)
        /// Link `conn` joined the session (`:connect`, a config reload); it starts `idle`.
        case linkAdded(name: String, endpoint: String, options: ConnectionOptions)
        /// Link `conn` left the session; `reason` is one of `LinkRemovalReason`'s values.
        case linkRemoved(reason: String)
        /// An alert of the link fired or resolved (`AlertEvaluator`).
        case alert(AlertChange)
        /// Something `upmon tap` saw on a tapped connection (`tap_open`, `tap_call`, …).
        case tap(TapEvent)
    }
}

extension MonitorEvent {
    /// `t` rounded to the millisecond, the precision recordings keep.
    public static func roundedTime(_ t: Double) -> Double { (t * 1000).rounded() / 1000 }

    /// The event at the precision a recording keeps: `t` to the millisecond, durations to the
    /// microsecond. `MonitorFeed` should stamp events this way so that a replay reproduces the
    /// live state exactly rather than to within a millisecond.
    public func roundedToRecordingPrecision() -> MonitorEvent {
        func ms(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        var copy = self
        copy.t = Self.roundedTime(t)
        switch kind {
        case .ping(let rttMs): copy.kind = .ping(rttMs: ms(rttMs))
        case .pingTimeout(let afterMs, let consecutive):
            copy.kind = .pingTimeout(afterMs: ms(afterMs), consecutive: consecutive)
        case .reconnect(let attempt, let delayMs):
            copy.kind = .reconnect(attempt: attempt, delayMs: ms(delayMs))
        case .queue(let depth, let oldestMs, let enqueued, let flushed, let expired, let failed):
            copy.kind = .queue(
                depth: depth, oldestMs: ms(oldestMs), enqueued: enqueued, flushed: flushed,
                expired: expired, failed: failed)
        case .result(let id, let n, let ok, let durMs, let payload, let redacted):
            copy.kind = .result(
                id: id, n: n, ok: ok, durMs: ms(durMs), payload: payload, redacted: redacted)
        case .alert(var change):
            change.value = ms(change.value)
            change.threshold = ms(change.threshold)
            change.forSeconds = ms(change.forSeconds)
            copy.kind = .alert(change)
        case .tap(let tapEvent):
            copy.kind = .tap(tapEvent.rounded())
        case .state, .call, .remoteMethods, .mark, .note, .end, .linkAdded, .linkRemoved:
            break
        }
        return copy
    }

    /// The name of the kind as written in recordings (`ping_timeout`, `remote_methods`, …).
    public var kindName: String { kind.name }
}

extension MonitorEvent.Kind {
    /// The name of the kind as written in recordings.
    public var name: String {
        switch self {
        case .state: "state"
        case .ping: "ping"
        case .pingTimeout: "ping_timeout"
        case .reconnect: "reconnect"
        case .queue: "queue"
        case .call: "call"
        case .result: "result"
        case .remoteMethods: "remote_methods"
        case .mark: "mark"
        case .note: "note"
        case .end: "end"
        case .linkAdded: "link_added"
        case .linkRemoved: "link_removed"
        case .alert: "alert"
        case .tap(let tapEvent): tapEvent.name
        }
    }
}

/// Why a link left the session (the `reason` of a `link_removed` event). Reasons travel as
/// strings, so a newer writer's reason still shows.
public enum LinkRemovalReason {
    /// `:disconnect`.
    public static let disconnected = "disconnected"
    /// A config reload no longer lists it.
    public static let removedFromConfig = "removed_from_config"
    /// A config reload changed its settings: it leaves and joins again under a new id.
    public static let settingsChanged = "settings_changed"

    /// The reason in a few words for people.
    public static func phrase(_ reason: String) -> String {
        switch reason {
        case disconnected: "disconnected"
        case removedFromConfig: "removed from the config"
        case settingsChanged: "settings changed"
        default: MonitorText.bounded(String(reason.map { $0 == "_" ? " " : $0 }), toBytes: 40)
        }
    }
}
