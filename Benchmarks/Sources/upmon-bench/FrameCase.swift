import TerminalUI

/// A 200×60 dashboard-like frame; `tick` changes the clock, a few latency cells and a graph column.
func dashboardFrame(tick: Int) -> Buffer {
    var buffer = Buffer(width: 200, height: 60)
    let header = Style(fg: .ansi(15), bg: .ansi(4), attrs: .bold)
    buffer.fill(Rect(x: 0, y: 0, width: 200, height: 1), with: " ", style: header)
    buffer.set(x: 1, y: 0, "upmon  ·  50 links  ·  48 up  1 down  1 reconnecting", style: header)
    buffer.set(x: 180, y: 0, "22:51:\(10 + tick % 50)", style: header)
    let colours: [Style] = [Style(fg: .ansi(2)), Style(fg: .ansi(3)), Style(fg: .ansi(1)), .plain]
    for row in 0..<45 {
        let y = 2 + row
        let selected = row == 7
        let base = selected ? Style(attrs: .reverse) : .plain
        if selected { buffer.fill(Rect(x: 0, y: y, width: 130, height: 1), with: " ", style: base) }
        buffer.set(x: 1, y: y, "c\(row + 1)", style: base)
        buffer.set(x: 6, y: y, "service-\(row)", style: base)
        buffer.set(x: 24, y: y, "tcp://10.0.\(row / 10).\(row):7000", style: base)
        buffer.set(x: 52, y: y, "● up", style: colours[row % 4])
        let latency = Double((row * 37 + tick * (row % 3)) % 400) / 10
        buffer.set(x: 62, y: y, "\(latency) ms", style: colours[(row + tick) % 4])
        buffer.set(
            x: 76, y: y, "\(1000 + row * 3 + (row % 5 == 0 ? tick : 0)) ok  0 err", style: base)
        buffer.set(x: 100, y: y, "▁▂▃▅▇▆▅▃▂▁▂▃▅▇", style: Style(fg: .ansi(6)))
    }
    // latency graph column on the right
    for y in 2..<47 {
        let h = (y * 7 + tick) % 11
        buffer.set(x: 140 + (tick % 50), y: y, h > 5 ? "█" : "▄", style: Style(fg: .ansi(2)))
        buffer.set(x: 135, y: y, "│")
    }
    for y in 48..<59 {
        buffer.set(
            x: 1, y: y, "22:51:\(y) c\(y) ping 0.4 ms  → echo (direct)  ← echo ok 0.5 ms",
            style: Style(fg: .ansi(8)))
    }
    buffer.set(
        x: 1, y: 59, " q quit  / filter  c call  m mark  ? help ", style: Style(attrs: .reverse))
    return buffer
}

func frameCase() {
    print("frame — diff + write a 200×60 frame (TestBackend)")
    let frames = (0..<8).map { dashboardFrame(tick: $0) }
    let backend = TestBackend(width: 200, height: 60)
    var renderer = Renderer()
    renderer.render(frames[0], on: backend)
    var cells = 0
    var frameIndex = 1
    let diffRate = throughputSync(warmup: 200, minOps: 100, maxOps: 100_000) { n in
        for _ in 0..<n {
            cells &+= renderer.render(frames[frameIndex % frames.count], on: backend)
            frameIndex += 1
        }
    }
    let diffCells = renderer.render(frames[frameIndex % frames.count], on: backend)
    let fullRate = throughputSync(warmup: 50, minOps: 50, maxOps: 100_000) { n in
        for _ in 0..<n {
            renderer.invalidate()
            cells &+= renderer.render(frames[frameIndex % frames.count], on: backend)
            frameIndex += 1
        }
    }
    blackHole(cells)
    let composeRate = throughputSync(warmup: 50, minOps: 50, maxOps: 100_000) { n in
        for i in 0..<n { blackHole(dashboardFrame(tick: i).width) }
    }
    let diffMs = 1000 / diffRate
    let fullMs = 1000 / fullRate
    note(
        "a diff frame sends ~\(diffCells) of 12,000 cells; composing the test frame with Buffer.set takes \(fmt(1000 / composeRate, 3)) ms"
    )
    report(
        "frame", "diff + write, 200×60", value: "\(fmt(diffMs, 3)) ms",
        baseline: "\(fmt(fullMs, 3)) ms full redraw",
        ratio: "\(fmt(diffMs / fullMs, 2))×", target: "< 1 ms", pass: diffMs < 1)
}
