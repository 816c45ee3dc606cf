import DnodeProtocol
import TerminalUI
import UpnodeMonitor

@testable import UpmonApp

/// A session like the one docs/ARCHITECTURE.md, "Screens and keys" describes: seven links at t = 724 s (12m04s).
enum Fixture {
    static let now = 724.0
    /// 2026-11-27 13:51:23 UTC, so the header clock reads 14:03:27 at `now`.
    static let wallClockAtZero = 1_795_787_483.0

    static let infos: [ConnectionInfo] = [
        info(1, "api", "tcp://127.0.0.1:40113"),
        info(2, "auth", "tcp://127.0.0.1:40117"),
        info(3, "flappy", "tcp://127.0.0.1:40121"),
        info(4, "local", "unix:/tmp/upmon-demo/sockets/local.sock"),
        info(5, "lossy", "tcp://127.0.0.1:40125"),
        info(6, "refused", "tcp://127.0.0.1:40133"),
        info(7, "slow", "tcp://127.0.0.1:40129"),
    ]

    static func info(_ n: Int, _ name: String, _ endpoint: String) -> ConnectionInfo {
        ConnectionInfo(
            id: ConnectionID(index: n - 1), name: name, endpoint: endpoint,
            options: ConnectionOptions(
                pingMilliseconds: 1000, timeoutMilliseconds: 800, reconnect: "fixed 1000ms"))
    }

    static func id(_ name: String) -> ConnectionID {
        infos.first { $0.name == name }?.id ?? ConnectionID("missing")
    }

    /// A small deterministic generator (no randomness in tests).
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(UInt64(1) << 53)
        }
    }

    static let methods = ["add", "countdown", "echo", "fail", "status", "time", "upnode.ping"]

    /// Every event of the session, in time order.
    static func events() -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        var noise = Noise(state: 7)
        func add(_ t: Double, _ name: String?, _ kind: MonitorEvent.Kind) {
            events.append(MonitorEvent(t: t, conn: name.map(id), kind: kind))
        }
        func up(_ t: Double, _ name: String, reason: String = LinkReasonName.ready) {
            add(
                t, name,
                .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial))
            add(
                t + 0.02, name,
                .state(from: .connecting, to: .up, reason: reason, detail: nil, phase: nil))
            add(t + 0.03, name, .remoteMethods(methods))
        }
        up(0, "api")
        up(0, "local")
        up(0.5, "slow")
        up(0, "flappy")
        // auth: up, dropped once, back up 3m51s before now.
        up(0, "auth", reason: LinkReasonName.authOK)
        add(
            490, "auth",
            .state(from: .up, to: .down, reason: "remote_closed", detail: nil, phase: nil))
        add(490.01, "auth", .reconnect(attempt: 1, delayMs: 1000))
        add(
            490.01, "auth",
            .state(
                from: .down, to: .reconnecting, reason: "retry_scheduled", detail: nil, phase: nil))
        add(
            491, "auth",
            .state(from: .reconnecting, to: .connecting, reason: "retry", detail: nil, phase: .auth)
        )
        add(
            493, "auth",
            .state(
                from: .connecting, to: .up, reason: LinkReasonName.authOK, detail: nil, phase: nil))
        // lossy: up 8m10s before now.
        up(234, "lossy")
        // refused: dialing forever.
        add(
            0, "refused",
            .state(from: .idle, to: .connecting, reason: "start", detail: nil, phase: .dial))
        add(
            683, "refused",
            .queue(depth: 4, oldestMs: 0, enqueued: 4, flushed: 0, expired: 0, failed: 0))

        for second in 1...723 {
            let t = Double(second)
            func jitter(_ base: Double, _ spread: Double) -> Double {
                ((base + (noise.next() - 0.5) * spread * 2) * 1000).rounded() / 1000
            }
            add(t + 0.1, "api", .ping(rttMs: second == 650 ? 41 : jitter(12.4, 2.5)))
            add(t + 0.2, "local", .ping(rttMs: jitter(1.5, 0.6)))
            if second > 1 {
                add(t + 0.3, "slow", .ping(rttMs: jitter(240, 60) + (second % 37 == 0 ? 130 : 0)))
            }
            if second < 490 || second > 494 {
                add(t + 0.4, "auth", .ping(rttMs: jitter(2.4, 0.6)))
            }
            if second > 234 {
                if second % 11 == 0 {
                    add(t + 0.5, "lossy", .pingTimeout(afterMs: 800, consecutive: 1))
                } else {
                    add(t + 0.5, "lossy", .ping(rttMs: jitter(5.8, 1.2)))
                }
            }
            if second < 721 {
                add(t + 0.6, "flappy", .ping(rttMs: jitter(3.1, 0.8)))
            }
            if second % 7 == 0 {
                add(
                    t + 0.7, "refused",
                    .state(
                        from: .connecting, to: .down, reason: "refused",
                        detail: "connection refused", phase: nil))
                add(t + 0.71, "refused", .reconnect(attempt: min(6, second / 7), delayMs: 6600))
                add(
                    t + 0.72, "refused",
                    .state(
                        from: .down, to: .reconnecting, reason: "retry_scheduled", detail: nil,
                        phase: nil))
                add(
                    t + 1.0, "refused",
                    .state(
                        from: .reconnecting, to: .connecting, reason: "retry", detail: nil,
                        phase: .dial))
            }
        }
        add(
            700.5, "api",
            .call(id: "m1", method: "status", origin: .manual, args: [], redacted: true))
        add(
            700.514, "api",
            .result(id: "m1", n: 1, ok: true, durMs: 13.9, payload: nil, redacted: true))
        add(705, nil, .mark(label: "before deploy"))
        add(721.6, "flappy", .pingTimeout(afterMs: 800, consecutive: 1))
        add(
            722.4, "flappy",
            .state(
                from: .up, to: .down, reason: "ping_timeout", detail: "no ping reply within 800 ms",
                phase: nil))
        add(722.41, "flappy", .reconnect(attempt: 1, delayMs: 1000))
        add(
            722.41, "flappy",
            .state(
                from: .down, to: .reconnecting, reason: "retry_scheduled", detail: nil, phase: nil))
        add(
            723.0, "flappy",
            .queue(depth: 2, oldestMs: 400, enqueued: 5, flushed: 3, expired: 0, failed: 0))
        return events.sorted { $0.t < $1.t }
    }

    /// The monitor state after every event.
    static func monitor() -> MonitorState {
        var state = MonitorState(connections: infos)
        for event in events() { state.apply(event) }
        return state
    }

    /// A live model at `now`, sorted by name, `api` selected.
    static func model(mode: AppModel.Mode = .live) -> AppModel {
        var model = AppModel(
            monitor: monitor(), mode: mode, sessionLabel: "demo seed 7",
            wallClockAtZero: wallClockAtZero)
        model.ui.now = now
        model.ui.themeNames = ["default", "light", "solarized"]
        return model
    }

    /// Renders `model` at `now` with the default theme.
    static func render(
        _ model: AppModel, width: Int = 120, height: Int = 35, glyphs: Glyphs = .unicode,
        theme: ResolvedTheme = Themes.plain
    ) -> Buffer {
        view(model, now: now, width: width, height: height, theme: theme, glyphs: glyphs)
    }
}
