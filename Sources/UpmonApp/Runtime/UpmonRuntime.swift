import Dispatch
import DnodeProtocol
import Foundation
import TerminalUI
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#endif

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

    public init(
        sessionLabel: String, thresholds: Thresholds, theme: String?, themesDir: String?, color: String?, ascii: Bool,
        logFile: String?, recordPath: String?, overwriteRecording: Bool, header: RecordingHeader
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
    }
}

/// The single owner of the dashboard: model, terminal, recorder. Everything arrives on the
/// main queue (stdin, signals, the 10 Hz tick, the monitor feed) and goes through `update`;
/// the screen is drawn only when something changed (ARCHITECTURE §8).
@MainActor
public final class UpmonRuntime {
    var model: AppModel
    let terminal: any InteractiveTerminal
    var renderer = Renderer()
    let source: DashboardSource
    var replayer: Replayer?
    let options: DashboardOptions
    let themes: ThemeLibrary
    var resolvedTheme: ResolvedTheme
    let monochrome: Theme?
    let glyphs: Glyphs
    let snapshot: StateSnapshot?
    let log: FileLog?
    var recorder: RecordingWriter?
    var recordingOffset: Double = 0
    var isDirty = true
    var lastDrawnSecond = -1
    var lastDrawInstant = ContinuousClock.now
    var inputSource: (any DispatchSourceRead)?
    var timer: (any DispatchSourceTimer)?
    var signalSources: [any DispatchSourceSignal]
    var feedTask: Task<Void, Never>?
    var finish: CheckedContinuation<Void, Never>?
    var endReason: MonitorEvent.EndReason = .quit
    var replayWallBase = ContinuousClock.now
    var replayPositionBase = 0.0
    var replaySpeedBase = 1.0
    let startInstant = ContinuousClock.now
    var isShuttingDown = false

    /// `signalSources` must have been created (and the signals ignored) before the terminal
    /// was initialised, so that ncurses leaves INT/TERM/HUP/WINCH to us.
    public init(
        model: AppModel, terminal: any InteractiveTerminal, source: DashboardSource, options: DashboardOptions,
        themes: ThemeLibrary, theme: Theme, snapshot: StateSnapshot?, signalSources: [any DispatchSourceSignal]
    ) {
        self.model = model
        self.terminal = terminal
        self.source = source
        self.options = options
        self.themes = themes
        self.monochrome = themes.monochrome()
        self.resolvedTheme = theme.resolved(for: terminal.capabilities, monochrome: monochrome)
        self.glyphs = Glyphs.forTerminal(unicode: terminal.capabilities.isUTF8 && !options.ascii)
        self.snapshot = snapshot
        self.signalSources = signalSources
        self.log = options.logFile.flatMap { FileLog(path: $0) }
        if case .replay(let replayer) = source { self.replayer = replayer }
        self.model.ui.themeNames = themes.available()
        self.model.ui.activeTheme = theme.name
        let size = terminal.size
        self.model.ui.screenWidth = size.width
        self.model.ui.screenHeight = size.height
    }

    /// Runs until the user quits or a signal arrives; returns the exit code.
    public func run() async -> Int32 {
        installInput()
        installSignals()
        installTimer()
        if case .live(let session) = source {
            session.start()
            let feed = session.feed
            feedTask = Task { @MainActor [weak self] in
                for await event in feed.events { self?.handleMonitor(event) }
            }
            if let path = options.recordPath { startRecording(path: path, overwrite: options.overwriteRecording) }
        } else if let replayer {
            replayPositionBase = model.replayStatus?.position ?? 0
            replaySpeedBase = model.replayStatus?.speed ?? 1
            replaceReplayState(replayer.state(at: replayPositionBase), position: replayPositionBase)
            for note in replayer.openingNotes { dispatch(.status(note, isError: true)) }
        }
        draw(force: true)
        await withCheckedContinuation { continuation in finish = continuation }
        await shutdown()
        return 0
    }

    // MARK: Inputs

    func installInput() {
        let source = DispatchSource.makeReadSource(fileDescriptor: STDIN_FILENO, queue: .main)
        source.setEventHandler { [weak self] in
            MainActor.assumeIsolated {
                guard let self else { return }
                // data == 0: EOF or hangup. A closed stdin must not spin a core.
                if (self.inputSource?.data ?? 0) == 0 {
                    self.inputSource?.cancel()
                    self.quit(reason: .stdinClosed)
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
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100), leeway: .milliseconds(10))
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
        default:
            quit(reason: .signal)
        }
    }

    /// Re-reads the size (TIOCGWINSZ) into curses and the model; the next frame is a full redraw.
    func readTerminalSize() {
        guard !isShuttingDown else { return }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
            terminal.resize(rows: Int(size.ws_row), cols: Int(size.ws_col))
        }
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

    func handleMonitor(_ event: MonitorEvent) {
        let recorded = event
        dispatch(.monitor(event))
        if let recorder {
            let shifted = MonitorEvent(t: max(0, recorded.t - recordingOffset), conn: recorded.conn, kind: recorded.kind)
            Task { [weak self] in
                do { try await recorder.record(shifted) } catch { self?.recordingFailed(error) }
            }
        }
        if case .note(let level, let text) = event.kind, level != .info { log?.write("\(event.conn.map(\.rawValue) ?? "-") \(level.rawValue): \(text)") }
    }

    func tick() {
        let now = currentTime()
        if var status = model.replayStatus, var replayer {
            if status.isPaused || status.speed != replaySpeedBase {
                // Rebase while paused or after a speed change, so playback resumes from here.
                replayWallBase = .now
                replayPositionBase = status.position
                replaySpeedBase = status.speed
            } else {
                let elapsed = (ContinuousClock.now - replayWallBase).inSeconds * status.speed
                let position = min(replayPositionBase + elapsed, replayer.lastT)
                if position >= replayer.lastT { status.isPaused = true }
                status.position = position
                model.mode = .replay(status)
                _ = replayer.advance(to: position)
                self.replayer = replayer
                dispatch(.replayState(replayer.state, position: position))
            }
        }
        dispatch(.tick(now: now))
        // The metrics endpoint reads a copy; taking it per tick, not per event, keeps the
        // reducer's storage uniquely owned (no copy-on-write of every ring per event).
        snapshot?.update(model.monitor, now: now)
        if let recorder {
            let state = model.monitor
            let t = max(0, now - recordingOffset)
            Task { [weak self] in
                do { _ = try await recorder.snapIfDue(state, t: t) } catch { self?.recordingFailed(error) }
            }
        }
        // Data changes redraw at most 4 times a second (keys redraw at once); a displayed
        // duration changes once a second.
        let second = Int(saturating: now)
        let sinceDraw = ContinuousClock.now - lastDrawInstant
        if (isDirty && sinceDraw >= .milliseconds(250)) || second != lastDrawnSecond { draw(force: true) }
    }

    /// Monitor time now: session time live, the playback cursor in replay.
    func currentTime() -> Double {
        if let position = model.replayStatus?.position { return position }
        if case .live(let session) = source { return session.feed.now() }
        return (ContinuousClock.now - startInstant).inSeconds
    }

    // MARK: Update and effects

    func dispatch(_ msg: Msg) {
        let effects = update(&model, msg)
        isDirty = true
        for effect in effects { perform(effect) }
        if model.isQuitting { quit(reason: .quit) }
    }

    func perform(_ effect: Effect) {
        switch effect {
        case .call(let id, let conn, let method, let args, let autoCallback, let waitMs):
            guard case .live(let session) = source else { return }
            session.call(
                id: id, conn: conn, method: method, args: args.arrayValue ?? [args], autoCallback: autoCallback,
                wait: .milliseconds(Int64(Int(saturating: min(waitMs, UpmonConfig.maxDurationSeconds * 1000))))
            ) { update in
                Task { @MainActor [weak self] in self?.callProgress(id: id, update) }
            }
        case .reconnect(let conn):
            if case .live(let session) = source { session.reconnect(conn) }
        case .hold(let conn):
            if case .live(let session) = source { session.hold(conn) }
        case .release(let conn):
            if case .live(let session) = source { session.reconnect(conn) }
        case .startRecording(let path):
            startRecording(path: path ?? defaultRecordingName(), overwrite: false)
        case .stopRecording:
            stopRecording(reason: .stopped)
        case .addMark(let label):
            if case .live(let session) = source { session.feed.emit(.mark(label: label), conn: nil) }
        case .setTheme(let name):
            setTheme(name)
        case .seek(let target):
            seek(to: target)
        case .step:
            step()
        case .redrawAll:
            renderer.invalidate()
        case .quit:
            quit(reason: .quit)
        }
    }

    func callProgress(id: String, _ update: LiveSession.CallUpdate) {
        switch update {
        case .queued: dispatch(.callStatus(id: id, .queued))
        case .waiting: dispatch(.callStatus(id: id, .waiting))
        case .invocation(let label, let n, let ms, let arguments):
            dispatch(.callInvocation(id: id, ManualCall.Invocation(label: label, n: n, ms: ms, arguments: arguments)))
            if n == 1, let call = model.calls.first(where: { $0.id == id }), call.status == .waiting || call.status == .queued {
                let isError = LiveSession.isErrorResult(arguments)
                dispatch(.callStatus(id: id, isError ? .error(arguments.arrayValue?.first?.jsonText ?? "error") : .ok(ms: ms)))
            }
        case .failed(let code, let message):
            dispatch(.callStatus(id: id, code == "timeout" ? .timeout : .error(message)))
        }
        draw(force: false)
    }

    func setTheme(_ name: String) {
        do {
            let theme = try themes.load(name)
            resolvedTheme = theme.resolved(for: terminal.capabilities, monochrome: monochrome)
            model.ui.activeTheme = theme.name
            dispatch(.status("theme: \(theme.name)", isError: false))
            renderer.invalidate()
        } catch {
            log?.write("theme \(name): \(error)")
            dispatch(.status("\(error)", isError: true))
        }
    }

    // MARK: Recording

    func defaultRecordingName() -> String {
        DashboardFormat.recordingFileName(at: Double(SystemFacts.epochMilliseconds()) / 1000)
    }

    func startRecording(path: String, overwrite: Bool) {
        guard case .live = source, recorder == nil else { return }
        let now = currentTime()
        var header = options.header
        header.started = RecordingHeader.timestamp(epochMilliseconds: SystemFacts.epochMilliseconds())
        do {
            // t in the file counts from the recording's start; the opening snap holds the state so far.
            recordingOffset = now
            recorder = try RecordingWriter(path: path, header: header, initialState: model.monitor.shifted(by: -now), overwrite: overwrite)
            dispatch(.recordingChanged(RecordingStatus(path: path, startedT: now)))
            dispatch(.status("recording to \(path)", isError: false))
        } catch {
            dispatch(.status(error.description, isError: true))
            log?.write("recording: \(error)")
        }
    }

    func stopRecording(reason: MonitorEvent.EndReason) {
        guard let recorder else { return }
        self.recorder = nil
        let t = max(0, currentTime() - recordingOffset)
        Task { [weak self] in
            do { try await recorder.finish(reason: reason, t: t) } catch { self?.recordingFailed(error) }
        }
        dispatch(.recordingChanged(nil))
    }

    func recordingFailed(_ error: any Error) {
        guard var status = model.recording else { return }
        recorder = nil
        status.failure = "\(error)"
        log?.write("recording failed: \(error)")
        dispatch(.recordingChanged(status))
        dispatch(.status("REC FAILED: \(error)", isError: true))
    }

    // MARK: Replay

    func replaceReplayState(_ state: MonitorState, position: Double) {
        dispatch(.replayState(state, position: position))
    }

    func seek(to target: Double) {
        guard var replayer, var status = model.replayStatus else { return }
        let clamped = max(0, min(target, replayer.lastT))
        replayer.seek(to: clamped)
        self.replayer = replayer
        status.position = clamped
        model.mode = .replay(status)
        replayWallBase = .now
        replayPositionBase = clamped
        replaceReplayState(replayer.state, position: clamped)
    }

    func step() {
        guard var replayer, var status = model.replayStatus else { return }
        if let event = replayer.stepForward() {
            status.position = event.t
            status.isPaused = true
            model.mode = .replay(status)
            replayPositionBase = event.t
            self.replayer = replayer
            replaceReplayState(replayer.state, position: event.t)
        }
    }

    // MARK: Drawing and shutdown

    func draw(force: Bool) {
        guard force || isDirty, !isShuttingDown else { return }
        let size = terminal.size
        let now = currentTime()
        let buffer = view(model, now: now, width: size.width, height: size.height, theme: resolvedTheme, glyphs: glyphs)
        renderer.render(buffer, on: terminal)
        isDirty = false
        lastDrawnSecond = Int(saturating: now)
        lastDrawInstant = .now
    }

    func quit(reason: MonitorEvent.EndReason) {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        endReason = reason
        finish?.resume()
        finish = nil
    }

    func shutdown() async {
        timer?.cancel()
        inputSource?.cancel()
        for source in signalSources { source.cancel() }
        if let recorder {
            self.recorder = nil
            let t = max(0, currentTime() - recordingOffset)
            _ = try? await recorder.finish(reason: endReason, t: t)
        }
        feedTask?.cancel()
        if case .live(let session) = source { await session.close() }
        terminal.shutdown()
    }
}

/// Appends lines to the log file (never stderr while curses owns the screen).
final class FileLog: Sendable {
    let descriptor: Int32

    init?(path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    func write(_ line: String) {
        let text = "\(SystemFacts.epochMilliseconds()) \(line)\n"
        _ = text.utf8CString.withUnsafeBufferPointer { buffer in Glibc.write(descriptor, buffer.baseAddress, buffer.count - 1) }
    }

    deinit { close(descriptor) }
}
