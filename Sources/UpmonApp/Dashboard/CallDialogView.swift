import DnodeProtocol
import TerminalUI
import UpnodeMonitor

func drawCallDialog(
    _ dialog: CallDialogState, into buffer: inout Buffer, area: Rect, context: ViewContext
) {
    let name = context.monitor[dialog.conn].map { sanitize($0.info.name) } ?? dialog.conn.rawValue
    let width = callDialogWidth(screenWidth: buffer.width)
    let height = min(area.height, 20)
    let inner = Modal(
        title: Line("Call \(context.dot) \(name)", style: context.style("title")),
        titleRight: Line(context.breadcrumb([name, "call"])), width: width, height: height,
        borderStyle: context.style("border"), fillStyle: context.style("text"),
        box: context.glyphs.box
    ).render(into: &buffer, area: area).inset(left: 1, right: 1)
    guard inner.height >= 3 else { return }
    switch dialog.stage {
    case .picking:
        buffer.set(
            x: inner.x, y: inner.y, "Pick a method (type to filter, Enter picks, Esc closes)",
            style: context.style("muted"), maxWidth: inner.width)
        ListPicker(
            state: dialog.picker, prompt: "method> ", style: context.style("text"),
            highlightStyle: context.style("highlight"), promptStyle: context.style("title"),
            ellipsis: context.glyphs.ellipsis
        ).render(into: &buffer, area: inner.inset(top: 1))
    case .editing, .sent:
        drawCallForm(dialog, into: &buffer, area: inner, context: context)
    }
}

/// Method, arguments (validated), auto-callback and wait, then the result pane.
private func drawCallForm(
    _ dialog: CallDialogState, into buffer: inout Buffer, area: Rect, context: ViewContext
) {
    let editing = dialog.stage == .editing
    func label(_ text: String) -> Span { context.span(TextWidth.fit(text, width: 8), "muted") }
    func fieldStyle(_ field: CallDialogState.Field) -> Style {
        editing && dialog.field == field ? context.style("highlight") : context.style("text")
    }
    buffer.set(
        x: area.x, y: area.y, Line([label("Method"), context.span(sanitize(dialog.method), "text")]),
        maxWidth: area.width)
    buffer.set(x: area.x, y: area.y + 1, Line([label("Args")]))
    TextField(state: dialog.arguments, style: fieldStyle(.arguments), placeholder: "[]")
        .render(into: &buffer, area: Rect(x: area.x + 8, y: area.y + 1, width: area.width - 8, height: 1))
    // Validated once per frame: linear in the text, so long pastes stay responsive.
    let validation = validateArguments(String(dialog.arguments.characters))
    let validationLine: Line
    switch validation {
    case .success(let value):
        let callbacks = containsCallbackPlaceholder(value)
        let note = callbacks ? "valid; $cb placeholders stream their invocations" : "valid JSON array"
        validationLine = Line([label(""), context.span(note, "muted")])
    case .failure(let error):
        validationLine = Line([label(""), context.span(error.text, "error")])
    }
    buffer.set(x: area.x, y: area.y + 2, validationLine, maxWidth: area.width)
    let box = dialog.autoCallback ? "[x]" : "[ ]"
    let options = Line([
        label("Options"), Span("\(box) auto callback", style: fieldStyle(.autoCallback)),
        context.span("   wait ", "muted"),
        Span(String(dialog.wait.characters), style: fieldStyle(.wait)),
        context.span(" s", "muted"),
    ])
    buffer.set(x: area.x, y: area.y + 3, options, maxWidth: area.width)
    let separator = String(repeating: String(context.glyphs.box.horizontal), count: area.width)
    buffer.set(x: area.x, y: area.y + 4, separator, style: context.style("border"))
    let pane = Rect(x: area.x, y: area.y + 5, width: area.width, height: area.height - 5)
    guard case .sent(let callID) = dialog.stage,
        let call = context.model.calls.last(where: { $0.id == callID })
    else {
        let hint = "Enter sends \(context.dot) Tab next field \(context.dot) ↑↓ earlier args \(context.dot) Esc closes"
        buffer.set(
            x: pane.x, y: pane.y, context.glyphs.isUnicode ? hint : hint.replacingAll("↑", with: "Up/").replacingAll("↓", with: "Dn"),
            style: context.style("muted"), maxWidth: pane.width)
        return
    }
    Paragraph(callResultLines(call, context: context), ellipsis: context.glyphs.ellipsis)
        .render(into: &buffer, area: pane)
}

/// The result pane: `m3 status  ok 13.9ms`, then `#1 +13.9ms cb(…)` per invocation.
func callResultLines(_ call: ManualCall, context: ViewContext) -> [Line] {
    let (stateText, role) = callStateText(call, now: context.now)
    var lines = [
        Line([
            context.span("Call \(call.id) ", "muted"),
            context.span(sanitize(call.method) + " ", "text"),
            context.span(stateText, role),
        ])
    ]
    for invocation in call.invocations.suffix(200) {
        lines.append(
            Line([
                context.span("#\(invocation.n) +\(Format.msWithUnit(invocation.ms)) ", "muted"),
                context.span(invocationText(invocation), "text"),
            ]))
    }
    if call.invocations.isEmpty {
        lines.append(Line("no invocations yet", style: context.style("muted")))
    }
    return lines
}

/// `queued (link down) 3.2s`, `waiting 120ms`, `ok 13.9ms`, `error …`, `timeout`.
func callStateText(_ call: ManualCall, now: Double) -> (String, String) {
    let elapsed = max(0, now - call.startedT)
    switch call.status {
    case .queued: return ("queued (link down) " + Format.shortWait(elapsed), "queue_nonempty")
    case .waiting: return ("waiting " + Format.shortWait(elapsed), "text")
    case .ok(let ms): return ("ok " + Format.msWithUnit(ms), "rpc_ok")
    case .error(let message): return ("error " + sanitize(message), "rpc_error")
    case .timeout: return ("timeout", "rpc_error")
    }
}

/// `cb(null, {"uptime":733})`: the callback label and its arguments.
func invocationText(_ invocation: ManualCall.Invocation) -> String {
    let arguments: String
    if case .array(let items) = invocation.arguments {
        arguments = items.map(\.jsonText).joined(separator: ", ")
    } else {
        arguments = invocation.arguments.jsonText
    }
    // Bounded so a huge payload cannot slow every frame.
    let shown = arguments.count > 400 ? String(arguments.prefix(400)) + "…" : arguments
    return sanitize(invocation.label) + "(" + sanitize(shown) + ")"
}
