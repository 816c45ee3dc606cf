import TerminalUI
import UpnodeMonitor

/// Rows the wheel scrolls the event log and the help per step.
let wheelLines = 3

/// A mouse event (docs/ARCHITECTURE.md, "Keys"). Hit tests use the geometry the view draws
/// with, at the model's screen size: a click on a table row selects it, on a pane focuses
/// it, on a footer hint does what its key does; the wheel moves the selection in the table
/// and scrolls the event log and the help. Releases and motion do nothing; a press outside
/// every region (or outside the screen) does nothing.
func handleMouse(_ model: inout AppModel, _ event: MouseEvent) -> [Effect] {
    guard event.kind == .press else { return [] }
    let ui = model.ui
    guard ui.screenWidth >= DashboardLayout.minWidth, ui.screenHeight >= DashboardLayout.minHeight
    else { return [] }
    let position = event.position
    let rows = ConnectionQuery.rows(model.displayedMonitor, ui: ui)
    let layout = DashboardLayout(
        width: ui.screenWidth, height: ui.screenHeight, isReplay: model.isReplay,
        rowCount: ui.methods == nil ? rows.count : mainTableRowCount(model))
    // The footer's hints stand for keys, so they work over every overlay as the keys do.
    if layout.footer.contains(position) {
        guard event.button == .left,
            let key = footerHint(
                at: position, model, now: mouseNow(model), area: layout.footer,
                glyphs: Glyphs.forTerminal(unicode: ui.isUnicode)
            )?.event
        else { return [] }
        return handleDashboardKey(&model, key)
    }
    switch ui.overlay {
    case .none:
        break
    case .help(let scroll):
        return mouseInHelp(&model, event, scroll: scroll, body: layout.body)
    case .callDialog(let dialog):
        return mouseInCallDialog(&model, event, dialog: dialog, body: layout.body)
    case .connectionView, .alerts:
        // The wheel steps through the links (scrolls the alerts) as ↑/↓ do; clicks do nothing.
        guard let key = wheelKey(event.button) else { return [] }
        return handleDashboardKey(&model, key)
    case .filterEditor, .commandLine, .confirmQuit, .recordPathPrompt, .markLabelPrompt:
        // Prompts wait for their answer: a stray click must not cancel or confirm one.
        return []
    }
    if let progress = layout.progress, progress.contains(position) {
        return mouseOnReplayBar(&model, event)
    }
    if let methods = ui.methods,
        methods.openCalls == nil ? layout.table.contains(position) : layout.body.contains(position)
    {
        return mouseInMethods(&model, event, table: layout.table)
    }
    if layout.table.contains(position) {
        return mouseInTable(&model, event, area: layout.table, rows: rows)
    }
    if let log = layout.log, log.contains(position) {
        return mouseInLog(&model, event)
    }
    if let detail = layout.detail, detail.contains(position), event.button == .left {
        model.ui.focus = .detail
    }
    return []
}

/// The `now` the view draws the footer at (the playback position in replay).
private func mouseNow(_ model: AppModel) -> Double {
    model.replayStatus?.position ?? model.ui.now
}

/// ↑ or ↓ for a vertical wheel step.
private func wheelKey(_ button: MouseEvent.Button) -> InputEvent? {
    switch button {
    case .wheelUp: return .up(shift: false)
    case .wheelDown: return .down(shift: false)
    default: return nil
    }
}

/// A left click on a data row selects that link; the wheel moves the selection by one row
/// (the view keeps it in sight, so the table scrolls with it). Either focuses the table.
private func mouseInTable(
    _ model: inout AppModel, _ event: MouseEvent, area: Rect, rows: [Int]
) -> [Effect] {
    switch event.button {
    case .wheelUp, .wheelDown:
        model.ui.focus = .table
        moveSelection(&model, by: event.button == .wheelUp ? -1 : 1)
    case .left:
        model.ui.focus = .table
        let monitor = model.displayedMonitor
        let selected = ConnectionQuery.effectiveSelection(monitor, ui: model.ui, rows: rows)
        let selectedIndex = rows.firstIndex { monitor.connections[$0].id == selected }
        let geometry = tableDataRows(
            area: area, ui: model.ui, rowCount: rows.count, selectedIndex: selectedIndex)
        guard geometry.rows.contains(event.position) else { return [] }
        let index = geometry.offset + event.position.y - geometry.rows.y
        guard index >= 0, index < rows.count else { return [] }
        model.ui.selected = monitor.connections[rows[index]].id
        model.ui.tableScroll = geometry.offset
    default:
        break
    }
    return []
}

/// A click focuses the event log; the wheel scrolls it (`wheelLines` per step).
private func mouseInLog(_ model: inout AppModel, _ event: MouseEvent) -> [Effect] {
    switch event.button {
    case .left:
        model.ui.focus = .log
    case .wheelUp, .wheelDown:
        let step = event.button == .wheelUp ? -wheelLines : wheelLines
        let count = model.displayedMonitor.log.count
        // As the keys do: never above the newest nor past the oldest entry.
        model.ui.logScroll = min(max(0, model.ui.logScroll + step), max(0, count - 1))
    default:
        break
    }
    return []
}

/// The wheel scrolls the help; a click outside its box closes it (any key does too), a
/// click inside does nothing.
private func mouseInHelp(
    _ model: inout AppModel, _ event: MouseEvent, scroll: Int, body: Rect
) -> [Effect] {
    switch event.button {
    case .wheelUp, .wheelDown:
        let step = event.button == .wheelUp ? -wheelLines : wheelLines
        let maxScroll = helpExtent(model).maxScroll
        model.ui.overlay = .help(scroll: min(max(0, min(scroll, maxScroll) + step), maxScroll))
    case .left:
        let box = helpBox(model, area: body, unicode: model.ui.isUnicode)
        if !box.contains(event.position) { model.ui.overlay = .none }
    default:
        break
    }
    return []
}

/// While a method is being picked: a click on a method picks it (as Enter on it), the wheel
/// moves the selection. Anything else in or around the dialog does nothing.
private func mouseInCallDialog(
    _ model: inout AppModel, _ event: MouseEvent, dialog: CallDialogState, body: Rect
) -> [Effect] {
    guard dialog.stage == .picking else { return [] }
    var dialog = dialog
    switch event.button {
    case .wheelUp, .wheelDown:
        dialog.picker.moveSelection(by: event.button == .wheelUp ? -1 : 1)
        model.ui.overlay = .callDialog(dialog)
        return []
    case .left:
        let inner = callDialogInner(body: body, screenWidth: model.ui.screenWidth)
        guard inner.height >= 3,
            let index = ListPicker(state: dialog.picker).matchIndex(
                at: event.position, area: callDialogPickerArea(inner: inner))
        else { return [] }
        dialog.picker.select(index: index)
        model.ui.overlay = .callDialog(dialog)
        return handleDashboardKey(&model, .enter)
    default:
        return []
    }
}

/// Replay: a left click on the progress bar seeks to that point of the recording.
private func mouseOnReplayBar(_ model: inout AppModel, _ event: MouseEvent) -> [Effect] {
    guard event.button == .left, var replay = model.replayStatus else { return [] }
    let layout = DashboardLayout(
        width: model.ui.screenWidth, height: model.ui.screenHeight, isReplay: true, rowCount: 0)
    guard let row = layout.progress,
        let bar = replayBarArea(
            replay, area: row, wallClockAtZero: model.wallClockAtZero,
            unicode: model.ui.isUnicode),
        bar.contains(event.position)
    else { return [] }
    // The cell's column on the bar's scale (the marks use the same: column = ratio × (w − 1)).
    let ratio = Double(event.position.x - bar.x) / Double(max(1, bar.width - 1))
    let effects = seekReplay(&replay, to: ratio * replay.duration)
    model.mode = .replay(replay)
    return effects
}
