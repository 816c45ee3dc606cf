import TerminalUI
import UpnodeMonitor

/// Applies one message to the model and returns the side effects for the runtime. Pure:
/// the only place where the model changes (docs/ARCHITECTURE.md, "Data flow").
///
/// While live display is paused, `model.monitor` keeps receiving events (it always holds
/// live data) and `ui.livePause` counts them; the screen shows `displayedMonitor`.
public func update(_ model: inout AppModel, _ msg: Msg) -> [Effect] {
    switch msg {
    case .key(let key):
        guard !model.isQuitting else { return [] }
        if case .mouse(let event) = key { return handleMouse(&model, event) }
        return handleDashboardKey(&model, key)
    case .monitor(let event):
        model.monitor.apply(event)
        model.latestEventT = max(model.latestEventT, event.t)
        if model.ui.livePause != nil { model.ui.livePause?.eventsSince += 1 }
        forgetDepartedLink(&model, event)
        return recordAndLog(&model, event)
    case .tick(let now):
        return tick(&model, now: now) + evaluateAlerts(&model, now: now)
    case .resize(let width, let height):
        model.ui.screenWidth = width
        model.ui.screenHeight = height
        return []
    case .replayAdvanced(let state):
        model.monitor = state
        return []
    case .replayMoved(let state, let position):
        model.monitor = state
        if case .replay(var replay) = model.mode {
            replay.position = position
            replay.clockBase = nil
            model.mode = .replay(replay)
            model.ui.now = position
        }
        return []
    case .callProgress(let id, let progress):
        applyCallProgress(&model, id: id, progress)
        return []
    case .status(let text, let isError):
        model.ui.setStatus(text, isError: isError)
        return []
    case .recordRequested(let path, let overwrite):
        return startRecording(&model, path: path, overwrite: overwrite)
    case .recordingStarted(let recording):
        model.recording = recording
        model.ui.setStatus("recording to \(recording.path)")
        return []
    case .recordingFailed(let path, let error):
        // A recording already stopped (R, then R again) must not fail the one now running.
        guard var recording = model.recording, recording.path == path else {
            model.ui.setStatus(error, isError: true)
            return [.writeLog("recording: \(error)")]
        }
        recording.failure = error
        model.recording = recording
        model.ui.setStatus("REC FAILED: \(error)", isError: true)
        return [.writeLog("recording failed: \(error)")]
    case .themes(let available, let active):
        model.ui.themeNames = available
        model.ui.activeTheme = active
        return []
    case .themeFailed(let name, let error):
        model.ui.setStatus(error, isError: true)
        return [.writeLog("theme \(name): \(error)")]
    case .inputClosed:
        return quitNow(&model, reason: .stdinClosed)
    case .terminated:
        return quitNow(&model, reason: .signal)
    case .terminal(let isUnicode, let mouse):
        model.ui.isUnicode = isUnicode
        model.ui.mouse = mouse
        return []
    case .reloadSignal:
        return requestReload(&model, by: "SIGHUP")
    case .configReloaded(let config, let path):
        return applyReload(&model, config, path: path)
    case .configReloadFailed(let message):
        return reloadFailed(&model, message)
    case .alertHookFinished(let outcome):
        return alertHookFinished(&model, outcome)
    }
}

/// Manual calls kept in `AppModel.calls`.
let maxCallsKept = 50
/// Callback invocations kept per call.
let maxInvocationsKept = 200
/// Status text for actions that would change a replayed session.
let readOnlyMessage = "replay is read-only"

func handleDashboardKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect] {
    // Ctrl-C always works: a second one quits without asking.
    if key == .ctrl("c") {
        if model.ui.overlay == .confirmQuit { return quitNow(&model) }
        return requestQuit(&model)
    }
    switch model.ui.overlay {
    case .none:
        break
    case .connectionView(let id):
        return handleConnectionViewKey(&model, id: id, key)
    default:
        return handleOverlayKey(&model, key)
    }
    if let effects = handleMethodsKey(&model, key) { return effects }
    if model.isReplay, let effects = handleReplayKey(&model, key) { return effects }
    if model.ui.focus == .log, let effects = handleLogKey(&model, key) { return effects }
    return handleGlobalKey(&model, key)
}

func handleGlobalKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect] {
    switch key {
    case .up(shift: false), .char("k"): moveSelection(&model, by: -1)
    case .down(shift: false), .char("j"): moveSelection(&model, by: 1)
    case .pageUp: moveSelection(&model, by: -pageSize(model))
    case .pageDown: moveSelection(&model, by: pageSize(model))
    case .char("g"), .home: moveSelection(&model, by: Int.min / 2)
    case .char("G"), .end: moveSelection(&model, by: Int.max / 2)
    case .enter:
        if let id = currentSelection(model) { model.ui.overlay = .connectionView(id) }
    case .escape:
        if !model.ui.filterText.isEmpty {
            model.ui.filterText = ""
            model.ui.setStatus("filter cleared")
        }
    case .char("c"): return openCallDialog(&model)
    case .char("r"): return reconnectSelected(&model)
    case .char("d"): return holdOrReleaseSelected(&model)
    case .char("p"), .char(" "): togglePause(&model)
    case .char("s"), .function(6): cycleSort(&model)
    case .char("S"):
        model.ui.sortAscending.toggle()
        model.ui.setStatus(
            "sort: \(model.ui.sortKey.rawValue) \(model.ui.sortAscending ? "ascending" : "descending")"
        )
    case .char("/"), .function(3):
        let current = model.ui.focus == .log ? model.ui.logFilterText : model.ui.filterText
        model.ui.overlay = .filterEditor(TextFieldState(text: current))
    case .char("*"): togglePin(&model)
    case .char("y"): toggleYAxis(&model)
    case .char("t"): return nextTheme(&model)
    case .char("R"): return toggleRecording(&model)
    case .char("m"): openMarkPrompt(&model)
    case .char(":"): model.ui.overlay = .commandLine(TextFieldState(), historyIndex: nil)
    case .tab: cycleFocus(&model, by: 1)
    case .backTab: cycleFocus(&model, by: -1)
    case .char("?"), .function(1): model.ui.overlay = .help(scroll: 0)
    case .char("a"): model.ui.overlay = .alerts(scroll: 0)
    case .char("M"): openMethods(&model)
    case .ctrl("l"): return [.redrawAll]
    case .char("q"), .function(10): return requestQuit(&model)
    default: break
    }
    return []
}

/// Keys while the event log has focus; nil when the key is not a log key.
func handleLogKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect]? {
    switch key {
    case .up(shift: false), .char("k"): model.ui.logScroll = max(0, model.ui.logScroll - 1)
    case .down(shift: false), .char("j"): model.ui.logScroll += 1
    case .pageUp: model.ui.logScroll = max(0, model.ui.logScroll - 8)
    case .pageDown: model.ui.logScroll += 8
    case .char("g"), .home: model.ui.logScroll = 0
    case .char("G"), .end: model.ui.logScroll = model.displayedMonitor.log.count
    default: return nil
    }
    // Never scroll past the oldest entry.
    model.ui.logScroll = min(model.ui.logScroll, max(0, model.displayedMonitor.log.count - 1))
    return []
}

func handleConnectionViewKey(_ model: inout AppModel, id: ConnectionID, _ key: InputEvent)
    -> [Effect]
{
    switch key {
    case .escape, .enter, .backspace:
        model.ui.overlay = .none
        return []
    case .char("M"):
        // The Methods view takes the screen; the connection view stays when it refuses.
        model.ui.selected = id
        openMethods(&model)
        if model.ui.methods != nil { model.ui.overlay = .none }
        return []
    default:
        break
    }
    model.ui.overlay = .none
    model.ui.selected = id
    var effects: [Effect] = []
    if model.isReplay, let replayEffects = handleReplayKey(&model, key) {
        effects = replayEffects
    } else {
        effects = handleGlobalKey(&model, key)
    }
    // Stay in the connection view (following ↑/↓) unless the key opened something else.
    if model.ui.overlay == .none, !model.isQuitting, let shown = currentSelection(model) {
        model.ui.overlay = .connectionView(shown)
    }
    return effects
}

// MARK: - Selection

/// The selected link as the table shows it.
func currentSelection(_ model: AppModel) -> ConnectionID? {
    let monitor = model.displayedMonitor
    let rows = ConnectionQuery.rows(monitor, ui: model.ui)
    return ConnectionQuery.effectiveSelection(monitor, ui: model.ui, rows: rows)
}

func moveSelection(_ model: inout AppModel, by delta: Int) {
    let monitor = model.displayedMonitor
    let rows = ConnectionQuery.rows(monitor, ui: model.ui)
    guard !rows.isEmpty else { return }
    let current = ConnectionQuery.effectiveSelection(monitor, ui: model.ui, rows: rows)
    let index = rows.firstIndex { monitor.connections[$0].id == current } ?? 0
    let target = min(rows.count - 1, max(0, index + delta))
    model.ui.selected = monitor.connections[rows[target]].id
    model.ui.tableScroll = Table.scrollOffset(
        selected: target, current: model.ui.tableScroll, visibleRows: pageSize(model),
        rowCount: rows.count)
}

func pageSize(_ model: AppModel) -> Int {
    let rows = mainTableRowCount(model)
    return DashboardLayout(
        width: model.ui.screenWidth, height: model.ui.screenHeight, isReplay: model.isReplay,
        rowCount: rows
    ).tableRows
}

// MARK: - Actions

func reconnectSelected(_ model: inout AppModel) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    guard !model.linksAreAttached else { return refuseAttached(&model) }
    guard let id = currentSelection(model) else { return [] }
    model.ui.setStatus("reconnecting \(linkName(model, id))")
    return [.reconnect(id)]
}

func holdOrReleaseSelected(_ model: inout AppModel) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    guard !model.linksAreAttached else { return refuseAttached(&model) }
    guard let id = currentSelection(model), let stats = model.monitor[id] else { return [] }
    if stats.isHeld {
        model.ui.setStatus("releasing \(linkName(model, id))")
        return [.release(id)]
    }
    model.ui.setStatus("holding \(linkName(model, id))")
    return [.hold(id)]
}

func refuseReadOnly(_ model: inout AppModel) -> [Effect] {
    model.ui.setStatus(readOnlyMessage, isError: true)
    return []
}

func linkName(_ model: AppModel, _ id: ConnectionID) -> String {
    model.monitor[id]?.info.name ?? id.rawValue
}

func togglePause(_ model: inout AppModel) {
    if model.ui.livePause == nil {
        model.ui.livePause = UIState.LivePause(frozen: model.monitor)
    } else {
        model.ui.livePause = nil
    }
}

func cycleSort(_ model: inout AppModel) {
    let keys = UIState.SortKey.allCases
    let index = keys.firstIndex(of: model.ui.sortKey) ?? 0
    model.ui.sortKey = keys[(index + 1) % keys.count]
    model.ui.setStatus("sort: \(model.ui.sortKey.rawValue)")
}

func togglePin(_ model: inout AppModel) {
    guard let id = currentSelection(model) else { return }
    if let index = model.ui.pinned.firstIndex(of: id) {
        model.ui.pinned.remove(at: index)
        model.ui.setStatus("unpinned \(linkName(model, id))")
    } else if model.ui.pinned.count >= UIState.maxPins {
        model.ui.setStatus("at most \(UIState.maxPins) pinned links", isError: true)
    } else {
        model.ui.pinned.append(id)
        model.ui.setStatus("pinned \(linkName(model, id))")
    }
}

func toggleYAxis(_ model: inout AppModel) {
    switch model.ui.yAxis {
    case .auto: model.ui.yAxis = .fixed(min: 0, max: model.ui.fixedYMax)
    case .fixed: model.ui.yAxis = .auto
    }
}

func nextTheme(_ model: inout AppModel) -> [Effect] {
    let names = model.ui.themeNames
    guard !names.isEmpty else {
        model.ui.setStatus("no other themes", isError: true)
        return []
    }
    let index = names.firstIndex(of: model.ui.activeTheme).map { $0 + 1 } ?? 0
    let next = names[index % names.count]
    model.ui.activeTheme = next
    model.ui.setStatus("theme: \(next)")
    return [.setTheme(next)]
}

func toggleRecording(_ model: inout AppModel) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    if model.recording != nil { return stopRecording(&model, reason: .stopped) }
    let name = DashboardFormat.recordingFileName(at: model.wallClockAtZero + model.ui.now)
    model.ui.overlay = .recordPathPrompt(TextFieldState(text: name))
    return []
}

func openMarkPrompt(_ model: inout AppModel) {
    guard let recording = model.recording, !model.isReplay else {
        model.ui.setStatus("marks are added while recording", isError: true)
        return
    }
    model.ui.overlay = .markLabelPrompt(TextFieldState(text: "mark \(recording.marks + 1)"))
}

func cycleFocus(_ model: inout AppModel, by step: Int) {
    let order = UIState.Focus.allCases
    let index = order.firstIndex(of: model.ui.focus) ?? 0
    model.ui.focus = order[(index + step + order.count) % order.count]
}

/// `q`: asks first while recording, otherwise quits.
func requestQuit(_ model: inout AppModel) -> [Effect] {
    if let recording = model.recording, recording.failure == nil, !model.isReplay {
        model.ui.overlay = .confirmQuit
        return []
    }
    return quitNow(&model)
}

/// Quits once: finishes the recording first, then leaves the run loop.
func quitNow(_ model: inout AppModel, reason: MonitorEvent.EndReason = .quit) -> [Effect] {
    guard !model.isQuitting else { return [] }
    model.ui.overlay = .none
    model.isQuitting = true
    return stopRecording(&model, reason: reason) + [.quit(reason)]
}
