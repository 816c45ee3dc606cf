import TerminalUI
import UpnodeMonitor

/// Footer hints for the current mode, focus and overlay.
func footerHints(_ model: AppModel, glyphs: Glyphs) -> [Hint] {
    let unicode = glyphs.isUnicode
    let upDown = unicode ? "↑↓" : "Up/Dn"
    let enter = unicode ? "⏎" : "Enter"
    switch model.ui.overlay {
    case .callDialog:
        return [
            Hint(key: enter, label: "Send"), Hint(key: "Tab", label: "Next field"),
            Hint(key: upDown, label: "History"), Hint(key: "Esc", label: "Close"),
        ]
    case .filterEditor, .recordPathPrompt, .markLabelPrompt, .commandLine:
        return [Hint(key: enter, label: "Apply"), Hint(key: "Esc", label: "Cancel")]
    case .confirmQuit:
        return [Hint(key: "y", label: "Quit"), Hint(key: "n", label: "Stay")]
    case .help:
        return [
            Hint(key: upDown, label: "Scroll"), Hint(key: "PgUp/PgDn", label: "Page"),
            Hint(key: "Esc", label: "Close"),
        ]
    case .connectionView:
        return [
            Hint(key: "Esc", label: "Back"), Hint(key: "*", label: "Pin"),
            Hint(key: "?", label: "Help"),
        ]
    case .alerts:
        return [Hint(key: upDown, label: "Scroll"), Hint(key: "Esc", label: "Close")]
    case .none:
        break
    }
    if model.ui.focus == .log {
        return [
            Hint(key: "?", label: "Help"), Hint(key: upDown, label: "Scroll"),
            Hint(key: "/", label: "Filter"), Hint(key: "Tab", label: "Focus"),
            Hint(key: "q", label: "Quit"),
        ]
    }
    if model.isReplay {
        return [
            Hint(key: "?", label: "Help"), Hint(key: "p", label: "Pause"),
            Hint(key: ".,", label: "Step"),
            Hint(key: unicode ? "←→" : "h/l", label: unicode ? "±5s" : " 5s"),
            Hint(key: "HL", label: unicode ? "±60s" : " 60s"), Hint(key: "+-", label: "Speed"),
            Hint(key: "[]", label: "Marks"), Hint(key: upDown, label: "Select"),
            Hint(key: "/", label: "Filter"), Hint(key: ":", label: "Cmd"),
            Hint(key: "q", label: "Quit"),
        ]
    }
    return [
        Hint(key: "?", label: "Help"), Hint(key: upDown, label: "Select"),
        Hint(key: enter, label: "Detail"), Hint(key: "c", label: "Call"),
        Hint(key: "r", label: "Reconnect"), Hint(key: "d", label: "Hold"),
        Hint(key: "p", label: "Pause"), Hint(key: "s", label: "Sort"),
        Hint(key: "/", label: "Filter"), Hint(key: "t", label: "Theme"),
        Hint(key: "R", label: "Rec"), Hint(key: "m", label: "Mark"),
        Hint(key: ":", label: "Cmd"), Hint(key: "q", label: "Quit"),
    ]
}

func drawFooter(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let headerStyle = context.style("header")
    buffer.clear(area, style: headerStyle)
    var hintArea = area.inset(left: 1)
    if let status = context.model.ui.status, status.expiresAt > context.now {
        let text = sanitize(status.text)
        let room = max(0, area.width / 2)
        let shown = TextWidth.truncate(text, to: room, ellipsis: context.glyphs.ellipsis)
        let width = TextWidth.width(of: shown)
        buffer.set(
            x: area.maxX - width - 1, y: area.y, shown,
            style: context.style(status.isError ? "error" : "title"))
        hintArea = Rect(
            x: hintArea.x, y: hintArea.y, width: max(0, hintArea.width - width - 2), height: 1)
    }
    HintBar(
        hints: withAlertHint(footerHints(context.model, glyphs: context.glyphs), context),
        keyStyle: context.style("highlight"), labelStyle: headerStyle
    ).render(into: &buffer, area: hintArea)
}

/// `09:31:12 ▕██████▌─────────▏ 04:19 / 10:02  2×    playing  marks: ▲3`.
func drawReplayProgress(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    guard let replay = context.model.replayStatus else { return }
    let glyphs = context.glyphs
    let unicode = glyphs.isUnicode
    buffer.clear(area, style: context.style("text"))
    let clock = DashboardFormat.clock(context.wallClock(replay.position))
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
