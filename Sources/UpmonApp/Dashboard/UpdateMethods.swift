import TerminalUI
import UpnodeMonitor

/// `M`: opens the Methods view of the selected row: a tapped connection shows its methods,
/// the tap's own row those of all its tapped connections. Other rows say why not.
func openMethods(_ model: inout AppModel) {
    guard let id = currentSelection(model) else {
        model.ui.setStatus("no link selected", isError: true)
        return
    }
    guard !MethodsQuery.tappedRows(model.displayedMonitor, scope: id).isEmpty else {
        model.ui.setStatus(
            "no tapped connections on \(linkName(model, id)) (upmon tap shows methods)",
            isError: true)
        return
    }
    model.ui.methods = MethodsViewState(scope: id)
    model.ui.focus = .table
}

/// Keys while the Methods view is open and the table has focus; nil when the key is not one
/// of its keys (it then does what it does elsewhere: `p`, `t`, `q`, `?`, …).
func handleMethodsKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect]? {
    guard var state = model.ui.methods, model.ui.focus != .log else { return nil }
    if state.openCalls != nil {
        switch key {
        case .escape, .backspace, .enter: state.openCalls = nil
        case .up(shift: false), .char("k"): state.callsScroll -= 1
        case .down(shift: false), .char("j"): state.callsScroll += 1
        case .pageUp: state.callsScroll -= callsPageSize(model)
        case .pageDown: state.callsScroll += callsPageSize(model)
        case .char("g"): state.callsScroll = 0
        case .char("G"): state.callsScroll = Int.max / 2
        // Replay keeps Home and End for seeking.
        case .home where !model.isReplay: state.callsScroll = 0
        case .end where !model.isReplay: state.callsScroll = Int.max / 2
        default: return nil
        }
        state.callsScroll = min(max(0, state.callsScroll), maxCallsScroll(model, state))
        model.ui.methods = state
        return []
    }
    switch key {
    case .escape, .char("M"):
        // Back to the connections table; its selection was never touched.
        model.ui.methods = nil
        return []
    case .up(shift: false), .char("k"): moveMethodSelection(&model, by: -1)
    case .down(shift: false), .char("j"): moveMethodSelection(&model, by: 1)
    case .pageUp: moveMethodSelection(&model, by: -pageSize(model))
    case .pageDown: moveMethodSelection(&model, by: pageSize(model))
    case .char("g"): moveMethodSelection(&model, by: Int.min / 2)
    case .char("G"): moveMethodSelection(&model, by: Int.max / 2)
    case .home where !model.isReplay: moveMethodSelection(&model, by: Int.min / 2)
    case .end where !model.isReplay: moveMethodSelection(&model, by: Int.max / 2)
    case .enter:
        let rows = methodRows(model)
        guard let index = MethodsQuery.selectedIndex(rows, state: state) else {
            model.ui.setStatus("no calls yet")
            return []
        }
        state.selected = rows[index].key
        state.openCalls = rows[index].key
        state.callsScroll = 0
        model.ui.methods = state
    case .char("s"), .function(6):
        let keys = MethodSortKey.allCases
        let index = keys.firstIndex(of: state.sortKey) ?? 0
        state.sortKey = keys[(index + 1) % keys.count]
        state.sortAscending = state.sortKey.startsAscending
        model.ui.methods = state
        model.ui.setStatus("sort methods: \(state.sortKey.rawValue)")
    case .char("S"):
        state.sortAscending.toggle()
        model.ui.methods = state
        model.ui.setStatus(
            "sort methods: \(state.sortKey.rawValue) "
                + (state.sortAscending ? "ascending" : "descending"))
    default:
        return nil
    }
    return []
}

/// The Methods view's rows as the screen shows them now.
func methodRows(_ model: AppModel) -> [MethodRow] {
    guard let state = model.ui.methods else { return [] }
    return MethodsQuery.rows(model.displayedMonitor, state: state, now: methodsNow(model))
}

/// The time the view draws at: the playback position in replay.
func methodsNow(_ model: AppModel) -> Double {
    model.replayStatus?.position ?? model.ui.now
}

/// Rows of the main table: methods while the Methods view is open, else links (for the
/// layout, which sizes the table to its rows).
func mainTableRowCount(_ model: AppModel) -> Int {
    if model.ui.methods != nil { return methodRows(model).count }
    return ConnectionQuery.rows(model.displayedMonitor, ui: model.ui).count
}

func moveMethodSelection(_ model: inout AppModel, by delta: Int) {
    guard var state = model.ui.methods else { return }
    let rows = methodRows(model)
    guard !rows.isEmpty else { return }
    let index = MethodsQuery.selectedIndex(rows, state: state) ?? 0
    let target = min(rows.count - 1, max(0, index + delta))
    state.selected = rows[target].key
    state.scroll = Table.scrollOffset(
        selected: target, current: state.scroll, visibleRows: pageSize(model),
        rowCount: rows.count)
    model.ui.methods = state
}

/// Calls the recent-calls list shows at once.
func callsPageSize(_ model: AppModel) -> Int {
    let layout = DashboardLayout(
        width: model.ui.screenWidth, height: model.ui.screenHeight, isReplay: model.isReplay,
        rowCount: 0)
    return max(1, callsListRows(body: layout.body).height)
}

private func maxCallsScroll(_ model: AppModel, _ state: MethodsViewState) -> Int {
    guard let key = state.openCalls else { return 0 }
    let count = MethodsQuery.calls(model.displayedMonitor, scope: state.scope, key: key).count
    return max(0, count - callsPageSize(model))
}

/// A click on a method row selects it, the wheel moves the selection (or scrolls the
/// recent calls); either focuses the table.
func mouseInMethods(_ model: inout AppModel, _ event: MouseEvent, table: Rect) -> [Effect] {
    guard let state = model.ui.methods else { return [] }
    switch event.button {
    case .wheelUp, .wheelDown:
        model.ui.focus = .table
        return handleMethodsKey(
            &model, event.button == .wheelUp ? .up(shift: false) : .down(shift: false))
            ?? []
    case .left where state.openCalls == nil:
        model.ui.focus = .table
        let rows = methodRows(model)
        let geometry = tableDataRows(
            area: table, ui: scrolled(model.ui, state.scroll), rowCount: rows.count,
            selectedIndex: MethodsQuery.selectedIndex(rows, state: state))
        guard geometry.rows.contains(event.position) else { return [] }
        let index = geometry.offset + event.position.y - geometry.rows.y
        guard index >= 0, index < rows.count else { return [] }
        model.ui.methods?.selected = rows[index].key
        model.ui.methods?.scroll = geometry.offset
        return []
    default:
        return []
    }
}

/// `ui` with the table scrolled to `offset` (the methods table keeps its own scroll).
func scrolled(_ ui: UIState, _ offset: Int) -> UIState {
    var copy = ui
    copy.tableScroll = offset
    return copy
}
