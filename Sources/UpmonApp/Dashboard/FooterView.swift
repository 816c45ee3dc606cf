import TerminalUI
import UpnodeMonitor

/// Footer hints for the current mode, focus and overlay (with `a Alerts` while alerts fire).
/// Each hint that stands for one key carries it: a click on the hint does what the key does.
func footerHints(_ model: AppModel, glyphs: Glyphs) -> [Hint] {
    withAlertHint(modeFooterHints(model, glyphs: glyphs), model)
}

private func modeFooterHints(_ model: AppModel, glyphs: Glyphs) -> [Hint] {
    let unicode = glyphs.isUnicode
    let upDown = unicode ? "↑↓" : "Up/Dn"
    let enter = unicode ? "⏎" : "Enter"
    func hint(_ key: String, _ label: String, _ event: InputEvent? = nil) -> Hint {
        Hint(key: key, label: label, event: event)
    }
    func char(_ key: Character, _ label: String) -> Hint {
        Hint(key: String(key), label: label, event: .char(key))
    }
    switch model.ui.overlay {
    case .callDialog:
        return [
            hint(enter, "Send", .enter), hint("Tab", "Next field", .tab),
            hint(upDown, "History"), hint("Esc", "Close", .escape),
        ]
    case .filterEditor, .recordPathPrompt, .markLabelPrompt, .commandLine:
        return [hint(enter, "Apply", .enter), hint("Esc", "Cancel", .escape)]
    case .confirmQuit:
        return [char("y", "Quit"), char("n", "Stay")]
    case .help:
        return [
            hint(upDown, "Scroll"), hint("PgUp/PgDn", "Page"), hint("Esc", "Close", .escape),
        ]
    case .connectionView:
        return [hint("Esc", "Back", .escape), char("*", "Pin"), char("?", "Help")]
    case .alerts:
        return [hint(upDown, "Scroll"), hint("Esc", "Close", .escape)]
    case .none:
        break
    }
    if let methods = model.ui.methods, model.ui.focus != .log {
        return methodsFooterHints(methods, glyphs: glyphs)
    }
    if model.ui.focus == .log {
        return [
            char("?", "Help"), hint(upDown, "Scroll"), char("/", "Filter"),
            hint("Tab", "Focus", .tab), char("q", "Quit"),
        ]
    }
    if model.isReplay {
        return [
            char("?", "Help"), char("p", "Pause"), hint(".,", "Step", .char(".")),
            hint(unicode ? "←→" : "h/l", unicode ? "±5s" : " 5s"),
            hint("HL", unicode ? "±60s" : " 60s"), hint("+-", "Speed"), hint("[]", "Marks"),
            hint(upDown, "Select"), char("/", "Filter"), char(":", "Cmd"), char("q", "Quit"),
        ]
    }
    return [
        char("?", "Help"), hint(upDown, "Select"), hint(enter, "Detail", .enter),
        char("c", "Call"), char("r", "Reconnect"), char("d", "Hold"), char("p", "Pause"),
        char("s", "Sort"), char("/", "Filter"), char("t", "Theme"), char("R", "Rec"),
        char("m", "Mark"), char(":", "Cmd"), char("q", "Quit"),
    ]
}

/// The status message as the footer shows it (at most half the row), while one is up.
func footerStatusText(_ model: AppModel, now: Double, area: Rect, glyphs: Glyphs) -> String? {
    guard let status = model.ui.status, status.expiresAt > now else { return nil }
    return TextWidth.truncate(
        sanitize(status.text), to: max(0, area.width / 2), ellipsis: glyphs.ellipsis)
}

/// The part of the footer row the hints get: all but the status message at the right. The
/// view draws the hints here and mouse clicks are hit-tested here (`footerHint(at:…)`).
func footerHintArea(_ model: AppModel, now: Double, area: Rect, glyphs: Glyphs) -> Rect {
    let hintArea = area.inset(left: 1)
    guard let shown = footerStatusText(model, now: now, area: area, glyphs: glyphs) else {
        return hintArea
    }
    let width = TextWidth.width(of: shown)
    return Rect(x: hintArea.x, y: hintArea.y, width: max(0, hintArea.width - width - 2), height: 1)
}

/// The footer hint drawn at `position` in the footer row `area`, if any.
func footerHint(
    at position: Position, _ model: AppModel, now: Double, area: Rect, glyphs: Glyphs
) -> Hint? {
    HintBar(hints: footerHints(model, glyphs: glyphs)).hint(
        at: position, area: footerHintArea(model, now: now, area: area, glyphs: glyphs))
}

func drawFooter(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let headerStyle = context.style("header")
    buffer.clear(area, style: headerStyle)
    let model = context.model
    if let shown = footerStatusText(model, now: context.now, area: area, glyphs: context.glyphs),
        let status = model.ui.status
    {
        buffer.set(
            x: area.maxX - TextWidth.width(of: shown) - 1, y: area.y, shown,
            style: context.style(status.isError ? "error" : "title"))
    }
    HintBar(
        hints: footerHints(model, glyphs: context.glyphs),
        keyStyle: context.style("highlight"), labelStyle: headerStyle
    ).render(
        into: &buffer,
        area: footerHintArea(model, now: context.now, area: area, glyphs: context.glyphs))
}

/// `09:31:12 ▕██████▌─────────▏ 04:19 / 10:02  2×    playing  marks: ▲3`.
func drawReplayProgress(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    guard let replay = context.model.replayStatus else { return }
    let glyphs = context.glyphs
    let unicode = glyphs.isUnicode
    buffer.clear(area, style: context.style("text"))
    let (left, right, barWidth) = replayProgressParts(
        replay, area: area, wallClockAtZero: context.model.wallClockAtZero, unicode: unicode)
    var x = area.x
    x += buffer.set(x: x, y: area.y, left, style: context.style("muted"))
    if barWidth >= 4 {
        x += buffer.set(x: x, y: area.y, unicode ? "▕" : "[", style: context.style("muted"))
        let ratio = replay.duration > 0 ? min(1, max(0, replay.position / replay.duration)) : 0
        let bar = progressBar(ratio: ratio, width: barWidth, unicode: unicode)
        buffer.set(x: x, y: area.y, bar.filled, style: context.style("mode_replay"))
        buffer.set(
            x: x + TextWidth.width(of: bar.filled), y: area.y, bar.empty,
            style: context.style("muted"))
        for mark in replay.marks where replay.duration > 0 {
            let column = Int(
                saturating: (min(1, max(0, mark.t / replay.duration)) * Double(barWidth - 1))
                    .rounded())
            buffer.set(x: x + column, y: area.y, unicode ? "▲" : "^", style: context.style("title"))
        }
        x += barWidth
        x += buffer.set(x: x, y: area.y, unicode ? "▏" : "]", style: context.style("muted"))
    }
    buffer.set(x: x, y: area.y, right, style: context.style("text"), maxWidth: area.maxX - x)
}

/// The texts left and right of the replay progress bar and the bar's width (drawn only
/// when at least 4): the geometry `drawReplayProgress` draws with.
func replayProgressParts(
    _ replay: ReplayStatus, area: Rect, wallClockAtZero: Double, unicode: Bool
) -> (left: String, right: String, barWidth: Int) {
    let clock = DashboardFormat.clock(wallClockAtZero + replay.position)
    // Fixed widths, so the bar keeps its length while playing, pausing and moving: the
    // position as wide as the duration, the speed as wide as `0.25×`, `playing`/`paused `.
    let duration = DashboardFormat.position(replay.duration)
    let position = DashboardFormat.position(min(replay.position, replay.duration))
    let speed = DashboardFormat.speed(replay.speed, unicode: unicode)
    let right =
        " " + padded(position, to: TextWidth.width(of: duration), left: true) + " / " + duration
        + "  " + padded(speed, to: 5, left: false) + (replay.isPaused ? " paused " : " playing")
        + "  marks: \(unicode ? "▲" : "^")\(replay.marks.count)"
    let left = " " + clock + " "
    let barWidth = area.width - TextWidth.width(of: left) - TextWidth.width(of: right) - 3
    return (left, right, barWidth)
}

/// The cells of the replay progress bar in its row `area` (after the left text and the
/// opening `▕`), nil when the bar is not drawn: where a click seeks.
func replayBarArea(_ replay: ReplayStatus, area: Rect, wallClockAtZero: Double, unicode: Bool)
    -> Rect?
{
    let parts = replayProgressParts(
        replay, area: area, wallClockAtZero: wallClockAtZero, unicode: unicode)
    guard parts.barWidth >= 4 else { return nil }
    return Rect(
        x: area.x + TextWidth.width(of: parts.left) + 1, y: area.y, width: parts.barWidth,
        height: 1)
}

/// `text` with spaces before it (`left`) or after it up to `width` columns.
private func padded(_ text: String, to width: Int, left: Bool) -> String {
    let padding = String(repeating: " ", count: max(0, width - TextWidth.width(of: text)))
    return left ? padding + text : text + padding
}

/// The filled and empty parts of a progress bar with eighth-block resolution.
func progressBar(ratio: Double, width: Int, unicode: Bool) -> (filled: String, empty: String) {
    guard width > 0 else { return ("", "") }
    if !unicode {
        let filled = min(width, max(0, Int(saturating: (ratio * Double(width)).rounded(.down))))
        return (
            String(repeating: "#", count: filled), String(repeating: "-", count: width - filled)
        )
    }
    let eighths = min(
        width * 8, max(0, Int(saturating: (ratio * Double(width * 8)).rounded(.down))))
    let full = min(width, eighths / 8)
    let partial = full < width ? eighths % 8 : 0
    let partials: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    let filled = String(repeating: "█", count: full) + partials[partial]
    let used = full + (partial > 0 ? 1 : 0)
    return (filled, String(repeating: "─", count: width - used))
}
