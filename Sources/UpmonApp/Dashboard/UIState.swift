import TerminalUI
import UpnodeMonitor

/// Everything the dashboard remembers about the user's view: selection, sort, filter,
/// focus, open overlay, pins, pause. A plain value owned by `AppModel.ui`.
public struct UIState: Sendable, Equatable {
    /// The selected link. Selection follows the id, so it survives re-sorting.
    public var selected: ConnectionID?
    /// Column the table is sorted by.
    public var sortKey: SortKey = .name
    /// Sort direction; `state` ascending means worst first.
    public var sortAscending = true
    /// The table filter as typed (see `ConnectionFilter`).
    public var filterText = ""
    /// The event-log filter (substring), edited with `/` while the log has focus.
    public var logFilterText = ""
    /// Which pane takes keys.
    public var focus: Focus = .table
    /// The overlay drawn over the screen, if any.
    public var overlay: Overlay = .none
    /// Links drawn on top of the latency graph, in pin order (at most `maxPins`).
    public var pinned: [ConnectionID] = []
    /// Y axis of the latency graph.
    public var yAxis: YAxis = .auto
    /// The top of the axis when `y` switches to fixed.
    public var fixedYMax: Double = 500
    /// Graph symbol set chosen with `:graph`; nil follows the theme.
    public var graphSymbols: GraphSymbols?
    /// Set while live display is paused.
    public var livePause: LivePause?
    /// Lines scrolled past at the top of the event log.
    public var logScroll = 0
    /// First table row shown; the view adjusts it to keep the selection in sight.
    public var tableScroll = 0
    /// The one-line status message, if any.
    public var status: StatusMessage?
    /// Themes `t` cycles through and the active one.
    public var themeNames: [String] = []
    /// The active theme's name.
    public var activeTheme = "default"
    /// Latest monitor time seen on a tick (for status expiry and prompt defaults).
    public var now: Double = 0
    /// Latest terminal size (for page sizes and text-field scrolling).
    public var screenWidth = 120
    /// Latest terminal height.
    public var screenHeight = 35
    /// Arguments typed per method, newest last, for ↑/↓ recall in the call dialog.
    public var argumentHistory: [String: [String]] = [:]
    /// Commands run from the `:` line, newest last.
    public var commandHistory: [String] = []
    /// Number of the next manual call id (`m1`, `m2`, …).
    public var nextCallNumber = 1
    /// Shown in the help overlay when set by the runtime.
    public var configPath: String?
    /// The log file, shown in the help overlay.
    public var logFilePath: String?
    /// upmon's version, shown in the help overlay.
    public var version: String?
    /// The screen uses Unicode glyphs (footer hints are wider in ASCII): for mouse hit tests.
    public var isUnicode = true
    /// The terminal reports the mouse (off with `--no-mouse`); the help says which.
    public var mouse = true
    /// `M`: the Methods view of a tapped link replaces the connections table while set.
    public var methods: MethodsViewState?

    /// Links that can be pinned at once (series1…series6).
    public static let maxPins = 6
    /// Seconds a status message stays up.
    public static let statusSeconds = 5.0

    /// The default UI state: sorted by name, nothing selected, table focused.
    public init() {}

    /// Table sort columns, in the order `s` cycles through them.
    public enum SortKey: String, Sendable, CaseIterable {
        case name, state, last, p95, loss, queue, retry
    }

    /// The pane that receives keys.
    public enum Focus: String, Sendable, CaseIterable {
        case table, log, detail
    }

    /// Y axis of the latency graph.
    public enum YAxis: Sendable, Equatable {
        /// 0 to a round number above the highest value shown.
        case auto
        /// 0 (or `min`) to `max` milliseconds.
        case fixed(min: Double, max: Double)
    }

    /// Live pause: the frozen state on screen and how many events arrived since.
    public struct LivePause: Sendable, Equatable {
        /// What the screen shows while paused.
        public var frozen: MonitorState
        /// Events applied to the live state since pausing.
        public var eventsSince: Int
        /// A pause showing `frozen`.
        public init(frozen: MonitorState, eventsSince: Int = 0) {
            self.frozen = frozen
            self.eventsSince = eventsSince
        }
    }

    /// A message on the status line until `expiresAt` (monitor time).
    public struct StatusMessage: Sendable, Equatable {
        /// The message.
        public var text: String
        /// Drawn in the `error` role when true.
        public var isError: Bool
        /// Monitor time after which `.tick` removes it.
        public var expiresAt: Double
        /// A message.
        public init(text: String, isError: Bool, expiresAt: Double) {
            self.text = text
            self.isError = isError
            self.expiresAt = expiresAt
        }
    }

    /// Modal overlays; only one is open at a time.
    public enum Overlay: Sendable, Equatable {
        case none
        /// `?`: every key for the current mode and a legend of the columns; `scroll` lines
        /// are scrolled past at the top.
        case help(scroll: Int)
        /// `/`: the filter being typed (table or log, by `focus`).
        case filterEditor(TextFieldState)
        /// `c`: the call dialog.
        case callDialog(CallDialogState)
        /// "Stop recording and quit? y/N".
        case confirmQuit
        /// `R`: the recording file name.
        case recordPathPrompt(TextFieldState)
        /// `m`: the mark label.
        case markLabelPrompt(TextFieldState)
        /// `:` command line; `historyIndex` counts back from the newest while recalling.
        case commandLine(TextFieldState, historyIndex: Int?)
        /// `Enter`: the full-screen view of one link.
        case connectionView(ConnectionID)
        /// `a`: the alert list, `scroll` entries scrolled past.
        case alerts(scroll: Int)
    }

    /// Shows `text` on the status line for `statusSeconds`.
    public mutating func setStatus(_ text: String, isError: Bool = false) {
        status = StatusMessage(text: text, isError: isError, expiresAt: now + Self.statusSeconds)
    }
}

extension AppModel {
    /// The state the screen shows: the frozen snapshot while live display is paused,
    /// otherwise `monitor` (which always holds the live data).
    public var displayedMonitor: MonitorState { ui.livePause?.frozen ?? monitor }

    /// True in replay mode.
    public var isReplay: Bool {
        if case .replay = mode { return true }
        return false
    }

    /// The replay status, in replay mode.
    public var replayStatus: ReplayStatus? {
        if case .replay(let status) = mode { return status }
        return nil
    }
}
