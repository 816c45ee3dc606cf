import ArgumentParser
import DnodeProtocol
import Foundation
import UpmonApp
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a watched session is shown: the dashboard, or a headless mode. Shared by `watch`,
/// `attach` and `tap`, which differ only in where their links come from.
struct OutputOptions: ParsableArguments {
    @Flag(
        help:
            "Print a report (a JSON snapshot with --json) once every link has settled (or --wait passed), then exit 0 if all are up."
    )
    var once = false
    @Flag(
        help: "Without --once: stream JSON Lines (the recording format) to stdout, no terminal UI.")
    var json = false
    @Flag(help: "With --json: include periodic snap lines.")
    var snaps = false
    @Option(
        help: "How long --once waits for links to settle (default: 5s).",
        transform: DurationArgument.parse)
    var wait: DurationArgument = DurationArgument(.seconds(5))
    @Option(help: "Serve Prometheus metrics at [HOST]:PORT/metrics (':9464' binds 127.0.0.1).")
    var metrics: String?

    @Option(
        help:
            "Record the session to FILE (JSON Lines, docs/RECORDING.md): with the dashboard, or alone when stdout is not a terminal.",
        completion: .file(extensions: ["upmon"]))
    var record: String?
    @Flag(help: "Overwrite an existing recording file.")
    var force = false

    @OptionGroup var display: DisplayOptions
    @Option(
        help: "Log file while the dashboard runs (default: $XDG_STATE_HOME/upmon/upmon.log).",
        completion: .file())
    var logFile: String?

    func validate() throws {
        if snaps && !json { throw ValidationError("--snaps goes with --json") }
    }

    /// Whether the session runs without the dashboard: `--json`, or `--record`/`--metrics`
    /// with stdout not a terminal (a service, a pipe).
    var isHeadless: Bool {
        json || ((record != nil || metrics != nil) && isatty(STDOUT_FILENO) == 0)
    }
}

/// What a command knows about its session beyond the links: its name, the config file's
/// settings, and what to stop when it ends.
struct SessionPlan {
    /// The session's name in the header and reports.
    var label: String
    /// Thresholds, theme, mouse and alerts (an empty config when there is no file).
    var config = UpmonConfig()
    /// Whether recordings and `--json` keep call arguments.
    var argsRecorded = false
    /// The config file SIGHUP and `:reload` read again; nil when there is none.
    var configPath: String?
    /// Runs once the session has ended, before the process exits.
    var cleanup: @Sendable () async -> Void = {}
}

/// Runs `session` as `output` asks (report, headless stream, recording, metrics, or the
/// dashboard) and exits the process with that mode's status.
func runSession(_ session: LiveSession, output: OutputOptions, plan: SessionPlan) async -> Never {
    let snapshot = StateSnapshot(MonitorState(connections: session.infos))
    let metricsServer = await startMetricsServer(output.metrics, snapshot: snapshot)
    if output.once {
        let (text, code) = await Headless.once(
            session: session, wait: output.wait.duration, configName: plan.label,
            json: output.json)
        // For people: UTF-8 text as it is, not \u escapes (the file format stays ASCII).
        StandardOutput.write(
            output.json ? JSONPrinter.readable(Array(text.utf8)) : Array(text.utf8))
        await plan.cleanup()
        Platform.exit(code)
    }
    let startedMilliseconds = SystemFacts.epochMilliseconds()
    let header = SystemFacts.header(
        connections: session.infos, thresholds: plan.config.thresholds,
        argsRecorded: plan.argsRecorded, epochMilliseconds: startedMilliseconds)
    if output.isHeadless {
        let alerts = HeadlessAlerts(
            settings: plan.config.alerts, wallClockAtZero: Double(startedMilliseconds) / 1000)
        let stop = signalStream()
        // SIGHUP re-reads the config file, as exporters do (docs/ARCHITECTURE.md, "Configuration").
        let reloader = Headless.reloadOnSignal(
            session: session, configPath: plan.configPath, signals: signalStream([SIGHUP]))
        var code: Int32 = 0
        if output.json {
            await Headless.stream(
                session: session, header: header, snaps: output.snaps, snapshot: snapshot,
                stop: stop, alerts: alerts
            ) { StandardOutput.write(JSONPrinter.readable($0)) }
        } else if let record = output.record {
            do {
                try await Headless.record(
                    session: session, path: record, header: header, overwrite: output.force,
                    stop: stop, alerts: alerts)
            } catch {
                FileHandle.standardError.write(Data("upmon: \(error.description)\n".utf8))
                code = error.exitCode
            }
        } else {
            await Headless.serveMetricsOnly(
                session: session, snapshot: snapshot, stop: stop, alerts: alerts)
        }
        reloader.cancel()
        await metricsServer?.close()
        await plan.cleanup()
        Platform.exit(code)
    }
    let display = output.display
    var options = DashboardOptions(
        sessionLabel: plan.label, thresholds: plan.config.thresholds,
        theme: display.theme ?? plan.config.theme, themesDir: display.themesDir,
        color: display.color, ascii: display.ascii, logFile: output.logFile,
        recordPath: output.record, overwriteRecording: output.force, header: header,
        mouse: !display.noMouse && plan.config.mouse != false)
    options.configPath = plan.configPath
    options.alerts = plan.config.alerts
    let code = await Dashboard.runLive(
        session: session, options: options, snapshot: output.metrics == nil ? nil : snapshot)
    await metricsServer?.close()
    await plan.cleanup()
    Platform.exit(code)
}
