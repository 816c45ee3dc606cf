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
    case .alerts(let scroll):
        drawAlerts(scroll: scroll, into: &buffer, area: area, context: context)
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

/// What the mouse does, or that it is off; Shift keeps the terminal's own text selection.
func mouseHelpEntries(isReplay: Bool, mouse: Bool) -> [(key: String, action: String)] {
    guard mouse else {
        return [("mouse", "off (--no-mouse or mouse = off): the terminal selects text")]
    }
    return [
        (
            "mouse",
            "click: select a row, focus a pane, press a footer hint, pick a method"
                + (isReplay ? ", seek on the progress bar" : "")
        ),
        ("wheel", "move the selection / scroll the events and this help"),
        ("Shift+drag", "select text (the terminal's own selection)"),
    ]
}

/// Every key for the current mode (docs/ARCHITECTURE.md, "Keys"; docs/RECORDING.md, "Replaying").
func helpEntries(isReplay: Bool) -> [(key: String, action: String)] {
    var entries: [(String, String)] = [
        ("↑↓ j k", "select link"), ("PgUp PgDn g G", "page / first / last"),
        ("Enter", "connection view (Esc back)"), ("s / S  F6", "sort column / reverse"),
        ("/  F3", "filter: name, state:down state:!up queue:>0 loss:>1 p95:>50ms"),
        ("*", "pin link in the graph (max 6)"), ("y", "y axis auto / fixed"),
        ("t", "next theme"), (":", "command line (Tab completes)"),
        ("Tab S-Tab", "focus table / log / detail"), ("?  F1", "this help"),
        ("Ctrl-L", "redraw"), ("q F10 Ctrl-C", "quit"),
        ("a", "alerts: firing, then recently resolved"),
        ("M", "methods of a tapped row; Enter a method's calls"),
    ]
    if isReplay {
        entries += [
            ("space p", "pause / resume playback"), (".  ,", "step / step back"),
            ("← → h l", "seek ∓5 s"), ("S-← S-→ H L", "seek ∓60 s"),
            ("Home End", "start / end"), ("+ -", "speed"), ("[ ]", "previous / next mark"),
            (":goto", "05:00, 1:02:03, +30s, -1:00, 13:52 UTC"), (":speed N", "set speed"),
        ]
    } else {
        entries += [
            ("c", "call a remote method"), ("r", "reconnect now"), ("d", "hold / release"),
            ("p space", "pause display"), ("R", "start / stop recording"),
            ("m", "add a mark (while recording)"),
            (":connect N=ADDR", "add a link; ping=1s tls=on and the config keys"),
            (":disconnect N", "remove a link"), (":reload  SIGHUP", "re-read the config file"),
        ]
    }
    return entries
}

/// What each table column shows, for the legend in the help overlay.
func columnLegend() -> [(key: String, action: String)] {
    [
        ("NAME ENDPOINT", "link name and address (tcp:// left out)"),
        ("STATE", "up, down, retry (reconnecting), connecting phase; held links say so"),
        ("FOR", "time since the link last went up or stopped being up"),
        ("REASON", "why the link is not up: connection refused, auth refused, timeout, …"),
        ("LAST", "newest round trip time; empty while the link is not up"),
        ("LAST (tap#N)", "time since the tapped connection's last traffic"),
        ("P50 P95", "median and 95th percentile RTT of the last 120 pings (ms)"),
        ("JIT", "jitter: mean change between consecutive RTTs (ms)"),
        ("LOSS", "share of the last 120 pings that timed out"),
        ("RETRY", "attempts in the current outage / reconnects in the session"),
        ("QUEUE", "calls waiting for the link; ! when the oldest is stuck"),
        ("OK/ERR", "calls answered / failed"),
        ("HISTORY", "RTT sparkline, newest right; gaps while down, × timeouts"),
        ("▲ ▼", "the sort column and its direction (s / S)"),
    ]
}

/// One row of the help overlay: a key (or column name) and its text, already wrapped.
struct HelpRow: Equatable {
    enum Kind { case entry, heading, about }
    var key: String
    var text: String
    var kind: Kind
}

/// The help overlay's rows for content `width` cells wide: keys, then the column legend,
/// then facts about this run. Long texts wrap under their text column, so nothing is cut.
func helpRows(_ model: AppModel, width: Int, unicode: Bool) -> [HelpRow] {
    let keyWidth = width >= 64 ? 18 : 14
    let textWidth = max(8, width - keyWidth - 1)
    var rows: [HelpRow] = []
    func add(_ entries: [(key: String, action: String)]) {
        for entry in entries {
            let key = unicode ? entry.key : asciiKeyName(entry.key)
            let action = unicode ? entry.action : asciiKeyName(entry.action)
            var pieces = wrapWords(action, width: textWidth)
            if TextWidth.width(of: key) > keyWidth {
                rows.append(HelpRow(key: key, text: "", kind: .entry))
            } else {
                rows.append(HelpRow(key: key, text: pieces.removeFirst(), kind: .entry))
            }
            rows += pieces.map { HelpRow(key: "", text: $0, kind: .entry) }
        }
    }
    add(helpEntries(isReplay: model.isReplay))
    add(mouseHelpEntries(isReplay: model.isReplay, mouse: model.ui.mouse))
    rows.append(HelpRow(key: "", text: "", kind: .heading))
    rows.append(HelpRow(key: "Columns", text: "", kind: .heading))
    add(columnLegend())
    rows.append(HelpRow(key: "", text: "", kind: .heading))
    var about = [("theme", model.ui.activeTheme), ("mode", model.isReplay ? "replay" : "live")]
    if let version = model.ui.version { about.append(("version", version)) }
    if let config = model.ui.configPath { about.append(("config", config)) }
    if let log = model.ui.logFilePath { about.append(("log", log)) }
    for (name, value) in about {
        for (index, piece) in wrapWords(sanitize(value), width: textWidth).enumerated() {
            rows.append(HelpRow(key: index == 0 ? name : "", text: piece, kind: .about))
        }
    }
    return rows
}

/// `text` in lines of at most `width` cells, broken at spaces (a longer word is cut).
func wrapWords(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
        let candidate = current.isEmpty ? String(word) : current + " " + word
        if TextWidth.width(of: candidate) <= width || current.isEmpty {
            current = candidate
        } else {
            lines.append(current)
            current = String(word)
        }
        while TextWidth.width(of: current) > width {
            let head = TextWidth.truncate(current, to: width, ellipsis: "")
            lines.append(head)
            current = String(current.dropFirst(head.count))
        }
    }
    lines.append(current)
    return lines
}

/// The help box for the dashboard body `area`, and its content width.
private func helpFrame(bodyWidth: Int, bodyHeight: Int, rowCount: Int) -> (
    width: Int, height: Int
) {
    (min(bodyWidth - 2, 76), min(bodyHeight, rowCount + 2))
}

/// Rows of help text in sight at the model's screen size, and the furthest the help can
/// scroll. Rows are counted for Unicode and ASCII names alike (the longer of the two), as
/// update does not know the glyph set; the view clamps again to what it draws.
func helpExtent(_ model: AppModel) -> (visible: Int, maxScroll: Int) {
    let body = helpBody(model)
    let count = helpRowCount(model, bodyWidth: body.width)
    let height = helpFrame(bodyWidth: body.width, bodyHeight: body.height, rowCount: count).height
    let visible = max(1, height - 2)
    return (visible, max(0, count - visible))
}

private func helpBody(_ model: AppModel) -> Rect {
    DashboardLayout(
        width: model.ui.screenWidth, height: model.ui.screenHeight, isReplay: model.isReplay,
        rowCount: 0
    ).body
}

private func helpRowCount(_ model: AppModel, bodyWidth: Int) -> Int {
    let content = helpFrame(bodyWidth: bodyWidth, bodyHeight: 0, rowCount: 0).width - 4
    return max(
        helpRows(model, width: content, unicode: true).count,
        helpRows(model, width: content, unicode: false).count)
}

/// The help box in the body `area` for a glyph set: where `drawHelp` draws it.
func helpBox(_ model: AppModel, area: Rect, unicode: Bool) -> Rect {
    let frameWidth = helpFrame(bodyWidth: area.width, bodyHeight: 0, rowCount: 0).width
    let count = helpRows(model, width: frameWidth - 4, unicode: unicode).count
    let size = helpFrame(bodyWidth: area.width, bodyHeight: area.height, rowCount: count)
    return Modal(width: size.width, height: size.height).frame(in: area)
}

private func drawHelp(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let model = context.model
    let glyphs = context.glyphs
    let frameWidth = helpFrame(bodyWidth: area.width, bodyHeight: 0, rowCount: 0).width
    let rows = helpRows(model, width: frameWidth - 4, unicode: glyphs.isUnicode)
    let keyWidth = frameWidth - 4 >= 64 ? 18 : 14
    let lines = rows.map { row -> Line in
        switch row.kind {
        case .heading:
            return Line([context.span(row.key, "title")])
        case .entry:
            return Line([
                context.span(TextWidth.fit(row.key, width: keyWidth), "highlight"),
                context.span(" " + row.text, "text"),
            ])
        case .about:
            return Line([
                context.span(TextWidth.fit(row.key, width: keyWidth), "muted"),
                context.span(" " + row.text, "text"),
            ])
        }
    }
    let size = helpFrame(bodyWidth: area.width, bodyHeight: area.height, rowCount: lines.count)
    let visible = max(1, size.height - 2)
    let maxScroll = max(0, lines.count - visible)
    var scroll = 0
    if case .help(let wanted) = model.ui.overlay { scroll = min(max(0, wanted), maxScroll) }
    var title: [Span] = [context.span("Help", "title")]
    if maxScroll > 0 {
        // Where the view is, and which ways it can still scroll.
        let up = scroll > 0 ? (glyphs.isUnicode ? "↑" : "^") : " "
        let down = scroll < maxScroll ? (glyphs.isUnicode ? "↓" : "v") : " "
        let last = min(lines.count, scroll + visible)
        title.append(
            context.span(" \(up)\(down) \(scroll + 1)-\(last)/\(lines.count)", "muted"))
    }
    let inner = Modal(
        title: Line(title), titleRight: Line(context.breadcrumb(["help"])),
        width: size.width, height: size.height,
        borderStyle: context.style("border"), fillStyle: context.style("text"),
        box: glyphs.box
    ).render(into: &buffer, area: area).inset(left: 1, right: 1)
    Paragraph(lines, scroll: scroll, ellipsis: glyphs.ellipsis).render(into: &buffer, area: inner)
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
        case "▲": result += "^"
        case "▼": result += "v"
        case "×": result += "x"
        case "…": result += "..."
        default: result.append(character)
        }
    }
    return result
}
