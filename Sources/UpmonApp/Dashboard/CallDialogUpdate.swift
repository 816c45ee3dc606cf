import DnodeProtocol
import TerminalUI
import UpnodeMonitor

/// `c`: opens the call dialog for the selected link.
func openCallDialog(_ model: inout AppModel) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    guard !model.linksAreAttached else { return refuseAttached(&model) }
    guard let id = currentSelection(model), let stats = model.monitor[id] else { return [] }
    // A link that never came up knows no methods: the picker then takes a typed name.
    model.ui.overlay = .callDialog(CallDialogState(conn: id, methods: stats.methods))
    return []
}

/// What a key did to the call dialog.
struct CallDialogOutcome {
    var effects: [Effect] = []
    var closes = false
}

/// Keys inside the call dialog. The dialog was taken out of `model.ui.overlay` by the
/// caller, so editing its text never copies it.
func handleCallDialogKey(_ model: inout AppModel, dialog: inout CallDialogState, _ key: InputEvent)
    -> CallDialogOutcome
{
    if key == .escape { return CallDialogOutcome(closes: true) }
    switch dialog.stage {
    case .picking:
        if key == .enter {
            guard let method = dialog.pickedMethod else { return CallDialogOutcome() }
            dialog.method = method
            dialog.stage = .editing
            dialog.field = .arguments
            dialog.arguments = CallDialogState.emptyArguments
            dialog.historyIndex = nil
        } else {
            dialog.picker.handle(key)
        }
    case .editing:
        return handleEditingKey(&model, dialog: &dialog, key)
    case .sent:
        guard dialog.field == .result else { return handleEditingKey(&model, dialog: &dialog, key) }
        switch key {
        case .enter: dialog.isUnfolded.toggle()
        case .char("c"):
            let methods = model.monitor[dialog.conn]?.methods ?? []
            dialog = CallDialogState(conn: dialog.conn, methods: methods)
        case .tab, .backTab: return handleEditingKey(&model, dialog: &dialog, key)
        default: break
        }
    }
    return CallDialogOutcome()
}

private func handleEditingKey(
    _ model: inout AppModel, dialog: inout CallDialogState, _ key: InputEvent
) -> CallDialogOutcome {
    let fields = dialog.fields
    let fieldIndex = fields.firstIndex(of: dialog.field) ?? 0
    switch key {
    case .tab:
        dialog.field = fields[(fieldIndex + 1) % fields.count]
        return CallDialogOutcome()
    case .backTab:
        dialog.field = fields[(fieldIndex + fields.count - 1) % fields.count]
        return CallDialogOutcome()
    case .enter:
        return CallDialogOutcome(effects: sendCall(&model, dialog: &dialog))
    default:
        break
    }
    switch dialog.field {
    case .arguments:
        switch key {
        case .up(shift: false): recallArguments(model, dialog: &dialog, older: true)
        case .down(shift: false): recallArguments(model, dialog: &dialog, older: false)
        case .char(let character) where dialog.arguments == CallDialogState.emptyArguments:
            // The first key typed into the untouched "[]" goes inside it (`2, 3` → `[2, 3]`),
            // and a typed `[` replaces it instead of nesting an array.
            var edited = TextFieldState(text: character == "[" ? "[" : "[\(character)]")
            if character != "[" { edited.handle(.left(shift: false)) }
            dialog.arguments = edited
            dialog.historyIndex = nil
        default:
            dialog.arguments.handle(key)
            dialog.historyIndex = nil
        }
        // Keep the scroll next to the cursor so drawing stays cheap for long text.
        dialog.arguments.scrollToCursor(width: callFieldWidth(screenWidth: model.ui.screenWidth))
    case .autoCallback:
        if key == .char(" ") || key == .char("x") { dialog.autoCallback.toggle() }
    case .result:
        break
    case .wait:
        switch key {
        case .char(let c) where !(c.isNumber || c == "."):
            break  // seconds only
        default:
            dialog.wait.handle(key)
        }
    }
    return CallDialogOutcome()
}

/// Columns of the arguments field for a terminal `screenWidth` wide (matches the view).
func callFieldWidth(screenWidth: Int) -> Int {
    max(10, callDialogWidth(screenWidth: screenWidth) - 2 - 2 - 8)
}

/// ↑ older / ↓ newer arguments used before with this method.
private func recallArguments(_ model: AppModel, dialog: inout CallDialogState, older: Bool) {
    let history = model.ui.argumentHistory[dialog.method] ?? []
    guard !history.isEmpty else { return }
    if older {
        let next = min(history.count - 1, (dialog.historyIndex ?? -1) + 1)
        dialog.historyIndex = next
        dialog.arguments = TextFieldState(text: history[history.count - 1 - next])
    } else {
        guard let current = dialog.historyIndex else { return }
        if current == 0 {
            dialog.historyIndex = nil
            dialog.arguments = CallDialogState.emptyArguments
        } else {
            dialog.historyIndex = current - 1
            dialog.arguments = TextFieldState(text: history[history.count - current])
        }
    }
}

/// Enter: validates, records the call and returns the `.call` effect; nothing while the
/// arguments are invalid. A link that is not up gets the call queued (`.call` goes through
/// its `up` queue, as with `upmon call`).
private func sendCall(_ model: inout AppModel, dialog: inout CallDialogState) -> [Effect] {
    let text = String(dialog.arguments.characters)
    guard case .success(let arguments) = validateArguments(text) else { return [] }
    let id = "m\(model.ui.nextCallNumber)"
    model.ui.nextCallNumber += 1
    let isUp = model.monitor[dialog.conn]?.state == .up
    model.calls.append(
        ManualCall(
            id: id, conn: dialog.conn, method: dialog.method, argumentsText: text,
            startedT: model.ui.now, status: isUp ? .waiting : .queued))
    if model.calls.count > maxCallsKept {
        model.calls.removeFirst(model.calls.count - maxCallsKept)
    }
    var history = model.ui.argumentHistory[dialog.method] ?? []
    history.removeAll { $0 == text }
    history.append(text)
    model.ui.argumentHistory[dialog.method] = Array(history.suffix(20))
    // The form keeps its focus and text: edit and press Enter to send again.
    dialog.stage = .sent(callID: id)
    dialog.isUnfolded = false
    return [
        .call(
            id: id, conn: dialog.conn, method: dialog.method, args: arguments,
            autoCallback: dialog.autoCallback && !containsCallbackPlaceholder(arguments),
            waitMs: dialog.waitMs)
    ]
}

/// A manual call's progress: the first invocation of the first callback settles it, ok
/// unless its first argument is an error object (Node's `cb(err)`).
func applyCallProgress(_ model: inout AppModel, id: String, _ progress: LiveSession.CallUpdate) {
    guard let index = model.calls.lastIndex(where: { $0.id == id }) else { return }
    switch progress {
    case .queued, .waiting:
        // Progress can arrive after the result; a settled call stays settled.
        let current = model.calls[index].status
        guard current == .queued || current == .waiting else { return }
        if case .waiting = progress { model.calls[index].status = .waiting }
    case .invocation(let label, let n, let ms, let arguments):
        model.calls[index].invocations.append(
            ManualCall.Invocation(label: label, n: n, ms: ms, arguments: arguments))
        // Streams can be long; keep the newest invocations only.
        if model.calls[index].invocations.count > maxInvocationsKept {
            model.calls[index].invocations.removeFirst()
        }
        let status = model.calls[index].status
        if n == 1, status == .waiting || status == .queued {
            model.calls[index].status =
                LiveSession.isErrorResult(arguments)
                ? .error(arguments.arrayValue?.first?.jsonText ?? "error") : .ok(ms: ms)
        }
    case .failed(let code, let message):
        model.calls[index].status = code == "timeout" ? .timeout : .error(message)
    }
}
