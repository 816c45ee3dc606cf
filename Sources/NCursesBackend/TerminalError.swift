/// Why the terminal cannot be used (exit code 3).
public enum TerminalError: Error, CustomStringConvertible, Sendable, Hashable {
    /// stdin or stdout is not a terminal.
    case notATerminal
    /// `TERM` is unset or terminfo has no entry for it; the name ("" when unset).
    case unknownTerminal(String)
    /// terminfo knows `TERM` but it cannot move the cursor or clear the screen (`dumb`).
    case unsupportedTerminal(String)
    /// The terminfo database could not be read.
    case noTerminfoDatabase
    /// ncurses failed to start (`newterm` returned nil).
    case initializationFailed(String)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .notATerminal:
            return "stdin and stdout must be a terminal (use --json or --once for pipes)"
        case .unknownTerminal(let name):
            if name.isEmpty {
                return "TERM is not set (try TERM=xterm-256color)"
            }
            return "unknown terminal type '\(name)' (try TERM=xterm-256color)"
        case .unsupportedTerminal(let name):
            return "TERM=\(name) cannot draw the dashboard (no cursor movement): "
                + "use --json or --once, or try TERM=xterm-256color"
        case .noTerminfoDatabase:
            return "cannot find the terminfo database (install ncurses-base or set TERMINFO)"
        case .initializationFailed(let name):
            return "cannot start the terminal '\(name)'"
        }
    }
}
