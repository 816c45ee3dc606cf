import UpnodeMonitor

// Links joining and leaving a live dashboard: `:connect`, `:disconnect`, `:reload` and
// SIGHUP (docs/ARCHITECTURE.md, "Configuration"). `update` decides and hands out ids; the
// runtime starts and closes clients; the monitor state changes when their `link_added` and
// `link_removed` events arrive, so recordings and `--json` carry the same changes.

/// `:connect NAME=ENDPOINT [key=value …]`.
func connectCommand(_ model: inout AppModel, _ argument: String) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    let spec: ConnectionSpec
    do {
        spec = try ConnectCommand.parse(argument)
    } catch {
        model.ui.setStatus(error.description, isError: true)
        return []
    }
    if model.links.entry(named: spec.name) != nil
        || model.monitor.connections.contains(where: { $0.info.name == spec.name })
    {
        model.ui.setStatus(
            ":connect: a link named \(spec.name) is already running "
                + "(:disconnect \(spec.name) first, or pick another name)", isError: true)
        return []
    }
    model.links.skipIDs(in: model.monitor)
    let entry = model.links.add(spec)
    let text = "connecting \(spec.name) (\(spec.endpoint.description)) as \(entry.id)"
    model.ui.setStatus(text)
    return [.addLink(entry.id, spec), .writeLog(":connect: \(text)")]
}

/// `:disconnect NAME`; `:disconnect! NAME` also when transactions wait in its queue (they
/// fail with `closed`, which the log and the recording show).
func disconnectCommand(_ model: inout AppModel, _ argument: String, force: Bool) -> [Effect] {
    guard !model.isReplay else { return refuseReadOnly(&model) }
    guard !argument.isEmpty else {
        model.ui.setStatus("usage: :disconnect NAME", isError: true)
        return []
    }
    guard let id = connection(named: argument, in: model.monitor), let stats = model.monitor[id]
    else {
        model.ui.setStatus("no connection named \(argument)", isError: true)
        return []
    }
    let name = stats.info.name
    let queued = stats.queue.depth
    let waiting = model.calls.filter { call in
        call.conn == id && (call.status == .queued || call.status == .waiting)
    }.count
    let pending = queued + waiting
    if pending > 0, !force {
        model.ui.setStatus(
            "\(name) has \(transactions(pending)) waiting; "
                + ":disconnect! \(name) drops the link and they fail (closed)", isError: true)
        return []
    }
    model.links.remove(id)
    let failing = pending > 0 ? ": \(transactions(pending)) fail (closed)" : ""
    let text = "disconnecting \(name)\(failing)"
    model.ui.setStatus(text)
    return [.removeLink(id, reason: LinkRemovalReason.disconnected), .writeLog(text)]
}

private func transactions(_ count: Int) -> String {
    "\(count) transaction\(count == 1 ? "" : "s")"
}

/// `:reload` or SIGHUP: read the config file again (live only).
func requestReload(_ model: inout AppModel, by trigger: String) -> [Effect] {
    guard !model.isReplay else {
        model.ui.setStatus("\(trigger): a replay has no config to reload", isError: true)
        return []
    }
    return [.reloadConfig]
}

/// The file read again: file links that are unchanged keep their id and statistics, changed
/// ones leave and join again (fresh statistics; the selection and pins follow), new ones
/// join, removed ones leave. Thresholds follow the file too.
func applyReload(_ model: inout AppModel, _ config: UpmonConfig, path: String) -> [Effect] {
    guard !model.isReplay else { return [] }
    model.links.skipIDs(in: model.monitor)
    let plan = model.links.reload(config.connections)
    model.thresholds = config.thresholds
    for change in plan.changed {
        if model.ui.selected == change.old.id { model.ui.selected = change.new.id }
        model.ui.pinned = model.ui.pinned.map { $0 == change.old.id ? change.new.id : $0 }
    }
    let file = path.split(separator: "/").last.map(String.init) ?? path
    let text = "reloaded \(file): \(plan.summary)"
    model.ui.setStatus(text)
    let actions: [Effect] = plan.actions.map { action in
        switch action {
        case .add(let id, let spec): .addLink(id, spec)
        case .remove(let id, let reason): .removeLink(id, reason: reason)
        }
    }
    return actions + [.writeLog(text)]
}

/// A reload that could not read or parse the file: the running links stay as they are.
func reloadFailed(_ model: inout AppModel, _ message: String) -> [Effect] {
    model.ui.setStatus("reload failed, links unchanged: \(message)", isError: true)
    return [.writeLog("reload failed, links unchanged: \(message)")]
}

/// A link that left no longer holds pins or the connection view.
func forgetDepartedLink(_ model: inout AppModel, _ event: MonitorEvent) {
    guard case .linkRemoved = event.kind, let id = event.conn else { return }
    model.ui.pinned.removeAll { $0 == id }
    if model.ui.overlay == .connectionView(id) { model.ui.overlay = .none }
    if model.ui.selected == id { model.ui.selected = nil }
    model.links.remove(id)
}
