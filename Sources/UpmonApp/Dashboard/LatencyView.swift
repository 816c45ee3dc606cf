import TerminalUI
import UpnodeMonitor

func drawLatencyPane(into buffer: inout Buffer, area: Rect, context: ViewContext) {
    let ui = context.model.ui
    var title: [Span] = [context.span("Latency", "title")]
    if let stats = context.selectedStats {
        title.append(
            context.span(" \(context.dot) \(sanitize(stats.info.name)) \(context.dot) ", "title"))
        title.append(
            context.span(
                displayEndpoint(stats.info.endpoint, width: 40, ellipsis: context.glyphs.ellipsis),
                "title"))
    }
    for (index, id) in ui.pinned.enumerated() {
        guard let pinned = context.monitor[id] else { continue }
        title.append(
            context.span(context.glyphs.isUnicode ? " ▪ " : " * ", ThemeRoles.series(index)))
        title.append(context.span(sanitize(pinned.info.name), ThemeRoles.series(index)))
    }
    let axisName: String
    switch ui.yAxis {
    case .auto: axisName = "auto"
    case .fixed(let low, let high):
        axisName = DashboardFormat.ms(low) + "-" + DashboardFormat.ms(high)
    }
    let right: [Span] = [
        context.span("y: \(axisName)", "title"), context.titleSeparator,
        context.span(context.graphSymbols.rawValue, "title"),
    ]
    let block = context.block(title: title, right: right)
    block.render(into: &buffer, area: area)
    let inner = block.inner(area).inset(left: 1)
    guard inner.height >= 2, let stats = context.selectedStats else {
        if context.selectedStats == nil {
            buffer.set(x: inner.x, y: inner.y, "no link selected", style: context.style("muted"))
        }
        return
    }
    buffer.set(x: inner.x, y: inner.y, statsLine(stats, context: context), maxWidth: inner.width)
    let showsTimeAxis = inner.height >= 6
    let plot = Rect(
        x: inner.x, y: inner.y + 1, width: inner.width,
        height: inner.height - 1 - (showsTimeAxis ? 2 : 0))
    let axisWidth = drawGraph(stats, into: &buffer, area: plot, context: context)
    if showsTimeAxis, let axisWidth {
        drawTimeAxis(
            stats, into: &buffer,
            area: Rect(x: plot.x, y: plot.maxY, width: plot.width, height: 2),
            axisWidth: axisWidth, context: context)
    }
}

/// `ms  last 12.1 min 9.8 avg 12.6 p95 18.4 max 41.0 jit 1.9 loss 0.8%`.
func statsLine(_ stats: ConnectionStats, context: ViewContext) -> Line {
    let rtt = stats.rttStats
    let thresholds = context.model.thresholds
    var spans: [Span] = [context.span("ms ", "muted")]
    func add(_ label: String, _ value: Double?) {
        spans.append(context.span(" \(label) ", "muted"))
        guard let value else {
            spans.append(context.span(context.glyphs.noData, "muted"))
            return
        }
        spans.append(
            context.span(
                DashboardFormat.fixed(value, places: 1),
                ThemeRoles.latency(value, thresholds: thresholds)))
    }
    if rtt.lastTimedOut {
        spans.append(context.span(" last ", "muted"))
        spans.append(context.span("timeout", "latency_timeout"))
    } else {
        add("last", rtt.last)
    }
    add("min", rtt.best)
    add("avg", rtt.avg)
    add("p95", rtt.p95)
    add("max", rtt.worst)
    spans.append(context.span(" jit ", "muted"))
    spans.append(
        context.span(
            rtt.jitter.map { DashboardFormat.fixed($0, places: 1) } ?? context.glyphs.noData, "text"
        ))
    spans.append(context.span(" loss ", "muted"))
    spans.append(context.span(DashboardFormat.percent(rtt.loss), ThemeRoles.loss(rtt.loss)))
    return Line(spans)
}

/// Draws the plot with its y axis; returns the axis label width (nil when nothing fit).
@discardableResult
func drawGraph(
    _ stats: ConnectionStats, into buffer: inout Buffer, area: Rect, context: ViewContext
) -> Int? {
    guard area.height >= 1, area.width > 8 else { return nil }
    let symbols = context.graphSymbols
    let perColumn = symbols == .braille ? 2 : 1
    let limit = area.width * perColumn
    let samples = graphSamples(stats, now: context.now, limit: limit)
    let overlays = context.model.ui.pinned.enumerated().compactMap { index, id -> GraphSeries? in
        guard id != stats.id, let pinned = context.monitor[id] else { return nil }
        return GraphSeries(
            samples: graphSamples(pinned, now: context.now, limit: limit),
            style: context.style(ThemeRoles.series(index)))
    }
    let top: Double
    switch context.model.ui.yAxis {
    case .fixed(_, let high): top = high
    case .auto:
        let highest = ([samples] + overlays.map(\.samples)).joined().reduce(0.0) {
            partial, sample in
            if case .value(let v) = sample { return max(partial, v) }
            return partial
        }
        top = LatencyGraph.niceCeiling(highest)
    }
    let worst = context.model.thresholds.latencyBadMs
    let warn = context.model.thresholds.latencyWarnMs
    let areaRole =
        top >= worst
            && samples.contains(where: {
                if case .value(let v) = $0 { return v >= worst }
                return false
            })
        ? "latency_bad"
        : (samples.contains(where: {
            if case .value(let v) = $0 { return v >= warn }
            return false
        }) ? "latency_warn" : "latency_good")
    LatencyGraph(
        samples: samples, yMax: top, symbols: symbols, timeoutGlyph: context.glyphs.timeout,
        style: context.style(areaRole), timeoutStyle: context.style("latency_timeout"),
        axisStyle: context.style("muted"), axisTick: context.glyphs.box.teeLeft,
        overlays: overlays
    ).render(into: &buffer, area: area)
    return axisLabelWidth(top: top, height: area.height)
}

/// The width LatencyGraph gives its y-axis labels (same rule as the widget).
private func axisLabelWidth(top: Double, height: Int) -> Int {
    var labels = [LatencyGraph.label(top) + "ms"]
    if height >= 2 { labels.append("0") }
    if height >= 5 {
        labels.append(
            LatencyGraph.label(top * Double(height - 1 - height / 2) / Double(height - 1)))
    }
    return labels.map { TextWidth.width(of: $0) }.max() ?? 0
}

/// `└────` and `-2m  -90s  -60s  -30s  now` under the plot.
private func drawTimeAxis(
    _ stats: ConnectionStats, into buffer: inout Buffer, area: Rect, axisWidth: Int,
    context: ViewContext
) {
    let box = context.glyphs.box
    let plotX = area.x + axisWidth + 1
    let plotWidth = area.maxX - plotX
    guard plotWidth > 4 else { return }
    buffer.set(
        x: area.x + axisWidth, y: area.y,
        String(box.bottomLeft) + String(repeating: String(box.horizontal), count: plotWidth),
        style: context.style("muted"))
    let perColumn = context.graphSymbols == .braille ? 2 : 1
    let interval = max(0.1, Double(stats.info.options.pingMilliseconds) / 1000)
    let span = Double(plotWidth * perColumn) * interval
    let labelY = area.y + 1
    buffer.set(x: area.maxX - 3, y: labelY, "now", style: context.style("muted"))
    // A round step that gives about four labels.
    let steps: [Double] = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
    let step = steps.first { span / $0 <= 5 } ?? 3600
    let secondsPerColumn = Double(perColumn) * interval
    var rightEdgeOfPrevious = area.maxX - 4
    var k = 1
    while Double(k) * step < span {
        let label = "-" + relativeLabel(Double(k) * step)
        let labelWidth = TextWidth.width(of: label)
        let column =
            area.maxX - 1 - Int(saturating: (Double(k) * step / secondsPerColumn).rounded())
        let x = column - labelWidth / 2
        if x >= plotX, x + labelWidth < rightEdgeOfPrevious {
            buffer.set(x: x, y: labelY, label, style: context.style("muted"))
            rightEdgeOfPrevious = x - 1
        }
        k += 1
    }
}

/// `30s`, `90s`, `2m`, `7m30s`.
func relativeLabel(_ seconds: Double) -> String {
    let whole = Int(saturating: seconds.rounded())
    if whole < 120 { return "\(whole)s" }
    if whole % 60 == 0, whole < 3600 { return "\(whole / 60)m" }
    return DashboardFormat.duration(Double(whole))
}
