import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import UpnodeMonitor

@testable import UpmonApp

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon --json` against a real `upmon serve` that is killed and started again: the alert
/// fires and resolves in the JSON Lines, the hook runs with its variables, and the output
/// replays with the alerts.
@Suite(
    "Alerts without a terminal", .enabled(if: UpmonBinary.isAvailable), .timeLimit(.minutes(2)))
struct HeadlessAlertTests {
    @Test(
        "--json: a killed server fires the down alert, a restarted one resolves it; the hook ran twice"
    )
    func downFiresAndResolves() async throws {
        let directory = NSTemporaryDirectory() + "upmon-alerts-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/s.sock"
        let config = directory + "/upmon.conf"
        // The hook writes its UPMON_* variables to a file named by the state, renamed into
        // place so that the test never reads it half written.
        try """
        env | grep '^UPMON_' | sort > "\(directory)/tmp-$UPMON_STATE"
        mv "\(directory)/tmp-$UPMON_STATE" "\(directory)/hook-$UPMON_STATE.env"
        """.write(toFile: directory + "/hook.sh", atomically: true, encoding: .utf8)
        try """
        [alerts]
        down = 1s
        p95 = off
        loss = off
        queue = off
        flap = off
        on_alert = sh \(directory)/hook.sh
        hook_min_interval = 0s

        [api]
        endpoint = unix:\(socket)
        ping = 200ms
        timeout = 500ms
        reconnect = 200ms
        """.write(toFile: config, atomically: true, encoding: .utf8)

        var server = try ChildProcess(UpmonBinary.path, ["serve", "--unix", socket, "--quiet"])
        defer { server.terminate() }
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: socket)
            })
        let output = directory + "/out.jsonl"
        let watcher = try Spawn.start(
            UpmonBinary.path, ["--config", config, "--json"], stdoutPath: output,
            stderrPath: directory + "/err.txt")
        defer {
            kill(watcher, SIGKILL)
            var status: Int32 = 0
            waitpid(watcher, &status, 0)
        }
        func lines() -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
        }
        func alertLines(_ state: String) -> [String] {
            lines().filter {
                $0.contains(#""kind":"alert""#) && $0.contains(#""state":"\#(state)""#)
            }
        }
        #expect(
            await eventually(timeout: .seconds(30)) {
                lines().contains { $0.contains(#""kind":"ping""#) }
            },
            "never up: \(lines().suffix(5))")
        #expect(alertLines("firing").isEmpty)

        server.terminate()
        #expect(
            await eventually(timeout: .seconds(30)) { !alertLines("firing").isEmpty },
            "no alert after the server died: \(lines().suffix(5))")
        let firing = try #require(alertLines("firing").first)
        #expect(firing.contains(#""conn":"c1","rule":"down""#))
        #expect(firing.contains(#""threshold":1"#))

        unlink(socket)
        server = try ChildProcess(UpmonBinary.path, ["serve", "--unix", socket, "--quiet"])
        #expect(
            await eventually(timeout: .seconds(30)) { !alertLines("resolved").isEmpty },
            "no resolution after the restart: \(lines().suffix(5))")
        #expect(
            await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: directory + "/hook-resolved.env")
            })
        let fired = try String(contentsOfFile: directory + "/hook-firing.env", encoding: .utf8)
        for expected in [
            "UPMON_ALERT=down", "UPMON_CONN=api", "UPMON_CONN_ID=c1", "UPMON_STATE=firing",
            "UPMON_THRESHOLD=1", "UPMON_UNIT=s", "UPMON_ENDPOINT=unix:\(socket)",
        ] {
            #expect(fired.contains(expected + "\n"), "\(expected) in\n\(fired)")
        }
        #expect(fired.contains("UPMON_SINCE=20"))
        let resolved = try String(
            contentsOfFile: directory + "/hook-resolved.env", encoding: .utf8)
        #expect(resolved.contains("UPMON_STATE=resolved\n"))

        // The output is a recording: a replay shows the alert that fired and resolved.
        kill(watcher, SIGTERM)
        #expect(
            await eventually(timeout: .seconds(30)) {
                lines().last?.contains(#""kind":"end""#) == true
            })
        let replayer = try Replayer(path: output)
        let end = replayer.state(at: replayer.lastT)
        #expect(end.alerts.firing.isEmpty)
        #expect(end.alerts.resolved.elements.map(\.rule) == ["down"])
        let errors = (try? String(contentsOfFile: directory + "/err.txt", encoding: .utf8)) ?? ""
        #expect(errors.isEmpty, "stderr: \(errors)")
    }

    @Test(
        "the hook runner: environment, /dev/null stdin, capped output, exit codes, signals, timeout"
    )
    func runner() throws {
        func run(_ command: String, timeout: Double = 10) -> AlertHookOutcome {
            AlertHookRunner.runBlocking(
                AlertHookRequest(
                    command: command, environment: ["UPMON_ALERT": "down"], timeout: timeout,
                    label: "t"))
        }
        let ok = run(#"printf '%s' "$UPMON_ALERT"; cat"#)
        #expect(ok.ending == .exited(0))
        #expect(ok.output == "down")
        #expect(run("exit 3").ending == .exited(3))
        #expect(run("kill -TERM $$").ending == .signaled(SIGTERM))
        // A flood: all of it read, a little kept.
        let flood = run("head -c 3000000 /dev/zero | tr '\\0' x")
        #expect(flood.ending == .exited(0))
        #expect(flood.outputBytes == 3_000_000)
        #expect(flood.output.utf8.count == AlertHookRunner.keptOutputBytes)
        // A hang: killed with its children (the sleep would otherwise keep the pipe open).
        let hang = run("echo started; sleep 600", timeout: 0.5)
        #expect(hang.ending == .timedOut)
        #expect(hang.output == "started\n")
        #expect(hang.failureText == "on_alert (t) timed out and was killed: started")
    }
}
