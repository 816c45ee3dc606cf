import Dispatch
import TerminalUI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The runtime's inputs: stdin, signals and the tick, each turned into `Msg`s on the main
/// actor.
extension UpmonRuntime {
    func installInput() {
        let source = DispatchSource.makeReadSource(fileDescriptor: STDIN_FILENO, queue: .main)
        source.setEventHandler { [weak self] in
            MainActor.assumeIsolated {
                guard let self else { return }
                // data == 0: EOF or hangup. A closed stdin must not spin a core.
                if (self.inputSource?.data ?? 0) == 0 {
                    self.inputSource?.cancel()
                    self.dispatch(.inputClosed)
                    return
                }
                self.handleKeys(self.terminal.readInput())
            }
        }
        source.resume()
        inputSource = source
    }

    func installSignals() {
        for source in signalSources {
            let number = Int32(source.handle)
            source.setEventHandler { [weak self] in
                MainActor.assumeIsolated { self?.handleSignal(number) }
            }
            source.resume()
        }
    }

    func installTimer() {
        let timer = DispatchSource.makeTimerSource(queue: .main)
        timer.schedule(
            deadline: .now() + .milliseconds(100), repeating: .milliseconds(100),
            leeway: .milliseconds(10))
        timer.setEventHandler { [weak self] in
            MainActor.assumeIsolated { self?.tick() }
        }
        timer.resume()
        self.timer = timer
    }

    func handleSignal(_ number: Int32) {
        switch number {
        case SIGWINCH:
            readTerminalSize()
            draw(force: true)
        case SIGINT:
            handleKeys([.ctrl("c")])
        case SIGTSTP:
            suspend()
        case SIGCONT:
            // After a stop by anyone (SIGSTOP included): the screen may hold anything now.
            readTerminalSize()
            draw(force: true)
        case SIGHUP:
            // Reload, as daemons do; a terminal that hangs up closes stdin (`inputClosed`).
            dispatch(.reloadSignal)
        default:
            dispatch(.terminated)
        }
    }

    /// Re-reads the size (TIOCGWINSZ) into curses and the model; the next frame is a full redraw.
    func readTerminalSize() {
        guard !isShuttingDown else { return }
        if let size = Platform.terminalSize() { terminal.resize(rows: size.rows, cols: size.cols) }
        let current = terminal.size
        dispatch(.resize(width: current.width, height: current.height))
        renderer.invalidate()
    }

    /// SIGTSTP (Ctrl-Z, `kill -TSTP`): give the terminal back, stop as the default action
    /// would, and after SIGCONT take the terminal again and redraw everything. It runs on the
    /// main queue like every other input, so curses is never entered from a signal handler
    /// or from two threads at once (ncurses' own SIGTSTP handler would do both).
    func suspend() {
        guard !isShuttingDown else { return }
        terminal.suspend()
        JobControl.stopAsForSIGTSTP()
        // Continued: the terminal may have been resized or scribbled on meanwhile.
        terminal.resume()
        readTerminalSize()
        draw(force: true)
    }

    /// Applies every key read in one go, then draws once: a 10 KB paste costs a few frames,
    /// not one per character (each frame validates the call dialog's whole argument text).
    func handleKeys(_ events: [InputEvent]) {
        var resized = false
        for event in events {
            guard !isShuttingDown else { return }
            if case .resize = event {
                let current = terminal.size
                dispatch(.resize(width: current.width, height: current.height))
                renderer.invalidate()
                resized = true
            } else {
                dispatch(.key(event))
            }
        }
        draw(force: resized)
    }
}
