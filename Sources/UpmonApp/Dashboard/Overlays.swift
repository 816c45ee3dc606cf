import TerminalUI
import UpnodeMonitor

/// Width of the call dialog for a terminal `screenWidth` wide.
func callDialogWidth(screenWidth: Int) -> Int { min(100, max(40, screenWidth - 8)) }

func drawOverlay(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    switch context.model.ui.overlay {
    case .none, .connectionView:
        return
    case .help:
        drawHelp(into: &buffer, area: area, context: context)
    case .confirmQuit:
        drawPrompt(
            title: "Quit",
            lines: [Line("Stop recording and quit? y/N", style: context.style("text"))],
            field: nil, into: &buffer, area: area, context: context)
    case .recordPathPrompt(let field):
        drawPrompt(
            title: "Record", lines: [Line("Record to file:", style: context.style("text"))],
            field: field, into: &buffer, area: area, context: context)
    case .markLabelPrompt(let field):
        drawPrompt(
            title: "Mark", lines: [Line("Mark label:", style: context.style("text"))],
            field: field, into: &buffer, area: area, context: context)
    case .filterEditor(let field):
        let prompt = context.model.ui.focus == .log ? "log filter: " : "filter: "
        drawBottomLine(prompt: prompt, field: field, into: &buffer, area: area, context: context)
    case .commandLine(let field, _):
        drawBottomLine(prompt: ":", field: field, into: &buffer, area: area, context: context)
    case .callDialog(let dialog):
        drawCallDialog(dialog, into: &buffer, area: area, context: context)
    }
}

/// A small centred box with text and an optional one-line field.
private func drawPrompt(
    title: String, lines: [Line], field: TextFieldState?, into buffer: inout Buffer, area: Rect,
    context: ViewContext
) {
    let width = min(area.width - 4, 64)
    let height = lines.count + (field == nil ? 0 : 1) + 2
    let inner = Modal(
        title: Line(title, style: context.style("title")), width: width, height: height,
        borderStyle: context.style("border"), fillStyle: context.style("text"),
        box: context.glyphs.box
    ).render(into: &buffer, area: area).inset(left: 1, right: 1)
    Paragraph(lines, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: inner)
    if let field {
        TextField(state: field, style: context.style("highlight"))
            .render(into: &buffer, area: inner.row(lines.count))
    }
}

/// A prompt on the last row of the body (`:` command line, `/` filter), like k9s and htop.
private func drawBottomLine(
    prompt: String, field: TextFieldState, into buffer: inout Buffer, area: Rect,
    context: ViewContext
) {
    let row = area.row(area.height - 1)
    buffer.clear(row, style: context.style("text"))
    let used = buffer.set(x: row.x, y: row.y, prompt, style: context.style("title"))
    TextField(state: field, style: context.style("highlight"))
        .render(
            into: &buffer, area: Rect(x: row.x + used, y: row.y, width: row.width - used, height: 1)
        )
}

/// Every key for the current mode (docs/ARCHITECTURE.md, "Keys"; docs/RECORDING.md, "Replaying").
func helpEntries(isReplay: Bool) -> [(key: String, action: String)] {
    var entries: [(String, String)] = [
        ("↑↓ j k", "select link"), ("PgUp PgDn g G", "page / first / last"),
        ("Enter", "connection view (Esc back)"), ("s / S  F6", "sort column / reverse"),
        ("/  F3", "filter: name, state:down queue:>0 loss:>1 p95:>100"),
        ("*", "pin link in the graph (max 6)"), ("y", "y axis auto / fixed"),
        ("t", "next theme"), (":", "command line (Tab completes)"),
        ("Tab S-Tab", "focus table / log / detail"), ("?  F1", "this help"),
        ("Ctrl-L", "redraw"), ("q F10 Ctrl-C", "quit"),
    ]
    if isReplay {
        entries += [
            ("space p", "pause / resume playback"), (".  ,", "step / step back"),
            ("← → h l", "seek ∓5 s"), ("S-← S-→ H L", "seek ∓60 s"),
            ("Home End", "start / end"), ("+ -", "speed"), ("[ ]", "previous / next mark"),
            (":goto", "HH:MM:SS, +90s, -30s"), (":speed N", "set speed"),
        ]
    } else {
        entries += [
            ("c", "call a remote method"), ("r", "reconnect now"), ("d", "hold / release"),
            ("p space", "pause display"), ("R", "start / stop recording"),
            ("m", "add a mark (while recording)"),
        ]
    }
    return entries
}

private func drawHelp(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let model = context.model
    let entries = helpEntries(isReplay: model.isReplay)
    var lines = entries.map { entry in
        let key = context.glyphs.isUnicode ? entry.key : asciiKeyName(entry.key)
        let action = context.glyphs.isUnicode ? entry.action : asciiKeyName(entry.action)
        return Line([
            context.span(
                TextWidth.fit(key, width: 18, ellipsis: context.glyphs.ellipsis), "highlight"),
            context.span(" " + action, "text"),
        ])
    }
    lines.append(Line(""))
    var about: [(String, String)] = [
        ("theme", model.ui.activeTheme), ("mode", model.isReplay ? "replay" : "live"),
    ]
    if let version = model.ui.version { about.append(("version", version)) }
    lines.append(
        Line(
            about.flatMap {
                [context.span($0.0 + " ", "muted"), context.span(sanitize($0.1) + "   ", "text")]
            }))
    if let config = model.ui.configPath {
        lines.append(
            Line([context.span("config ", "muted"), context.span(sanitize(config), "text")]))
    }
    if let log = model.ui.logFilePath {
        lines.append(Line([context.span("log    ", "muted"), context.span(sanitize(log), "text")]))
    }
    let inner = Modal(
        title: Line("Help", style: context.style("title")),
        titleRight: Line(context.breadcrumb(["help"])),
        width: min(area.width - 2, 76), height: min(area.height, lines.count + 2),
        borderStyle: context.style("border"), fillStyle: context.style("text"),
        box: context.glyphs.box
    ).render(into: &buffer, area: area).inset(left: 1, right: 1)
    Paragraph(lines, ellipsis: context.glyphs.ellipsis).render(into: &buffer, area: inner)
}

/// Key names without arrows for ASCII terminals.
private func asciiKeyName(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "↑": result += "Up"
        case "↓": result += "Dn"
        case "←": result += "Left"
        case "→": result += "Right"
        case "∓": result += "+/-"
        default: result.append(character)
        }
    }
    return result
}
