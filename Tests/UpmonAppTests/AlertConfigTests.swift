import Testing
import UpnodeMonitor

@testable import UpmonApp

@Suite("Config: [alerts] and per-link alert keys")
struct AlertConfigTests {
    @Test("no [alerts] section: the default rules, the bell once, no hook")
    func defaults() throws {
        let config = try UpmonConfig.parse("[api]\nendpoint = 127.0.0.1:7000", file: "c.conf")
        #expect(config.alerts == AlertSettings())
        #expect(config.alerts.policy.rules == AlertRules())
        #expect(config.alerts.bell == .once)
        #expect(config.alerts.hook == nil)
    }

    @Test("every key of [alerts], and overrides in link sections before and after it")
    func full() throws {
        let text = """
            [api]
            endpoint = 127.0.0.1:7000
            alert_down = 30s
            alert_p95 = off

            [alerts]
            down = 5s
            p95 = > 250ms for 1m
            loss = 2.5% for 10s
            queue = off
            flap = 4 in 2m
            bell = off
            hook_timeout = 3s
            on_alert = "printf '%s' \\"$UPMON_CONN\\" >> /tmp/alerts.log"
            hook_min_interval = 10s
            hook_max_per_minute = 5

            [batch]
            endpoint = 127.0.0.1:7001
            alerts = off
            alert_flap = 2
            """
        let config = try UpmonConfig.parse(text, file: "c.conf")
        let alerts = config.alerts
        #expect(config.connections.map(\.name) == ["api", "batch"])
        #expect(alerts.policy.rules.down == AlertRule(threshold: 5))
        #expect(alerts.policy.rules.p95 == AlertRule(threshold: 250, seconds: 60))
        #expect(alerts.policy.rules.loss == AlertRule(threshold: 2.5, seconds: 10))
        #expect(alerts.policy.rules.queue == nil)
        #expect(alerts.policy.rules.flap == AlertRule(threshold: 4, seconds: 120))
        #expect(alerts.bell == .off)
        #expect(alerts.hook?.command == #"printf '%s' "$UPMON_CONN" >> /tmp/alerts.log"#)
        #expect(alerts.hook?.timeout == 3)
        #expect(alerts.hook?.minInterval == 10)
        #expect(alerts.hook?.maxPerMinute == 5)
        let api = alerts.policy.rules(forLink: "api")
        #expect(api.down == AlertRule(threshold: 30))
        #expect(api.p95 == nil)
        #expect(api.loss == alerts.policy.rules.loss)
        let batch = alerts.policy.rules(forLink: "batch")
        #expect(batch.flap == AlertRule(threshold: 2, seconds: 60))
        #expect(batch.down == nil)
        #expect(batch.p95 == nil)
    }

    @Test("an unquoted on_alert is the rest of the line; limits default")
    func unquotedHook() throws {
        let config = try UpmonConfig.parse(
            "[alerts]\non_alert = notify-send upmon \"$UPMON_MESSAGE\"", file: "c.conf")
        #expect(config.alerts.hook?.command == #"notify-send upmon "$UPMON_MESSAGE""#)
        #expect(config.alerts.hook?.limits == AlertSettings.HookLimits())
    }

    @Test(
        "hostile and wrong values are clear errors with file and line",
        arguments: [
            (
                "[alerts]\np95 = > 1e400ms",
                "c.conf:2: p95: '1e400ms' is not a duration (like 800ms, 1s, 2m)"
            ),
            (
                "[alerts]\np95 = 500ms for -3s",
                "c.conf:2: p95 for: '-3s' is not a duration (like 800ms, 1s, 2m)"
            ),
            (
                "[alerts]\ndown = -3s",
                "c.conf:2: down: '-3s' is not a duration (like 800ms, 1s, 2m)"
            ),
            (
                "[alerts]\ndown = nan",
                "c.conf:2: down: 'nan' is not a duration (like 800ms, 1s, 2m)"
            ),
            ("[alerts]\nqueue = 1e9s", "c.conf:2: queue: '1e9s' is longer than 30 days"),
            (
                "[alerts]\np95 = 500",
                "c.conf:2: p95: '500' needs a unit (like 500ms for 30s, or off)"
            ),
            (
                "[alerts]\nloss = NaN%",
                "c.conf:2: loss: 'NaN%' is not a percentage from 0 to below 100 (like 5% for 30s, or off)"
            ),
            (
                "[alerts]\nloss = 100%",
                "c.conf:2: loss: '100%' is not a percentage from 0 to below 100 (like 5% for 30s, or off)"
            ),
            (
                "[alerts]\nflap = 99999999999999999999",
                "c.conf:2: flap: '99999999999999999999' is not a whole number of drops from 1 to 32 (like 3 in 60s, or off)"
            ),
            (
                "[alerts]\nflap = 3 in 0s",
                "c.conf:2: flap: '3 in 0s' has an empty window (like 3 in 60s, or off)"
            ),
            (
                "[alerts]\np95 = 500ms during 3s",
                "c.conf:2: p95: '500ms during 3s' is not a limit with an optional 'for' duration (like 500ms for 30s, or off)"
            ),
            ("[alerts]\nbell = twice", "c.conf:2: bell: 'twice' is not once or off"),
            ("[alerts]\non_alert = \"\"", "c.conf:2: on_alert: the command is empty"),
            (
                "[alerts]\non_alert = \"a\\u0000b\"",
                "c.conf:2: on_alert: the command contains a NUL character"
            ),
            ("[alerts]\nhook_timeout = 0s", "c.conf:2: hook_timeout: '0s' is not from 1ms to 1h"),
            ("[alerts]\nhook_timeout = 2h", "c.conf:2: hook_timeout: '2h' is not from 1ms to 1h"),
            (
                "[alerts]\nhook_max_per_minute = 1e12",
                "c.conf:2: hook_max_per_minute: '1e12' is not a whole number from 0 to 1000000000"
            ),
            (
                "[alerts]\nhook_max_per_minute = 0",
                "c.conf:2: hook_max_per_minute: '0' is not a whole number from 1 to 1000"
            ),
            (
                "[alerts]\ndwon = 5s",
                "c.conf:2: unknown key 'dwon' (did you mean 'down'?) in [alerts] (its keys: down, p95, loss, queue, flap, bell, on_alert, hook_timeout, hook_min_interval, hook_max_per_minute)"
            ),
            (
                "[alerts]\nendpoint = 127.0.0.1:7000",
                "c.conf:2: unknown key 'endpoint' in [alerts] (its keys: down, p95, loss, queue, flap, bell, on_alert, hook_timeout, hook_min_interval, hook_max_per_minute)"
            ),
            ("[alerts]\ndown = 5s\ndown = 6s", "c.conf:3: 'down' already set on line 2"),
            ("[alerts]\n[alerts]", "c.conf:2: [alerts] is defined twice"),
            (
                "[api]\nendpoint = 127.0.0.1:1\nalert_dwn = 5s",
                "c.conf:3: unknown key 'alert_dwn' (did you mean 'alert_down'?)"
            ),
            (
                "[api]\nendpoint = 127.0.0.1:1\nalerts = maybe",
                "c.conf:3: alerts: 'maybe' is not on or off"
            ),
            (
                "[api]\nendpoint = 127.0.0.1:1\nalert_loss = 5% for 1e400s",
                "c.conf:3: alert_loss for: '1e400s' is not a duration (like 800ms, 1s, 2m)"
            ),
        ])
    func errors(text: String, message: String) {
        #expect(throws: ConfigError.self) { try UpmonConfig.parse(text, file: "c.conf") }
        do {
            _ = try UpmonConfig.parse(text, file: "c.conf")
        } catch {
            #expect(error.description == message)
        }
    }
}
