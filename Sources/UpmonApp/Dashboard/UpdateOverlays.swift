import TerminalUI
import UpnodeMonitor

/// Keys while an overlay (other than the connection view) is open.
func handleOverlayKey(_ model: inout AppModel, _ key: InputEvent) -> [Effect] {
    // Take the payload out and drop every other reference to it (`overlay = .none` in each
    // case) so that editing its text does not copy it: no per-key copy of a long paste.
    var overlay = model.ui.overlay
    model.ui.overlay = .none
    switch overlay {
    case .none, .connectionView:
        return []
    case .help(let scroll):
        // Scrolling keys move within the help; any other key closes it.
        let (visible, maxScroll) = helpExtent(model)
        let page = max(1, visible - 1)
        let next: Int
        switch key {
        case .up(shift: false), .char("k"): next = scroll - 1
        case .down(shift: false), .char("j"): next = scroll + 1
        case .pageUp: next = scroll - page
        case .pageDown, .char(" "): next = scroll + page
        case .home, .char("g"): next = 0
        case .end, .char("G"): next = Int.max / 2
        default: return []
        }
        model.ui.overlay = .help(scroll: min(max(0, next), maxScroll))
        return []
    case .confirmQuit:
        if key == .char("y") || key == .char("Y") { return quitNow(&model) }
        return []
    case .filterEditor(var field):
        overlay = .none
        return handleFilterKey(&model, field: &field, key)
    case .recordPathPrompt(var field):
        overlay = .none
        switch key {
        case .escape: return []
        case .enter:
            let path = String(field.characters).trimmingSpaces()
            return startRecording(&model, path: path.isEmpty ? nil : path, overwrite: false)
        default:
            field.handle(key)
            model.ui.overlay = .recordPathPrompt(field)
            return []
        }
    case .markLabelPrompt(var field):
        overlay = .none
        switch key {
        case .escape: return []
        case .enter:
            let label = String(field.characters).trimmingSpaces()
            model.ui.setStatus("mark: \(label)")
            return [.addMark(label: label)]
        default:
            field.handle(key)
            model.ui.overlay = .markLabelPrompt(field)
            return []
        }
    case .commandLine(var field, let historyIndex):
        overlay = .none
        return handleCommandLineKey(&model, field: &field, historyIndex: historyIndex, key)
    case .callDialog(var dialog):
        overlay = .none
        let outcome = handleCallDialogKey(&model, dialog: &dialog, key)
        if !outcome.closes { model.ui.overlay = .callDialog(dialog) }
        return outcome.effects
    case .alerts(let scroll):
        return handleAlertsKey(&model, scroll: scroll, key)
    }
}

/// `/`: the filter applies as it is typed; Enter keeps it, Esc clears it.
private func handleFilterKey(
    _ model: inout AppModel, field: inout TextFieldState, _ key: InputEvent
)
    -> [Effect]
{
    let editsLog = model.ui.focus == .log
    switch key {
    case .escape:
        if editsLog { model.ui.logFilterText = "" } else { model.ui.filterText = "" }
        return []
    case .enter:
        if !editsLog, let error = filterError(String(field.characters)) {
            // Keep the editor open on a bad filter: the previous one stays applied.
            model.ui.setStatus(error, isError: true)
            model.ui.overlay = .filterEditor(field)
        }
        return []
    default:
        field.handle(key)
        let text = String(field.characters)
        if editsLog {
            model.ui.logFilterText = text
            model.ui.logScroll = 0
        } else if let error = filterError(text) {
            model.ui.setStatus(error, isError: true)
        } else {
            if model.ui.status?.isError == true, model.ui.status?.text.hasPrefix("filter: ") == true
            {
                model.ui.status = nil
            }
            model.ui.filterText = text
        }
        model.ui.overlay = .filterEditor(field)
        return []
    }
}

/// What is wrong with a table filter, worded for the status line; `nil` when it parses.
func filterError(_ text: String) -> String? {
    do {
        _ = try ConnectionFilter.parse(text)
        return nil
    } catch {
        return "filter: \(error)"
    }
}

/// `:` line: Enter runs, Tab completes, ↑/↓ recall, Esc cancels.
private func handleCommandLineKey(
    _ model: inout AppModel, field: inout TextFieldState, historyIndex: Int?, _ key: InputEvent
) -> [Effect] {
    let history = model.ui.commandHistory
    var index = historyIndex
    switch key {
    case .escape:
        return []
    case .enter:
        let text = String(field.characters).trimmingSpaces()
        guard !text.isEmpty else { return [] }
        if history.last != text {
            model.ui.commandHistory.append(text)
            if model.ui.commandHistory.count > 100 { model.ui.commandHistory.removeFirst() }
        }
        return runCommand(&model, text)
    case .tab:
        field.text = completeCommand(String(field.characters), model: model)
    case .up(shift: false):
        guard !history.isEmpty else { break }
        let next = min(history.count - 1, (index ?? -1) + 1)
        index = next
        field.text = history[history.count - 1 - next]
    case .down(shift: false):
        guard let current = index else { break }
        if current == 0 {
            index = nil
            field.text = ""
        } else {
            index = current - 1
            field.text = history[history.count - current]
        }
    default:
        field.handle(key)
    }
    model.ui.overlay = .commandLine(field, historyIndex: index)
    return []
}
