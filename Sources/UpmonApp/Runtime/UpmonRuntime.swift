import Dispatch
import TerminalUI
import UpnodeMonitor

/// The dashboard's interpreter: the single owner of the model, the terminal and the
/// resources effects need (the live session or the replayer, the recording queue).
///
/// Everything arrives on the main actor (stdin, signals, the 10 Hz tick, the monitor feed,
/// answers to effects) as a `Msg`; `update` changes the model and returns `Effect`s, which
/// `perform` carries out; the screen is drawn only when something changed. The runtime never
/// changes the model itself (docs/ARCHITECTURE.md, "Data flow").
@MainActor
public final class UpmonRuntime {
    private(set) var model: AppModel
    let terminal: any InteractiveTerminal
    var renderer = Renderer()
    let source: DashboardSource
    /// The replay's reader; effects move it, answers carry its state into the model.
    var replayer: Replayer?
    let options: DashboardOptions
    let themes: ThemeLibrary
    var resolvedTheme: ResolvedTheme
    let monochrome: Theme?
    let glyphs: Glyphs
    let snapshot: StateSnapshot?
    let log: FileLog?
    /// The recording effects' writer (set up in `init`, once `self` can be captured).
    var recording: RecordingEffects
    var isDirty = true
    /// Messages waiting for `dispatch` (answers sent while effects are performed).
    var pendingMessages: [Msg] = []
    var isDispatching = false
    /// Problems met while shutting down, printed once the terminal is given back.
    var shutdownProblems: [String] = []
    var lastDrawnSecond = -1
    var lastDrawInstant = ContinuousClock.now
    var inputSource: (any DispatchSourceRead)?
    var timer: (any DispatchSourceTimer)?
    var signalSources: [any DispatchSourceSignal]
    var feedTask: Task<Void, Never>?
    var finish: CheckedContinuation<Void, Never>?
    let startInstant = ContinuousClock.now
    var isShuttingDown = false

    /// `signalSources` must have been created (and the signals ignored) before the terminal
    /// was initialised, so that ncurses leaves INT/TERM/HUP/WINCH to us.
    public init(
        model: AppModel, terminal: any InteractiveTerminal, source: DashboardSource,
        options: DashboardOptions, themes: ThemeLibrary, theme: Theme, snapshot: StateSnapshot?,
        signalSources: [any DispatchSourceSignal]
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
        snapshot?.publishOnRequest()
        self.signalSources = signalSources
        self.log = options.logFile.flatMap { FileLog(path: $0) }
        // Set up before `self` can be captured; `run` installs the failure handler.
        self.recording = RecordingEffects(
            header: options.header, epochMilliseconds: SystemFacts.epochMilliseconds,
            onFailure: { _ in })
        if case .replay(let replayer) = source { self.replayer = replayer }
        dispatch(.themes(available: themes.available(), active: theme.name))
        dispatch(.terminal(isUnicode: glyphs.isUnicode, mouse: options.mouse))
        let size = terminal.size
        dispatch(.resize(width: size.width, height: size.height))
    }

    /// Runs until the user quits or a signal arrives; returns the exit code.
    public func run() async -> Int32 {
        recording = RecordingEffects(
            header: options.header, epochMilliseconds: SystemFacts.epochMilliseconds
        ) { [weak self] error in
            Task { @MainActor in
                self?.dispatch(.recordingFailed(path: error.file, error: error.description))
            }
        }
        installInput()
        installSignals()
        installTimer()
        switch source {
        case .live(let session):
            session.start()
            let feed = session.feed
            feedTask = Task { @MainActor [weak self] in
                for await event in feed.events { self?.dispatch(.monitor(event)) }
            }
            dispatch(.tick(now: currentTime()))
            if let path = options.recordPath {
                dispatch(.recordRequested(path: path, overwrite: options.overwriteRecording))
            }
        case .replay(let replayer):
            let position = model.replayStatus?.position ?? 0
            perform(.seek(to: position))
            for note in replayer.openingNotes { dispatch(.status(note, isError: true)) }
        }
        draw(force: true)
        if !isShuttingDown {
            await withCheckedContinuation { continuation in finish = continuation }
        }
        await shutdown()
        guard shutdownProblems.isEmpty else {
            for problem in shutdownProblems {
                Platform.writeAll(Platform.standardError, Array("upmon: \(problem)\n".utf8))
            }
            return 1
        }
        return 0
    }

    /// The one way in: `update`, then its effects in order. A message sent while effects are
    /// being performed (an effect's answer) waits until the current list is done, so effects
    /// always run in the order `update` returned them.
    func dispatch(_ msg: Msg) {
        pendingMessages.append(msg)
        guard !isDispatching else { return }
        isDispatching = true
        var next = 0
        while next < pendingMessages.count {
            let message = pendingMessages[next]
            next += 1
            let effects = update(&model, message)
            isDirty = true
            for effect in effects { perform(effect) }
        }
        pendingMessages.removeAll(keepingCapacity: true)
        isDispatching = false
    }

    func tick() {
        dispatch(.tick(now: currentTime()))
        // A scrape reads the model's state here, only when one waits; a copy held between
        // ticks would make the next events copy every ring they touch.
        snapshot?.serveRequests { (model.monitor, model.ui.now) }
        // Data changes redraw at most 4 times a second (keys redraw at once); a displayed
        // duration changes once a second.
        let second = Int(saturating: model.ui.now)
        let sinceDraw = ContinuousClock.now - lastDrawInstant
        if (isDirty && sinceDraw >= .milliseconds(250)) || second != lastDrawnSecond {
            draw(force: true)
        }
    }

    /// The clock a tick reads: session time live; in replay, seconds since the runtime
    /// started, which `update` turns into the playback position.
    func currentTime() -> Double {
        if case .live(let session) = source { return session.feed.now() }
        return (ContinuousClock.now - startInstant).inSeconds
    }

    // MARK: Drawing and shutdown

    func draw(force: Bool) {
        guard force || isDirty, !isShuttingDown else { return }
        let size = terminal.size
        let now = model.ui.now
        let buffer = view(
            model, now: now, width: size.width, height: size.height, theme: resolvedTheme,
            glyphs: glyphs)
        renderer.render(buffer, on: terminal)
        isDirty = false
        lastDrawnSecond = Int(saturating: now)
        lastDrawInstant = .now
    }

    /// Leaves the run loop (the `.quit` effect); called once.
    func leaveRunLoop() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        finish?.resume()
        finish = nil
    }

    func shutdown() async {
        timer?.cancel()
        inputSource?.cancel()
        for source in signalSources { source.cancel() }
        feedTask?.cancel()
        if case .live(let session) = source { await session.close() }
        // The `.finishRecording` effect came before `.quit`: wait for the disk.
        let recording = self.recording
        for failure in await recording.drained() {
            log?.write("recording: \(failure)")
            shutdownProblems.append("recording: \(failure)")
        }
        terminal.shutdown()
    }
}
