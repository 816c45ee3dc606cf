import Dispatch
import Foundation
import NCursesBackend
import TerminalUI
import UpmonApp
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension NCursesBackend: InteractiveTerminal {}

/// Starts the ncurses dashboard: the only place where the app and ncurses meet.
enum Dashboard {
    static func runLive(session: LiveSession, options: DashboardOptions, snapshot: StateSnapshot?)
        async -> Int32
    {
        var model = AppModel(
            monitor: MonitorState(connections: session.infos), mode: .live,
            sessionLabel: options.sessionLabel,
            wallClockAtZero: Double(SystemFacts.epochMilliseconds()) / 1000)
        model.linksAreAttached = session.attachment != nil
        model.links = LinkRegistry(specs: session.specs)
        model.alerting = Alerting(settings: options.alerts, wallClockAtZero: model.wallClockAtZero)
        return await run(model: model, source: .live(session), options: options, snapshot: snapshot)
    }

    static func runReplay(
        replayer: Replayer, options: DashboardOptions, speed: Double, paused: Bool, at: String?
    ) async -> Int32 {
        var status = ReplayStatus(fileName: replayer.file, position: 0, duration: replayer.lastT)
        status.speed = speed
        status.isPaused = paused
        status.isComplete = replayer.isComplete
        status.marks = replayer.marks.map { ReplayMark(t: $0.t, label: $0.label) }
        let started = startedEpochSeconds(replayer.header.started)
        if let at {
            // The forms of `:goto`, counted from the start of the recording.
            guard let position = gotoTarget(at, position: 0, wallClockAtZero: started) else {
                exitWith(
                    "--at '\(at)' is not a position (05:00, 1:02:03, 90s, +90s) "
                        + "or a UTC time (13:52:23 UTC)", code: 64)
            }
            status.position = max(0, min(position, replayer.lastT))
        }
        var model = AppModel(
            monitor: replayer.state(at: status.position), mode: .replay(status),
            sessionLabel: options.sessionLabel,
            wallClockAtZero: started)
        model.thresholds = options.thresholds
        return await run(model: model, source: .replay(replayer), options: options, snapshot: nil)
    }

    @MainActor
    static func run(
        model: AppModel, source: DashboardSource, options: DashboardOptions,
        snapshot: StateSnapshot?
    ) async -> Int32 {
        var model = model
        model.thresholds = options.thresholds
        let environment = ProcessInfo.processInfo.environment
        let executableDirectory =
            (CommandLine.arguments.first.map { ($0 as NSString).deletingLastPathComponent })
        let themes = ThemeLibrary(
            themesDir: options.themesDir, environment: environment,
            executableDirectory: executableDirectory)
        // A bad --theme is a config error, reported before curses starts (exit 2).
        let theme: Theme
        do {
            theme = try themes.load(options.theme ?? "default")
        } catch {
            // An unknown name lists the ones there are (compiled in, then from the directories).
            guard case .notFound = error.problem else { exitWith("\(error)", code: 2) }
            exitWith("\(error) (have: \(themes.available().joined(separator: ", ")))", code: 2)
        }
        // Signals first: ncurses only installs handlers for signals still at SIG_DFL. SIGTSTP
        // is ours too: ncurses' handler would call endwin and redraw from signal context,
        // racing the main queue's drawing; the runtime suspends on the main queue instead.
        let signals = [SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCONT, SIGTSTP].map {
            number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .main)
        }
        var depth: ColorDepth?
        switch options.color {
        case "truecolor": depth = .truecolor
        case "256": depth = .palette256
        case "16": depth = .ansi16
        case "never": depth = .monochrome
        default: depth = nil
        }
        let terminal: NCursesBackend
        do {
            terminal = try NCursesBackend(
                options: .init(
                    forcedColorDepth: depth, forceASCII: options.ascii, mouse: options.mouse))
        } catch {
            for source in signals {
                source.resume()
                source.cancel()
            }
            exitWith("\(error)", code: 3)
        }
        let runtime = UpmonRuntime(
            model: model, terminal: terminal, source: source, options: options, themes: themes,
            theme: theme,
            snapshot: snapshot, signalSources: signals)
        return await runtime.run()
    }

    static func startedEpochSeconds(_ iso: String) -> Double {
        // 2026-03-14T09:26:53.120Z
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: iso)?.timeIntervalSince1970 ?? 0
    }
}
