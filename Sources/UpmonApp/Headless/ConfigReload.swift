import UpnodeMonitor

extension Headless {
    /// Re-reads the config file at `configPath` each time `signals` yields (SIGHUP) and applies
    /// it to `session` as the dashboard's `:reload` does: unchanged file links keep their id
    /// and statistics, changed ones leave and join again, new ones join, removed ones leave;
    /// links from the command line stay. The outcome is a `note` in the feed, so `--json` and
    /// recordings carry it; a bad file changes nothing.
    public static func reloadOnSignal(
        session: LiveSession, configPath: String?, signals: AsyncStream<Void>
    ) -> Task<Void, Never> {
        let feed = session.feed
        return Task {
            var registry = LinkRegistry(specs: session.specs)
            // New links never take the id of a row that is not a link (a tap's).
            registry.skipIDs(in: MonitorState(connections: session.infos))
            for await _ in signals {
                guard let configPath else {
                    feed.emit(
                        .note(
                            level: .error,
                            text: "SIGHUP: no config file to reload (started without --config)"),
                        conn: nil)
                    continue
                }
                let config: UpmonConfig
                do {
                    config = try UpmonConfig.load(path: configPath)
                } catch {
                    feed.emit(
                        .note(
                            level: .error, text: "config reload failed, links unchanged: \(error)"),
                        conn: nil)
                    continue
                }
                let plan = registry.reload(config.connections)
                for action in plan.actions {
                    switch action {
                    case .add(let id, let spec): session.add(spec, as: id)
                    case .remove(let id, let reason): await session.remove(id, reason: reason)
                    }
                }
                feed.emit(.note(level: .info, text: "config reloaded: \(plan.summary)"), conn: nil)
            }
        }
    }
}
