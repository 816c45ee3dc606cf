import DnodeProtocol
import TerminalUI
import UpnodeMonitor

/// Everything the dashboard shows: the monitor state plus UI state. A pure value.
///
/// The runtime (`UpmonRuntime`) is its single owner: it feeds `Msg`s through `update`,
/// carries out the returned `Effect`s, and draws `view(model, …)` when something changed.
/// Nothing else changes it: every change is a `Msg` (docs/ARCHITECTURE.md, "Data flow").
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
    /// Set by `update` together with the `.quit` effect; later keys do nothing.
    public var isQuitting = false
    /// The newest t of the live events applied (a recording starts no earlier).
    public var latestEventT = 0.0
    /// The links belong to another app (`upmon attach`): calls, reconnect and hold refuse.
    public var linksAreAttached = false
    /// The live links as configured (ids, settings, origin): `:connect`, `:disconnect` and
    /// `:reload` change it and tell the runtime with `addLink`/`removeLink`.
    public var links = LinkRegistry()
    /// Alert rules, bell and hook; off unless the runtime turns it on for a live session.
    public var alerting = Alerting.off

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

/// Latency/queue thresholds (docs/ARCHITECTURE.md, "Configuration"; themes never hold them).
public struct Thresholds: Sendable, Equatable {
    public var latencyWarnMs = 100.0
    public var latencyBadMs = 300.0
    public var queueStuckAfterMs = 10_000.0
    public init() {}
}

/// A recording in progress: the badge, and where the file stands (`cursor`).
public struct RecordingStatus: Sendable, Equatable {
    public var path: String
    /// Set when a write failed: the badge shows `REC FAILED` and nothing more is written.
    public var failure: String?
    /// Marks added so far (the next default label is `mark N+1`).
    public var marks = 0
    /// Event lines handed to the writer so far (the stop message counts them).
    public var events = 0
    /// The file's time axis and keyframe schedule.
    public var cursor: RecordingCursor
    /// Monitor t at which recording started (the badge shows now − startedT).
    public var startedT: Double { cursor.startedT }
    public init(path: String, startedT: Double, snapEvery: Double = 30) {
        self.path = path
        self.cursor = RecordingCursor(startedT: startedT, snapEvery: snapEvery)
    }
}

/// What the runtime needs to open a recording file.
public struct RecordingRequest: Sendable, Equatable {
    public var path: String
    /// Replace an existing file (`--force`).
    public var overwrite: Bool
    /// Monitor t that becomes t = 0 in the file.
    public var startT: Double
    public init(path: String, overwrite: Bool, startT: Double) {
        self.path = path
        self.overwrite = overwrite
        self.startT = startT
    }
}

/// Replay playback state; `update` advances `position` on each tick while playing.
public struct ReplayStatus: Sendable, Equatable {
    public var fileName: String
    public var position: Double
    public var duration: Double
    public var speed: Double = 1
    public var isPaused = false
    public var isComplete = true
    /// Where playback (re)started: the tick's clock reading, the position and the speed then.
    /// `nil` after a pause, seek or step: the next tick sets it without moving.
    public var clockBase: PlaybackClock?
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

/// The playback clock's base: position = `position + (clock − clock at base) × speed`.
public struct PlaybackClock: Sendable, Equatable {
    public var clock: Double
    public var position: Double
    public var speed: Double
    public init(clock: Double, position: Double, speed: Double) {
        self.clock = clock
        self.position = position
        self.speed = speed
    }
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
    public init(
        id: String, conn: ConnectionID, method: String, argumentsText: String, startedT: Double,
        status: Status
    ) {
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

/// Inputs to `update`: everything that happens to the dashboard.
public enum Msg: Sendable {
    case key(InputEvent)
    /// A live monitor event (already stamped).
    case monitor(MonitorEvent)
    /// The runtime's 10 Hz tick. `now` is the session time live; in replay it is the
    /// runtime's monotonic clock (seconds), which drives the playback clock in the model.
    case tick(now: Double)
    case resize(width: Int, height: Int)
    /// The replayer's state after `.advanceReplay` (position already set by the tick).
    case replayAdvanced(MonitorState)
    /// The replayer's state after `.seek` or `.step`: the cursor moves to `position`.
    case replayMoved(MonitorState, position: Double)
    /// Progress of a manual call; the first invocation of its first callback is the result.
    case callProgress(id: String, LiveSession.CallUpdate)
    /// A one-line message for the status line (e.g. "theme: light", an error).
    case status(String, isError: Bool)
    /// Record to `path` from now on (`--record`, before the first frame).
    case recordRequested(path: String, overwrite: Bool)
    /// The recording file is open and its opening lines are written.
    case recordingStarted(RecordingStatus)
    /// Opening or writing the recording at `path` failed; nothing more is written to it.
    case recordingFailed(path: String, error: String)
    /// The themes that `t` cycles through and the active one (at start and after a change).
    case themes(available: [String], active: String)
    /// A theme could not be loaded.
    case themeFailed(name: String, error: String)
    /// Standard input reached end of file or hung up.
    case inputClosed
    /// SIGTERM.
    case terminated
    /// The terminal's glyph set and whether it reports the mouse (once, at start).
    case terminal(isUnicode: Bool, mouse: Bool)
    /// SIGHUP: re-read the config file, as `:reload` does (a terminal that hangs up closes
    /// stdin, which is `inputClosed`).
    case reloadSignal
    /// The config file at `path` was read again for `.reloadConfig`.
    case configReloaded(UpmonConfig, path: String)
    /// `.reloadConfig` could not read or parse the file; nothing changes.
    case configReloadFailed(String)
    /// An `on_alert` run ended (answer to `.runAlertHook`).
    case alertHookFinished(AlertHookOutcome)
}

/// Side effects the runtime carries out, in order; results come back as `Msg`s.
public enum Effect: Sendable, Equatable {
    /// Send `method(args…)` through the link's `up` queue. `args` is a JSON array where each
    /// `{"$cb":"label"}` becomes a streaming callback; `autoCallback` appends a `cb`.
    case call(
        id: String, conn: ConnectionID, method: String, args: JSONValue, autoCallback: Bool,
        waitMs: Double)
    case reconnect(ConnectionID)
    case hold(ConnectionID)
    case release(ConnectionID)
    /// Open a recording file and write its header and opening `snap` of `initialState`
    /// (already on the file's time axis); answered by `.recordingStarted` or `.recordingFailed`.
    case startRecording(RecordingRequest, initialState: MonitorState)
    /// Append an event line (t on the file's axis).
    case recordEvent(MonitorEvent)
    /// Append a keyframe (state and t on the file's axis).
    case recordSnap(MonitorState, t: Double)
    /// Write the `end` line, `fsync` and close.
    case finishRecording(reason: MonitorEvent.EndReason, t: Double)
    case addMark(label: String)
    case setTheme(String)
    /// Replay: move the replayer to t (answered by `.replayMoved`).
    case seek(to: Double)
    /// Replay: apply exactly the next event (answered by `.replayMoved`).
    case step
    /// Replay: apply the events up to t (answered by `.replayAdvanced`).
    case advanceReplay(to: Double)
    /// A line for the log file (never stderr while curses owns the screen).
    case writeLog(String)
    case redrawAll
    /// Leave the run loop; the recording, if any, was finished by an effect before this one.
    case quit(MonitorEvent.EndReason)
    /// Start a client for `spec` as link `id`; it joins with a `link_added` event.
    case addLink(ConnectionID, ConnectionSpec)
    /// Close link `id`; it leaves with a `link_removed` event carrying `reason`.
    case removeLink(ConnectionID, reason: String)
    /// Read the config file again (answered by `.configReloaded` or `.configReloadFailed`).
    case reloadConfig
    /// Ring the terminal bell (an alert fired).
    case ringBell
    /// Set the terminal title; `nil` gives back the title the terminal had.
    case setTitle(String?)
    /// Run the `on_alert` command off the main loop (answered by `.alertHookFinished`).
    case runAlertHook(AlertHookRequest)
}
