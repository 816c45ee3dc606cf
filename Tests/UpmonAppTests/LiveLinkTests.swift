import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// `:connect`, `:disconnect`, `:reload` and SIGHUP, and what the dashboard does when links
/// join and leave.
@Suite("live link changes")
struct LiveLinkTests {
    func run(_ line: String, in model: inout AppModel) -> [Effect] {
        press(&model, .char(":"))
        type(&model, line)
        return press(&model, .enter)
    }

    /// A link as a config file section gives it.
    func spec(_ name: String, _ endpoint: String) throws(ConfigError) -> ConnectionSpec {
        try UpmonConfig.parse(
            "[\(name)]\nendpoint = \(endpoint)\nping = 1s\n", file: "test.conf"
        ).connections[0]
    }

    func config(_ text: String) throws(ConfigError) -> UpmonConfig {
        try UpmonConfig.parse(text, file: "upmon.conf")
    }

    // MARK: The diff

    @Test(
        "reload diff: unchanged links keep their id, changed ones get a new one, new join, removed leave"
    )
    func diff() throws {
        var registry = LinkRegistry(
            specs: [
                try spec("api", "127.0.0.1:7000"), try spec("db", "127.0.0.1:7001"),
                try spec("cache", "127.0.0.1:7002"),
            ])
        let cli = try ConnectionSpec(commandLine: "cli=127.0.0.1:7009")
        #expect(cli.origin == .commandLine)
        _ = registry.add(cli)
        let plan = registry.reload(
            try config(
                """
                [api]
                endpoint = 127.0.0.1:7000
                ping = 1s
                [db]
                endpoint = 127.0.0.1:7001
                ping = 2s
                [queue]
                endpoint = unix:/tmp/q.sock
                """
            ).connections)
        #expect(plan.unchanged.map(\.id) == ["c1"])
        #expect(plan.changed.map(\.old.id) == ["c2"])
        #expect(plan.changed.map(\.new.id) == ["c5"])
        #expect(plan.changed.first?.keys == ["ping"])
        #expect(plan.added.map(\.id) == ["c6"])
        #expect(plan.added.map(\.spec.name) == ["queue"])
        #expect(plan.removed.map(\.spec.name) == ["cache"])
        #expect(registry.entries.map(\.id) == ["c1", "c4", "c5", "c6"])
        #expect(registry["c4"]?.spec.name == "cli")  // not from the file: left alone
        #expect(
            plan.actions == [
                .remove("c3", reason: LinkRemovalReason.removedFromConfig),
                .remove("c2", reason: LinkRemovalReason.settingsChanged),
                .add("c5", plan.changed[0].new.spec),
                .add("c6", plan.added[0].spec),
            ])
        #expect(
            plan.summary == "1 added (queue), 1 removed (cache), 1 changed (db: ping), 1 unchanged")
        // The same file again changes nothing, and ids are never reused.
        let again = registry.reload(
            registry.entries.filter { $0.spec.origin == .configFile }.map(\.spec))
        #expect(again.actions.isEmpty)
        #expect(again.summary == "3 unchanged")
    }

    @Test("settings compare key by key, as the config file names them")
    func changedKeys() throws {
        let old = try config("[a]\nendpoint = 127.0.0.1:1\nmax_line = 1MiB\n").connections[0]
        let new = try config(
            "[a]\nendpoint = tls://127.0.0.1:1\nmax_line = 2MiB\nauth_method = login\n"
        ).connections[0]
        #expect(new.changedSettings(from: old) == ["endpoint", "tls", "max_line", "auth_method"])
        #expect(old.changedSettings(from: old).isEmpty)
    }

    // MARK: :connect parsing

    @Test("`:connect` takes every endpoint form and the config's link keys")
    func connectParsing() throws {
        let api = try ConnectCommand.parse(
            "api=127.0.0.1:7000 ping=2s timeout=500ms reconnect=never")
        #expect(api.name == "api")
        #expect("\(api.endpoint)" == "127.0.0.1:7000")
        #expect(api.link.pingInterval == .seconds(2))
        #expect(api.link.pingTimeout == .milliseconds(500))
        #expect("\(api.link.reconnect)" == "never")
        #expect(api.origin == .interactive)
        #expect("\(try ConnectCommand.parse("s=unix:/tmp/s.sock").endpoint)" == "unix:/tmp/s.sock")
        #expect(try ConnectCommand.parse("t=tls://example.com:443").tls != nil)
        #expect(
            "\(try ConnectCommand.parse("t=127.0.0.1:9 tls=on").endpoint)" == "tls://127.0.0.1:9")
        let exec = try ConnectCommand.parse("e=exec:upmon serve --stdio ping=1s")
        #expect("\(exec.endpoint)" == "exec:upmon serve --stdio")
        #expect(exec.link.pingInterval == .seconds(1))
        #expect(try ConnectCommand.parse("m=h:1 max_line=64KiB").link.maxLineBytes == 64 << 10)
    }

    @Test("`:connect` junk: each a clear message, with the config file's wording for values")
    func connectJunk() throws {
        func message(_ text: String) -> String {
            do {
                _ = try ConnectCommand.parse(text)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(message("") == ":connect: " + ConnectCommand.usage)
        #expect(message("=").hasPrefix(":connect: "))
        #expect(message("=") != "accepted")
        #expect(message("a=") != "accepted")
        #expect(
            message("127.0.0.1:7000")
                == ":connect: give the link a name: :connect NAME=127.0.0.1:7000")
        #expect(message("a=h:1 ping") == ":connect: expected key=value, got 'ping'")
        #expect(message("a=h:1 pingg=1s") == ":connect: unknown key 'pingg' (did you mean 'ping'?)")
        #expect(message("a=h:1 ping=1s ping=2s") == ":connect: 'ping' given twice")
        #expect(message("a=h:1 ping=") == ":connect: 'ping' has no value")
        #expect(message("a=h:1 endpoint=h:2").hasPrefix(":connect: unknown key 'endpoint'"))
        #expect(message("a=h:1 auth_args=env:X") == ":connect: auth_args needs auth_method")
        // Bad values read exactly as in the config file.
        for (key, value) in [
            ("ping", "soon"), ("max_line", "1e400"), ("reconnect_max", "-1"), ("tls", "maybe"),
        ] {
            var fileMessage = ""
            do {
                _ = try config("[a]\nendpoint = h:1\n\(key) = \(value)\n")
            } catch {
                fileMessage = error.message
            }
            #expect(message("a=h:1 \(key)=\(value)") == ":connect: " + fileMessage)
            #expect(!fileMessage.isEmpty)
        }
    }

    // MARK: Commands in update

    @Test("`:connect` hands out the next id and an addLink effect")
    func connectCommandEffect() throws {
        var model = Fixture.model()
        let effects = run("connect db=127.0.0.1:7100 ping=2s", in: &model)
        let expected = try ConnectCommand.parse("db=127.0.0.1:7100 ping=2s")
        #expect(effects.first == .addLink("c8", expected))
        #expect(model.ui.status?.text == "connecting db (127.0.0.1:7100) as c8")
        #expect(model.ui.status?.isError == false)
        // A second link with the same name waits for no event: the registry knows it.
        #expect(run("connect db=127.0.0.1:7101", in: &model).isEmpty)
        #expect(model.ui.status?.isError == true)
        #expect(run("connect db2=127.0.0.1:7101", in: &model).first?.isAddLink("c9") == true)
    }

    @Test("`:connect` junk, duplicates, `:disconnect nosuch`: an error status and no effect")
    func commandJunk() {
        var model = Fixture.model()
        let cases: [(String, String)] = [
            ("connect", ":connect: " + ConnectCommand.usage),
            ("connect =", ""),
            ("connect a=", ""),
            ("connect api=127.0.0.1:9", ":connect: a link named api is already running"),
            ("connect x=127.0.0.1:9 ping=fast", ":connect: ping: 'fast' is not a duration"),
            ("disconnect nosuch", "no connection named nosuch"),
            ("disconnect", "usage: :disconnect NAME"),
        ]
        for (line, prefix) in cases {
            let effects = run(line, in: &model)
            #expect(effects.isEmpty, "\(line)")
            #expect(model.ui.status?.isError == true, "\(line)")
            #expect(
                model.ui.status?.text.hasPrefix(prefix) == true,
                "\(line): \(model.ui.status?.text ?? "")")
            #expect(model.ui.overlay == .none)
        }
        #expect(model.monitor == Fixture.model().monitor)
    }

    @Test("`:disconnect` says what it drops; waiting transactions need `:disconnect!`")
    func disconnect() {
        var model = Fixture.model()
        #expect(
            run("disconnect api", in: &model) == [
                .removeLink(Fixture.id("api"), reason: "disconnected"),
                .writeLog("disconnecting api"),
            ])
        // refused has 4 queued transactions.
        #expect(run("disconnect refused", in: &model).isEmpty)
        #expect(
            model.ui.status?.text
                == "refused has 4 transactions waiting; :disconnect! refused drops the link and they fail (closed)"
        )
        let effects = run("disconnect! refused", in: &model)
        #expect(effects.first == .removeLink(Fixture.id("refused"), reason: "disconnected"))
        #expect(model.ui.status?.text == "disconnecting refused: 4 transactions fail (closed)")
    }

    @Test("`:reload` and SIGHUP ask the runtime to read the file; replay refuses")
    func reloadRequests() {
        var model = Fixture.model()
        #expect(run("reload", in: &model) == [.reloadConfig])
        #expect(update(&model, .reloadSignal) == [.reloadConfig])
        #expect(!model.isQuitting)
        var replay = replayModel()
        #expect(update(&replay, .reloadSignal).isEmpty)
        #expect(replay.ui.status?.text == "SIGHUP: a replay has no config to reload")
        #expect(run("connect a=h:1", in: &replay).isEmpty)
        #expect(run("disconnect api", in: &replay).isEmpty)
        #expect(replay.ui.status?.text == readOnlyMessage)
    }

    @Test("a reloaded file turns into link effects; selection and pins follow a changed link")
    func reloadApplied() throws {
        var model = Fixture.model()
        model.links = LinkRegistry(
            specs: try Fixture.infos.map { info in
                let endpoint = info.endpoint
                return try spec(
                    info.name,
                    endpoint.hasPrefix("tcp://") ? String(endpoint.dropFirst(6)) : endpoint)
            })
        model.ui.selected = Fixture.id("auth")
        model.ui.pinned = [Fixture.id("auth")]
        var file = UpmonConfig()
        file.thresholds.latencyWarnMs = 42
        file.connections = model.links.entries.map(\.spec).filter { $0.name != "slow" }
        file.connections[1].link.pingInterval = .seconds(3)  // auth
        file.connections.append(try spec("extra", "127.0.0.1:7200"))
        let effects = update(&model, .configReloaded(file, path: "/etc/upmon/upmon.conf"))
        #expect(
            effects == [
                .removeLink(Fixture.id("slow"), reason: "removed_from_config"),
                .removeLink(Fixture.id("auth"), reason: "settings_changed"),
                .addLink("c8", file.connections[1]),
                .addLink("c9", file.connections[6]),
                .writeLog(
                    "reloaded upmon.conf: 1 added (extra), 1 removed (slow), 1 changed (auth: ping), 5 unchanged"
                ),
            ])
        #expect(model.thresholds.latencyWarnMs == 42)
        #expect(model.ui.selected == "c8")
        #expect(model.ui.pinned == ["c8"])
        #expect(model.monitor == Fixture.model().monitor)  // changes arrive as events
    }

    @Test("a bad file leaves every link running and says why")
    func reloadFailure() {
        var model = Fixture.model()
        let effects = update(
            &model, .configReloadFailed("upmon.conf:3: ping: 'x' is not a duration"))
        #expect(
            effects == [
                .writeLog(
                    "reload failed, links unchanged: upmon.conf:3: ping: 'x' is not a duration")
            ])
        #expect(
            model.ui.status?.text
                == "reload failed, links unchanged: upmon.conf:3: ping: 'x' is not a duration")
        #expect(model.ui.status?.isError == true)
        #expect(model.monitor == Fixture.model().monitor)
    }

    @Test("completion offers running link names to `:disconnect`")
    func completion() {
        #expect(completeCommand("disc", model: Fixture.model()) == "disconnect ")
        #expect(completeCommand("disconnect fl", model: Fixture.model()) == "disconnect flappy ")
        #expect(completeCommand("rel", model: Fixture.model()) == "rel")  // release, reload
    }

    // MARK: Links joining and leaving the model

    @Test("a link that leaves takes its pins, selection and connection view with it")
    func leaving() {
        var model = Fixture.model()
        let slow = Fixture.id("slow")
        model.ui.selected = slow
        model.ui.pinned = [Fixture.id("api"), slow]
        model.ui.overlay = .connectionView(slow)
        model.ui.sortKey = .p95
        _ = update(
            &model,
            .monitor(MonitorEvent(t: 725, conn: slow, kind: .linkRemoved(reason: "disconnected"))))
        #expect(model.monitor[slow] == nil)
        #expect(model.ui.pinned == [Fixture.id("api")])
        #expect(model.ui.overlay == .none)
        #expect(currentSelection(model) != nil)
        press(&model, .down(shift: false), .char("s"), .char("*"))
        let screen = Fixture.render(model)
        let text = (0..<screen.height).map { row(screen, $0) }.joined(separator: "\n")
        #expect(!text.contains("40129"), "slow's row is gone:\n\(text)")
        #expect(text.contains("slow left (disconnected)"), "\(text)")
    }

    @Test("a link that joins shows up and is recorded like any event")
    func joining() {
        var model = Fixture.model()
        model.recording = RecordingStatus(path: "x.upmon", startedT: 700)
        let options = ConnectionOptions(
            pingMilliseconds: 1000, timeoutMilliseconds: 5000, reconnect: "fixed 1000ms")
        let event = MonitorEvent(
            t: 724, conn: "c8",
            kind: .linkAdded(name: "db", endpoint: "tcp://127.0.0.1:7100", options: options))
        let effects = update(&model, .monitor(event))
        #expect(effects == [.recordEvent(MonitorEvent(t: 24, conn: "c8", kind: event.kind))])
        #expect(model.monitor["c8"]?.info.name == "db")
        _ = update(&model, .key(.char(":")))
        type(&model, "conn db")
        press(&model, .enter)
        #expect(model.selectedName == "db")
    }
}

extension Effect {
    func isAddLink(_ id: ConnectionID) -> Bool {
        if case .addLink(id, _) = self { return true }
        return false
    }
}
