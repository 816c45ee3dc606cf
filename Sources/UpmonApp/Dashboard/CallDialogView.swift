import DnodeProtocol
import TerminalUI
import UpnodeMonitor

func drawCallDialog(
    _ dialog: CallDialogState, into buffer: inout Buffer, area: Rect, context: ViewContext
) {
    let name = context.monitor[dialog.conn].map { sanitize($0.info.name) } ?? dialog.conn.rawValue
    let size = callDialogSize(body: area, screenWidth: buffer.width)
    Modal(
        title: Line("Call \(context.dot) \(name)", style: context.style("title")),
        titleRight: Line(context.breadcrumb([name, "call"])), width: size.width,
        height: size.height, borderStyle: context.style("border"),
        fillStyle: context.style("text"), box: context.glyphs.box
    ).render(into: &buffer, area: area)
    let inner = callDialogInner(body: area, screenWidth: buffer.width)
    guard inner.height >= 3 else { return }
    switch dialog.stage {
    case .picking:
        let word = context.monitor[dialog.conn].map(ThemeRoles.word) ?? "unknown"
        let instruction =
            dialog.picker.items.isEmpty
            ? "No methods known yet (link \(word)): type a method name; Enter queues the call"
            : "Pick a method (type to filter, Enter picks, Esc closes)"
        buffer.set(
            x: inner.x, y: inner.y, instruction, style: context.style("muted"),
            maxWidth: inner.width)
        let cursor = ListPicker(
            state: dialog.picker, prompt: "method> ", style: context.style("text"),
            highlightStyle: context.style("highlight"), promptStyle: context.style("title"),
            ellipsis: context.glyphs.ellipsis
        ).render(into: &buffer, area: callDialogPickerArea(inner: inner))
        drawCursorCell(at: cursor, into: &buffer, fieldStyle: context.style("text"))
    case .editing, .sent:
        drawCallForm(dialog, into: &buffer, area: inner, context: context)
    }
}

/// The call dialog's box size in the dashboard body.
func callDialogSize(body: Rect, screenWidth: Int) -> (width: Int, height: Int) {
    (callDialogWidth(screenWidth: screenWidth), min(body.height, 20))
}

/// The area inside the call dialog's border (one column of padding each side).
func callDialogInner(body: Rect, screenWidth: Int) -> Rect {
    let size = callDialogSize(body: body, screenWidth: screenWidth)
    return Modal(width: size.width, height: size.height).frame(in: body).inset(by: 1)
        .inset(left: 1, right: 1)
}

/// The method picker (query row, then the matches) below the instruction line.
func callDialogPickerArea(inner: Rect) -> Rect { inner.inset(top: 1) }

/// Method, arguments (validated), auto-callback and wait, then the result pane.
private func drawCallForm(
    _ dialog: CallDialogState, into buffer: inout Buffer, area: Rect, context: ViewContext
) {
    let editing = dialog.stage != .picking
    func label(_ text: String) -> Span { context.span(TextWidth.fit(text, width: 8), "muted") }
    func fieldStyle(_ field: CallDialogState.Field) -> Style {
        editing && dialog.field == field ? context.style("highlight") : context.style("text")
    }
    buffer.set(
        x: area.x, y: area.y,
        Line([label("Method"), context.span(sanitize(dialog.method), "text")]),
        maxWidth: area.width)
    buffer.set(x: area.x, y: area.y + 1, Line([label("Args")]))
    let argumentsCursor = TextField(
        state: dialog.arguments, style: fieldStyle(.arguments), placeholder: "[]"
    ).render(
        into: &buffer, area: Rect(x: area.x + 8, y: area.y + 1, width: area.width - 8, height: 1))
    if editing, dialog.field == .arguments {
        drawCursorCell(at: argumentsCursor, into: &buffer, fieldStyle: fieldStyle(.arguments))
    }
    // Validated once per frame: linear in the text, so long pastes stay responsive.
    let validation = validateArguments(String(dialog.arguments.characters))
    let validationLine: Line
    switch validation {
    case .success(let value):
        let callbacks = containsCallbackPlaceholder(value)
        let note =
            callbacks ? "valid; $cb placeholders stream their invocations" : "valid JSON array"
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
    if editing, dialog.field == .wait {
        let before = Line(Array(options.spans.prefix(3))).width
        let x =
            area.x + before
            + TextWidth.width(of: String(dialog.wait.characters.prefix(dialog.wait.cursor)))
        if x < area.maxX {
            drawCursorCell(
                at: Position(x: x, y: area.y + 3), into: &buffer, fieldStyle: fieldStyle(.wait))
        }
    }
    // The separator doubles as the result's focus mark.
    let separator = String(repeating: String(context.glyphs.box.horizontal), count: area.width)
    buffer.set(
        x: area.x, y: area.y + 4, separator,
        style: editing && dialog.field == .result
            ? context.style("highlight") : context.style("border"))
    let pane = Rect(x: area.x, y: area.y + 5, width: area.width, height: area.height - 5)
    guard case .sent(let callID) = dialog.stage,
        let call = context.model.calls.last(where: { $0.id == callID })
    else {
        let hint =
            "Enter sends \(context.dot) Tab next field \(context.dot) ↑↓ earlier args \(context.dot) Esc closes"
        buffer.set(
            x: pane.x, y: pane.y,
            context.glyphs.isUnicode
                ? hint : hint.replacingAll("↑", with: "Up/").replacingAll("↓", with: "Dn"),
            style: context.style("muted"), maxWidth: pane.width)
        return
    }
    // Fold to the pane (at most 20 lines) so one folded result fits whole.
    let foldAt =
        dialog.isUnfolded ? Int.max : min(CallDialogState.foldedLines, max(3, pane.height - 3))
    var lines = callResultLines(
        call, width: pane.width, foldAt: foldAt, context: context,
        unfoldHint: dialog.field == .result ? "Enter unfolds" : "Tab to the result, Enter unfolds")
    // Keep the call line and the newest invocations in view.
    if lines.count > pane.height, pane.height > 1 {
        lines = [lines[0]] + lines.suffix(pane.height - 1)
    }
    Paragraph(lines, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: pane)
}

/// The result pane: `Call m3 status ok 13.9ms`, then `#1 +13.9ms cb(…)` per invocation;
/// results wider than the pane are pretty-printed and folded past 20 lines.
func callResultLines(
    _ call: ManualCall, width: Int, foldAt: Int, context: ViewContext,
    unfoldHint: String = "Enter unfolds"
) -> [Line] {
    let (stateText, role) = callStateText(
        call, now: context.now, link: context.monitor[call.conn].map(ThemeRoles.word))
    var lines = [
        Line([
            context.span("Call \(call.id) ", "muted"),
            context.span(sanitize(call.method) + " ", "text"),
            context.span(stateText, role),
        ])
    ]
    for invocation in call.invocations.suffix(50) {
        let head = "#\(invocation.n) +\(DashboardFormat.msWithUnit(invocation.ms)) "
        let compact = invocationText(invocation)
        if TextWidth.width(of: head) + TextWidth.width(of: compact) <= width {
            lines.append(Line([context.span(head, "muted"), context.span(compact, "text")]))
            continue
        }
        lines.append(
            Line([
                context.span(head, "muted"), context.span(sanitize(invocation.label) + "(", "text"),
            ]))
        var body: [String] = []
        let items = invocation.arguments.arrayValue ?? [invocation.arguments]
        for (index, item) in items.enumerated() {
            prettyJSON(
                item, indent: 2, suffix: index < items.count - 1 ? "," : "", into: &body,
                limit: 2000)
        }
        body.append(")")
        let limit = min(body.count, foldAt)
        lines += body.prefix(limit).map { Line(sanitize($0), style: context.style("text")) }
        if body.count > limit {
            lines.append(
                Line(
                    "\(context.glyphs.ellipsis) \(body.count - limit) more lines (\(unfoldHint))",
                    style: context.style("muted")))
        }
    }
    if call.invocations.isEmpty {
        lines.append(Line("no invocations yet", style: context.style("muted")))
    }
    return lines
}

/// Appends `value` pretty-printed with two-space indents, stopping after `limit` lines so
/// a huge payload cannot stall a frame.
func prettyJSON(
    _ value: JSONValue, indent: Int, prefix: String = "", suffix: String = "",
    into lines: inout [String], limit: Int
) {
    guard lines.count < limit else { return }
    let pad = String(repeating: " ", count: indent)
    switch value {
    case .array(let items) where !items.isEmpty:
        lines.append(pad + prefix + "[")
        for (index, item) in items.enumerated() {
            prettyJSON(
                item, indent: indent + 2, suffix: index < items.count - 1 ? "," : "", into: &lines,
                limit: limit)
        }
        lines.append(pad + "]" + suffix)
    case .object(let object) where !object.isEmpty:
        lines.append(pad + prefix + "{")
        for (index, entry) in object.enumerated() {
            prettyJSON(
                entry.value, indent: indent + 2,
                prefix: JSONValue.string(entry.key).jsonText + ": ",
                suffix: index < object.count - 1 ? "," : "", into: &lines, limit: limit)
        }
        lines.append(pad + "}" + suffix)
    default:
        lines.append(pad + prefix + value.jsonText + suffix)
    }
}

/// `queued (link retry 3) 3.2s`, `waiting 120ms`, `ok 13.9ms`, `error …`, `timeout`;
/// `link` is the link's state word (`ThemeRoles.word`), `down` when unknown.
func callStateText(_ call: ManualCall, now: Double, link: String? = nil) -> (String, String) {
    let elapsed = max(0, now - call.startedT)
    switch call.status {
    case .queued:
        return (
            "queued (link \(link ?? "down")) " + DashboardFormat.shortWait(elapsed),
            "queue_nonempty"
        )
    case .waiting: return ("waiting " + DashboardFormat.shortWait(elapsed), "text")
    case .ok(let ms): return ("ok " + DashboardFormat.msWithUnit(ms), "rpc_ok")
    case .error(let message): return ("error " + sanitize(message), "rpc_error")
    case .timeout: return ("timeout", "rpc_error")
    }
}

/// Marks a text field's edit position: the cell there in the field's style with reverse
/// flipped, so it shows in every theme, in monochrome and in ASCII (the terminal's own
/// cursor stays hidden).
func drawCursorCell(at position: Position?, into buffer: inout Buffer, fieldStyle: Style) {
    guard let position, position.x >= 0, position.y >= 0, position.x < buffer.width,
        position.y < buffer.height
    else { return }
    var cell = buffer[position.x, position.y]
    if cell.isContinuation { return }
    var style = fieldStyle
    style.attrs.formSymmetricDifference(.reverse)
    cell.style = style
    buffer.put(cell, x: position.x, y: position.y)
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
