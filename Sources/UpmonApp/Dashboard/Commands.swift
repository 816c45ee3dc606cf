import TerminalUI
import UpnodeMonitor

/// Command names of the `:` line (docs/ARCHITECTURE.md, "Command line"), for completion and help.
public let dashboardCommandNames = [
    "conn", "connect", "disconnect", "filter", "goto", "graph", "help", "hold", "mark", "q",
    "quit", "reconnect", "record", "release", "reload", "sort", "speed", "theme", "yaxis",
]

/// Runs one `:` command line (without the colon).
func runCommand(_ model: inout AppModel, _ line: String) -> [Effect] {
    let words = line.split(separator: " ").map(String.init)
    guard let name = words.first?.lowercased() else { return [] }
    let argument = words.dropFirst().joined(separator: " ")
    func fail(_ message: String) -> [Effect] {
        model.ui.setStatus(message, isError: true)
        return []
    }
    switch name {
    case "q", "quit", "q!":
        return name == "q!" ? quitNow(&model) : requestQuit(&model)
    case "help":
        model.ui.overlay = .help(scroll: 0)
        return []
    case "theme":
        guard !argument.isEmpty else { return fail("usage: :theme NAME") }
        if !model.ui.themeNames.isEmpty, !model.ui.themeNames.contains(argument) {
            return fail(
                "unknown theme \(argument) (have: \(model.ui.themeNames.joined(separator: ", ")))")
        }
        model.ui.activeTheme = argument
        model.ui.setStatus("theme: \(argument)")
        return [.setTheme(argument)]
    case "sort":
        guard words.count >= 2, let key = UIState.SortKey(rawValue: words[1].lowercased()) else {
            let keys = UIState.SortKey.allCases.map(\.rawValue).joined(separator: "|")
            return fail("usage: :sort \(keys) [asc|desc]")
        }
        model.ui.sortKey = key
        if words.count >= 3 {
            switch words[2].lowercased() {
            case "asc": model.ui.sortAscending = true
            case "desc": model.ui.sortAscending = false
            default: return fail("usage: :sort COLUMN [asc|desc]")
            }
        }
        model.ui.setStatus(
            "sort: \(key.rawValue) \(model.ui.sortAscending ? "ascending" : "descending")")
        return []
    case "filter":
        if let error = filterError(argument) { return fail(error) }
        model.ui.filterText = argument
        model.ui.setStatus(argument.isEmpty ? "filter cleared" : "filter: \(argument)")
        return []
    case "graph":
        guard let symbols = GraphSymbols(rawValue: argument.lowercased()) else {
            return fail("usage: :graph braille|block|ascii")
        }
        model.ui.graphSymbols = symbols
        model.ui.setStatus("graph: \(symbols.rawValue)")
        return []
    case "yaxis":
        return setYAxis(&model, argument) ?? fail("usage: :yaxis auto|MIN-MAX")
    case "conn":
        guard let id = connection(named: argument, in: model.monitor) else {
            return fail("no connection named \(argument)")
        }
        model.ui.selected = id
        // Make sure the filter does not hide what was asked for.
        if !ConnectionQuery.rows(model.displayedMonitor, ui: model.ui).contains(where: {
            model.displayedMonitor.connections[$0].id == id
        }) {
            model.ui.filterText = ""
        }
        return []
    case "reconnect", "hold", "release":
        guard !model.isReplay else { return refuseReadOnly(&model) }
        guard !model.linksAreAttached else { return refuseAttached(&model) }
        let targets: [ConnectionID]
        if argument.isEmpty {
            targets = currentSelection(model).map { [$0] } ?? []
        } else if argument == "all" {
            targets = model.monitor.connections.map(\.id)
        } else if let id = connection(named: argument, in: model.monitor) {
            targets = [id]
        } else {
            return fail("no connection named \(argument)")
        }
        model.ui.setStatus(
            "\(name) \(argument.isEmpty ? targets.map { linkName(model, $0) }.joined() : argument)")
        switch name {
        case "reconnect": return targets.map { .reconnect($0) }
        case "hold": return targets.map { .hold($0) }
        default: return targets.map { .release($0) }
        }
    case "record":
        return startRecording(&model, path: argument.isEmpty ? nil : argument, overwrite: false)
    case "mark":
        guard model.recording != nil, !model.isReplay else {
            return fail("marks are added while recording")
        }
        let label = argument.isEmpty ? "mark \((model.recording?.marks ?? 0) + 1)" : argument
        return [.addMark(label: label)]
    case "goto":
        return gotoCommand(&model, argument)
    case "speed":
        guard var replay = model.replayStatus else { return fail(":speed works in replay") }
        let text =
            argument.hasSuffix("x") || argument.hasSuffix("×")
            ? String(argument.dropLast()) : argument
        guard let speed = Double(text), speed > 0, speed <= 1000 else {
            return fail("usage: :speed N")
        }
        replay.speed = speed
        model.mode = .replay(replay)
        model.ui.setStatus("speed " + DashboardFormat.speed(speed))
        return []
    case "connect":
        return connectCommand(&model, argument)
    case "disconnect", "disconnect!":
        return disconnectCommand(&model, argument, force: name == "disconnect!")
    case "reload":
        return requestReload(&model, by: ":reload")
    default:
        return fail("unknown command: \(name)")
    }
}

private func setYAxis(_ model: inout AppModel, _ argument: String) -> [Effect]? {
    if argument == "auto" {
        model.ui.yAxis = .auto
        model.ui.setStatus("y axis: auto")
        return []
    }
    let bounds = argument.split(separator: "-").map { Double($0) }
    guard bounds.count == 2, let low = bounds[0], let high = bounds[1], high > low, low >= 0,
        high.isFinite
    else {
        return nil
    }
    model.ui.yAxis = .fixed(min: low, max: high)
    model.ui.fixedYMax = high
    func number(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int(value)) : DashboardFormat.ms(value)
    }
    model.ui.setStatus("y axis: \(number(low))-\(number(high)) ms")
    return []
}

/// The link with this name (exact first, then case-insensitive).
func connection(named name: String, in monitor: MonitorState) -> ConnectionID? {
    if let exact = monitor.connections.first(where: { $0.info.name == name }) { return exact.id }
    let lower = name.lowercased()
    return monitor.connections.first { $0.info.name.lowercased() == lower }?.id
}

/// Tab completion: command names, then connection, theme, graph or sort names.
func completeCommand(_ text: String, model: AppModel) -> String {
    let endsWithSpace = text.hasSuffix(" ")
    var words = text.split(separator: " ").map(String.init)
    if endsWithSpace || words.isEmpty { words.append("") }
    let candidates: [String]
    if words.count == 1 {
        candidates = dashboardCommandNames
    } else {
        switch words[0] {
        case "conn", "reconnect", "hold", "release", "disconnect", "disconnect!":
            candidates =
                model.monitor.connections.map(\.info.name)
                + (["conn", "disconnect", "disconnect!"].contains(words[0]) ? [] : ["all"])
        case "theme": candidates = model.ui.themeNames
        case "graph": candidates = GraphSymbols.allCases.map(\.rawValue)
        case "sort":
            candidates =
                words.count == 2 ? UIState.SortKey.allCases.map(\.rawValue) : ["asc", "desc"]
        case "yaxis": candidates = ["auto"]
        default: candidates = []
        }
    }
    let partial = words[words.count - 1]
    let matches = candidates.filter { $0.hasPrefix(partial) }
    guard let first = matches.first else { return text }
    var common = first
    for match in matches.dropFirst() {
        while !match.hasPrefix(common) { common.removeLast() }
    }
    words[words.count - 1] = common
    return words.joined(separator: " ") + (matches.count == 1 ? " " : "")
}
