import UpnodeMonitor

/// Carrying out `Effect`s: each touches one resource (the live session, the replayer, the
/// recording queue, the theme library, the log file, the renderer) and answers, where it
/// has something to say, with a `Msg`.
extension UpmonRuntime {
    func perform(_ effect: Effect) {
        switch effect {
        case .call(let id, let conn, let method, let args, let autoCallback, let waitMs):
            guard case .live(let session) = source else { return }
            let waitMilliseconds = Int(
                saturating: min(waitMs, UpmonConfig.maxDurationSeconds * 1000))
            session.call(
                id: id, conn: conn, method: method, args: args.arrayValue ?? [args],
                autoCallback: autoCallback, wait: .milliseconds(Int64(waitMilliseconds))
            ) { progress in
                Task { @MainActor [weak self] in
                    self?.dispatch(.callProgress(id: id, progress))
                    self?.draw(force: false)
                }
            }
        case .reconnect(let conn), .release(let conn):
            if case .live(let session) = source { session.reconnect(conn) }
        case .hold(let conn):
            if case .live(let session) = source { session.hold(conn) }
        case .startRecording, .recordEvent, .recordSnap, .finishRecording:
            for answer in recording.perform(effect) { dispatch(answer) }
        case .addMark(let label):
            // Straight back into update, so a quit in the same batch of keys finds it recorded.
            guard case .live(let session) = source else { return }
            let mark = MonitorEvent(t: session.feed.now(), conn: nil, kind: .mark(label: label))
            dispatch(.monitor(mark.roundedToRecordingPrecision()))
        case .setTheme(let name):
            loadTheme(name)
        case .seek, .step, .advanceReplay:
            guard var replayer else { return }
            let answer = replayer.perform(effect)
            self.replayer = replayer
            if let answer { dispatch(answer) }
        case .writeLog(let line):
            log?.write(line)
        case .redrawAll:
            renderer.invalidate()
        case .quit:
            leaveRunLoop()
        case .addLink(let id, let spec):
            if case .live(let session) = source { session.add(spec, as: id) }
        case .removeLink(let id, let reason):
            if case .live(let session) = source {
                Task { await session.remove(id, reason: reason) }
            }
        case .reloadConfig:
            reloadConfig()
        case .ringBell:
            terminal.ringBell()
        case .setTitle(let title):
            terminal.setTitle(title)
        case .runAlertHook(let request):
            log?.write("on_alert (\(request.label)): running")
            AlertHookRunner.run(request) { outcome in
                Task { @MainActor [weak self] in self?.dispatch(.alertHookFinished(outcome)) }
            }
        }
    }

    /// Reads the config file again; a failure is also noted in the event log (and so in a
    /// recording) while every running link stays as it is.
    func reloadConfig() {
        guard case .live(let session) = source else { return }
        guard let path = options.configPath else {
            dispatch(
                .configReloadFailed(
                    "no config file to read (upmon was started without --config or $UPMON_CONFIG)"
                ))
            return
        }
        do {
            dispatch(.configReloaded(try UpmonConfig.load(path: path), path: path))
        } catch {
            session.feed.emit(
                .note(level: .error, text: "config reload failed, links unchanged: \(error)"),
                conn: nil)
            // The status line is short: the file's name, not its whole path.
            let name = error.file.split(separator: "/").last.map(String.init) ?? error.file
            let shown = ConfigError(file: name, line: error.line, message: error.message)
            dispatch(.configReloadFailed(shown.description))
        }
    }

    /// Loads a theme file; the resolved theme is a drawing resource, its name goes to the model.
    func loadTheme(_ name: String) {
        do {
            let theme = try themes.load(name)
            resolvedTheme = theme.resolved(for: terminal.capabilities, monochrome: monochrome)
            dispatch(.themes(available: model.ui.themeNames, active: theme.name))
            dispatch(.status("theme: \(theme.name)", isError: false))
            renderer.invalidate()
        } catch {
            dispatch(.themeFailed(name: name, error: "\(error)"))
        }
    }
}
