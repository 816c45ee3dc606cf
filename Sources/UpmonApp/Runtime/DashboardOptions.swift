import TerminalUI
import UpnodeMonitor

/// What the runtime needs from a real terminal beyond drawing (ncurses in `upmon`).
public protocol InteractiveTerminal: TerminalBackend {
    /// Re-reads the size after SIGWINCH (rows and columns from TIOCGWINSZ).
    func resize(rows: Int, cols: Int)
    /// Gives the terminal back for a job-control stop (endwin): shell modes, normal screen,
    /// visible cursor. The next frame drawn takes it again.
    func suspend()
    /// Takes the terminal back after a stop (program modes, keypad); the next frame redraws.
    func resume()
    /// Gives the terminal back (endwin); safe to call more than once.
    func shutdown()
    /// Rings the bell (an alert fired).
    func ringBell()
    /// Sets the terminal (window) title; `nil` gives back the title it had before.
    func setTitle(_ title: String?)
}

extension InteractiveTerminal {
    /// No bell.
    public func ringBell() {}
    /// The title is left alone.
    public func setTitle(_ title: String?) {}
}

/// Where the dashboard's data comes from.
public enum DashboardSource: Sendable {
    case live(LiveSession)
    case replay(Replayer)
}

/// Settings of one dashboard run.
public struct DashboardOptions: Sendable {
    public var sessionLabel: String
    public var thresholds: Thresholds
    public var theme: String?
    public var themesDir: String?
    public var color: String?
    public var ascii: Bool
    public var logFile: String?
    public var recordPath: String?
    public var overwriteRecording: Bool
    /// The header recordings of this session start from (connections, settings, wall time).
    public var header: RecordingHeader
    /// Ask the terminal for mouse reports (`--no-mouse` or `mouse = off` turn it off).
    public var mouse: Bool
    /// The config file `:reload` and SIGHUP read again; nil when there is none.
    public var configPath: String?
    /// Alert rules, bell and `on_alert` hook (the config's `[alerts]`).
    public var alerts = AlertSettings()

    public init(
        sessionLabel: String, thresholds: Thresholds, theme: String?, themesDir: String?,
        color: String?, ascii: Bool, logFile: String?, recordPath: String?,
        overwriteRecording: Bool, header: RecordingHeader, mouse: Bool = true
    ) {
        self.sessionLabel = sessionLabel
        self.thresholds = thresholds
        self.theme = theme
        self.themesDir = themesDir
        self.color = color
        self.ascii = ascii
        self.logFile = logFile
        self.recordPath = recordPath
        self.overwriteRecording = overwriteRecording
        self.header = header
        self.mouse = mouse
    }
}
