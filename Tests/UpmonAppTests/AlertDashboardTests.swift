import DnodeProtocol
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

/// The fixture session with alerting on (and, when given, an `on_alert` command).
private func alertingModel(hook: String? = nil, bell: AlertSettings.Bell = .once) -> AppModel {
    var model = Fixture.model()
    var settings = AlertSettings()
    settings.onAlert = hook
    settings.bell = bell
    model.alerting = Alerting(settings: settings, wallClockAtZero: Fixture.wallClockAtZero)
    return model
}

private func alertEvents(_ effects: [Effect]) -> [MonitorEvent] {
    effects.compactMap { effect in
        if case .recordEvent(let event) = effect, case .alert = event.kind { return event }
        return nil
    }
}

@Suite("Alerts in the dashboard")
struct AlertDashboardTests {
    @Test("off by default: ticks evaluate nothing")
    func offByDefault() {
        var model = Fixture.model()
        let effects = update(&model, .tick(now: Fixture.now))
        #expect(model.monitor.alerts.isEmpty)
        #expect(!effects.contains(.ringBell))
    }

    @Test("a tick fires the alerts due: applied, logged, bell once, title set")
    func fires() {
        var model = alertingModel()
        let effects = update(&model, .tick(now: Fixture.now))
        let firing = model.monitor.alerts.firing
        // `refused` never came up in 12 minutes; its queue has waited since.
        #expect(firing.map(\.rule).contains("down"))
        #expect(firing.contains { $0.conn == Fixture.id("refused") && $0.rule == "down" })
        #expect(effects.filter { $0 == .ringBell }.count == 1)
        let title = effects.compactMap { if case .setTitle(let text) = $0 { text } else { nil } }
        #expect(title.count == 1)
        #expect(title.first?.hasPrefix("upmon: \(firing.count) alert") == true)
        #expect(title.first?.hasSuffix("— refused down") == true)
        #expect(model.monitor.log.elements.last?.kind == "alert")
        // The next tick within the interval, and later ticks with nothing new, say nothing.
        #expect(update(&model, .tick(now: Fixture.now + 0.1)).isEmpty)
        #expect(!update(&model, .tick(now: Fixture.now + 1)).contains(.ringBell))
    }

    @Test("bell = off rings nothing; the title still follows")
    func bellOff() {
        var model = alertingModel(bell: .off)
        let effects = update(&model, .tick(now: Fixture.now))
        #expect(!effects.contains(.ringBell))
        #expect(effects.contains { if case .setTitle(.some) = $0 { true } else { false } })
    }

    @Test("resolving the last alert gives the title back")
    func titleRestored() {
        var model = Fixture.model()
        var settings = AlertSettings()
        settings.policy = AlertPolicy(rules: .none)
        settings.policy.rules.down = AlertRule(threshold: 10)
        model.alerting = Alerting(settings: settings)
        _ = update(&model, .tick(now: Fixture.now))
        let refused = Fixture.id("refused")
        _ = update(
            &model,
            .monitor(
                MonitorEvent(
                    t: Fixture.now + 1, conn: refused,
                    kind: .state(
                        from: .connecting, to: .up, reason: "ready", detail: nil, phase: nil))))
        // `flappy` (retrying for a second) is not down long enough; `refused` is up now.
        let effects = update(&model, .tick(now: Fixture.now + 2))
        #expect(model.monitor.alerts.firing.isEmpty)
        #expect(effects.contains(.setTitle(nil)))
    }

    @Test("alert events are recorded while recording, with t on the file's axis")
    func recorded() {
        var model = alertingModel()
        model.recording = RecordingStatus(path: "a.upmon", startedT: 700)
        let effects = update(&model, .tick(now: Fixture.now))
        let recorded = alertEvents(effects)
        #expect(!recorded.isEmpty)
        #expect(recorded.allSatisfy { $0.t == Fixture.now - 700 })
    }

    @Test("on_alert: one run per firing alert with the alert in UPMON_* variables")
    func hookRequest() throws {
        var model = alertingModel(hook: "notify")
        let effects = update(&model, .tick(now: Fixture.now))
        let requests = effects.compactMap { if case .runAlertHook(let r) = $0 { r } else { nil } }
        #expect(requests.count == model.monitor.alerts.firing.count)
        let down = try #require(requests.first { $0.environment["UPMON_CONN"] == "refused" })
        #expect(down.command == "notify")
        #expect(down.timeout == 10)
        #expect(down.environment["UPMON_ALERT"] == "down")
        #expect(down.environment["UPMON_STATE"] == "firing")
        #expect(down.environment["UPMON_CONN_ID"] == Fixture.id("refused").rawValue)
        #expect(down.environment["UPMON_ENDPOINT"] == "tcp://127.0.0.1:40133")
        #expect(down.environment["UPMON_THRESHOLD"] == "10")
        #expect(down.environment["UPMON_UNIT"] == "s")
        #expect(down.environment["UPMON_SINCE"]?.hasPrefix("2026-11-27T13:51:2") == true)
        #expect(
            down.environment["UPMON_MESSAGE"]?.hasPrefix("refused alert firing: down 12m") == true)
        #expect(down.label == "refused down firing")
    }

    @Test("the hook gate: per alert interval, global limit, resolutions only after a run")
    func gate() {
        var gate = AlertHookGate(minInterval: 60, maxPerMinute: 2)
        #expect(
            gate.admit(conn: "c1", rule: "down", state: .firing, now: 0) == .run(skippedBefore: 0))
        #expect(
            gate.admit(conn: "c1", rule: "down", state: .resolved, now: 1) == .run(skippedBefore: 0)
        )
        // Again within a minute: skipped, and so is its resolution.
        #expect(gate.admit(conn: "c1", rule: "down", state: .firing, now: 2) == .skip(first: true))
        #expect(gate.admit(conn: "c1", rule: "down", state: .resolved, now: 3) == .silent)
        #expect(
            gate.admit(conn: "c2", rule: "down", state: .firing, now: 4) == .run(skippedBefore: 1))
        // Two runs in the last minute: the global limit.
        #expect(gate.admit(conn: "c3", rule: "down", state: .firing, now: 5) == .skip(first: true))
        #expect(gate.admit(conn: "c4", rule: "down", state: .firing, now: 6) == .skip(first: false))
        #expect(
            gate.admit(conn: "c3", rule: "down", state: .firing, now: 61) == .run(skippedBefore: 2))
        #expect(
            gate.admit(conn: "c2", rule: "down", state: .resolved, now: 62)
                == .run(skippedBefore: 0))
    }

    @Test(
        "a failed run is a warning in the event log (and the log file); a clean one only a log line"
    )
    func hookOutcome() {
        var model = alertingModel(hook: "false")
        let failed = AlertHookOutcome(
            label: "refused down firing", ending: .exited(3), output: "boom\nmore", outputBytes: 10)
        let effects = update(&model, .alertHookFinished(failed))
        let last = model.monitor.log.elements.last
        #expect(last?.level == .warning)
        #expect(
            last?.event == .note(text: "on_alert (refused down firing) exited with status 3: boom"))
        #expect(
            effects.contains(
                .writeLog("- warning: on_alert (refused down firing) exited with status 3: boom")))
        let clean = AlertHookOutcome(
            label: "x", ending: .exited(0), output: "", outputBytes: 0)
        #expect(update(&model, .alertHookFinished(clean)) == [.writeLog("on_alert (x) ok")])
        #expect(
            AlertHookOutcome(label: "x", ending: .timedOut, output: "", outputBytes: 0).failureText
                == "on_alert (x) timed out and was killed")
        #expect(
            AlertHookOutcome(
                label: "x", ending: .failedToStart("no such file"), output: "", outputBytes: 0
            )
            .failureText == "on_alert (x) could not start: no such file")
    }

    @Test("`a` opens the alert list, scrolls, and any other key closes it; replay has it too")
    func keys() {
        var model = alertingModel()
        _ = update(&model, .tick(now: Fixture.now))
        press(&model, .char("a"))
        #expect(model.ui.overlay == .alerts(scroll: 0))
        press(&model, .down(shift: false))
        #expect(model.ui.overlay == .alerts(scroll: min(1, alertRows(model.monitor).count - 1)))
        press(&model, .escape)
        #expect(model.ui.overlay == .none)
        var replay = replayModel()
        press(&replay, .char("a"))
        #expect(replay.ui.overlay == .alerts(scroll: 0))
    }

    @Test("header, footer hint and alert list at 120x35, 80x24 and in ASCII")
    func screens() {
        var model = alertingModel()
        _ = update(&model, .tick(now: Fixture.now))
        // One resolved alert too: `refused` came up for a moment.
        let main = screenText(Fixture.render(model))
        #expect(main.contains("alerts — refused down"))
        #expect(main.contains("aAlerts"))
        press(&model, .char("a"))
        assertSnapshot(screenText(Fixture.render(model)), named: "alerts-120x35")
        assertSnapshot(
            screenText(Fixture.render(model, width: 80, height: 24)), named: "alerts-80x24")
        let ascii = screenText(Fixture.render(model, glyphs: .ascii))
        #expect(ascii.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(ascii.contains("alerts - refused down"))
    }

    @Test("the alert list with nothing fired says so")
    func emptyList() {
        var model = Fixture.model()
        press(&model, .char("a"))
        #expect(screenText(Fixture.render(model)).contains("No alerts have fired."))
    }

    @Test("log wording of alert entries")
    func wording() {
        #expect(
            LogWording.text(.alert(rule: "down", state: .firing, value: 12.4, threshold: 10))
                == "alert firing: down 12s (limit 10s)")
        #expect(
            LogWording.text(.alert(rule: "p95", state: .resolved, value: 80.25, threshold: 500))
                == "alert resolved: p95 80.3ms")
        #expect(
            LogWording.text(.alert(rule: "loss", state: .firing, value: 7.5, threshold: 5))
                == "alert firing: loss 7.5% (limit 5%)")
        #expect(
            LogWording.text(.alert(rule: "flap", state: .firing, value: 3, threshold: 3))
                == "alert firing: flapping 3 drops (limit 3 drops)")
        #expect(
            LogWording.text(.alert(rule: "queue", state: .firing, value: 31, threshold: 30))
                == "alert firing: queue stuck 31s (limit 30s)")
        #expect(
            LogWording.text(.alert(rule: "jit\u{1B}ter", state: .firing, value: 1.5, threshold: 1))
                == "alert firing: jit\\x1bter 1.5 (limit 1)")
    }
}
