import DnodeProtocol
import TerminalUI
import UpnodeMonitor

/// Everything the dashboard shows: the monitor state plus UI state. A pure value.
///
/// The runtime (`UpmonRuntime`) is its single owner: it feeds `Msg`s through `update`,
/// carries out the returned `Effect`s, and draws `view(model, …)` when something changed.
public struct AppModel: Sendable {
    /// Live data (or, in replay, the state at the playback cursor).
    public var monitor: MonitorState
    public var ui = UIState()
    public var mode: Mode
    /// Shown after `demo seed N` or the config name in the header.
    public var sessionLabel: String
    /// Thresholds for latency colours (config file or recording header).
    public var thresholds = Thresholds()
    /// Non-nil while recording.
    public var recording: RecordingStatus?
    /// Calls made from the call dialog, newest last (bounded).
    public var calls: [ManualCall] = []
    /// Wall-clock time (seconds since the Unix epoch) at monitor t = 0, for the header clock
    /// and event timestamps.
    public var wallClockAtZero: Double
    /// Set by `update` when the user asked to quit (the runtime then shuts down).
    public var isQuitting = false

    public init(monitor: MonitorState, mode: Mode, sessionLabel: String, wallClockAtZero: Double) {
        self.monitor = monitor
        self.mode = mode
        self.sessionLabel = sessionLabel
        self.wallClockAtZero = wallClockAtZero
    }

    public enum Mode: Sendable, Equatable {
        case live
        case replay(ReplayStatus)
    }
}

/// Latency/queue thresholds (ARCHITECTURE §9; themes never hold them).
public struct Thresholds: Sendable, Equatable {
    public var latencyWarnMs = 100.0
    public var latencyBadMs = 300.0
    public var queueStuckAfterMs = 10_000.0
    public init() {}
}

/// Recording badge state.
public struct RecordingStatus: Sendable, Equatable {
    public var path: String
    /// Monitor t at which recording started (the badge shows now − startedT).
    public var startedT: Double
    /// Set when a write failed: the badge shows `REC FAILED`.
    public var failure: String?
    public var marks = 0
    public init(path: String, startedT: Double) {
        self.path = path
        self.startedT = startedT
    }
}

/// Replay playback state; the runtime advances `position` on each tick while playing.
public struct ReplayStatus: Sendable, Equatable {
    public var fileName: String
    public var position: Double
    public var duration: Double
    public var speed: Double = 1
    public var isPaused = false
    public var isComplete = true
    /// Mark times (t) and labels, for `[`/`]` and the progress line.
    public var marks: [ReplayMark] = []
    public init(fileName: String, position: Double, duration: Double) {
        self.fileName = fileName
        self.position = position
        self.duration = duration
    }
    /// Playback speeds `+`/`-` step through.
    public static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
}

public struct ReplayMark: Sendable, Equatable {
    public var t: Double
    public var label: String
    public init(t: Double, label: String) {
        self.t = t
        self.label = label
    }
}

/// A call made from the dialog and what came back.
public struct ManualCall: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case queued
        case waiting
        case ok(ms: Double)
        case error(String)
        case timeout
    }
    public var id: String
    public var conn: ConnectionID
    public var method: String
    /// The arguments as typed (JSON text).
    public var argumentsText: String
    public var startedT: Double
    public var status: Status
    /// Each callback invocation: label (`cb` or a `$cb` label), ms since the call, arguments.
    public var invocations: [Invocation] = []
    public init(id: String, conn: ConnectionID, method: String, argumentsText: String, startedT: Double, status: Status) {
        self.id = id
        self.conn = conn
        self.method = method
        self.argumentsText = argumentsText
        self.startedT = startedT
        self.status = status
    }
    public struct Invocation: Sendable, Equatable {
        public var label: String
        public var n: Int
        public var ms: Double
        public var arguments: JSONValue
        public init(label: String, n: Int, ms: Double, arguments: JSONValue) {
            self.label = label
            self.n = n
            self.ms = ms
            self.arguments = arguments
        }
    }
}

/// Inputs to `update`.
public enum Msg: Sendable {
    case key(InputEvent)
    /// A live monitor event (already stamped); in replay the runtime replaces `monitor` instead.
    case monitor(MonitorEvent)
    /// The runtime's 10 Hz tick with the current monitor time.
    case tick(now: Double)
    case resize(width: Int, height: Int)
    /// The runtime replaced the whole monitor state (replay seek/advance).
    case replayState(MonitorState, position: Double)
    /// Progress of a manual call (status change or a callback invocation).
    case callStatus(id: String, ManualCall.Status)
    case callInvocation(id: String, ManualCall.Invocation)
    /// A one-line message for the status line (e.g. "theme: light", an error).
    case status(String, isError: Bool)
    /// Recording started, stopped or failed.
    case recordingChanged(RecordingStatus?)
    /// The list of themes that `t` cycles through and the active one.
    case themes(available: [String], active: String)
}

/// Side effects the runtime carries out; results come back as `Msg`s.
public enum Effect: Sendable, Equatable {
    /// Send `method(args…)` through the link's `up` queue. `args` is a JSON array where each
    /// `{"$cb":"label"}` becomes a streaming callback; `autoCallback` appends a `cb`.
    case call(id: String, conn: ConnectionID, method: String, args: JSONValue, autoCallback: Bool, waitMs: Double)
    case reconnect(ConnectionID)
    case hold(ConnectionID)
    case release(ConnectionID)
    case startRecording(path: String?)
    case stopRecording
    case addMark(label: String)
    case setTheme(String)
    /// Replay: seek to t (the runtime answers with `.replayState`).
    case seek(to: Double)
    /// Replay: apply exactly the next event.
    case step
    case redrawAll
    case quit
}
