import ArgumentParser
import DnodeProtocol
import Foundation
import Synchronization
import TerminalUI
import UpmonApp
import Upnode
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The default command: the dashboard, or a headless mode.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract:
            "Watch links: the live dashboard (default), or --once/--json/--metrics without a terminal."
    )

    @Argument(
        help: "Connections: host:port, name=host:port, tls://host:port, unix:/path, exec:cmd args.")
    var connections: [String] = []

    @OptionGroup var connectionOptions: ConnectionOptions
    @OptionGroup var linkOptions: LinkOptions
    @OptionGroup var flags: WatchOptions

    func run() async throws {
        var config = connectionOptions.loadOrExit(
            commandLine: connections, link: linkOptions.settings(pingTimeout: flags.timeout))
        var demoCluster: DemoCluster?
        if flags.demo {
            do {
                let cluster = try await DemoCluster.start(seed: flags.demoSeed)
                config.connections = cluster.connections + config.connections
                demoCluster = cluster
            } catch {
                exitWith("cannot start the demo servers: \(error)", code: 1)
            }
        }
        guard !config.connections.isEmpty else {
            if let path = connectionOptions.configPath(
                environment: ProcessInfo.processInfo.environment)
            {
                exitWith(
                    "nothing to watch: \(path) defines no connections (add a [name] section with an endpoint), "
                        + "and none were given on the command line", code: 64)
            }
            exitWith(
                "nothing to watch: give connections (host:port …), a config file (--config), or try --demo",
                code: 64)
        }
        let environment = ProcessInfo.processInfo.environment.merging(
            demoCluster?.environment ?? [:]
        ) { _, demo in demo }
        let taps = Tap.configured(config, options: connectionOptions)
        let session = LiveSession(
            specs: config.connections, recordsArguments: connectionOptions.recordArgs,
            environment: environment, pacing: config.connectPacing,
            extraLinks: taps.map(\.route.info))
        await Tap.start(taps, session: session)
        demoCluster?.startTraffic(session: session, seed: flags.demoSeed)
        let label =
            flags.demo
            ? "demo seed \(flags.demoSeed)"
            : (connectionOptions.config.map { ($0 as NSString).lastPathComponent } ?? "command line")

        let snapshot = StateSnapshot(MonitorState(connections: session.infos))
        let metricsServer = await startMetricsServer(flags.metrics, snapshot: snapshot)

        if flags.once {
            let (text, code) = await Headless.once(
                session: session, wait: flags.wait.duration, configName: label, json: flags.json)
            // For people: UTF-8 text as it is, not \u escapes (the file format stays ASCII).
            StandardOutput.write(
                flags.json ? JSONPrinter.readable(Array(text.utf8)) : Array(text.utf8))
            await demoCluster?.stop()
            Platform.exit(code)
        }
        let startedMilliseconds = SystemFacts.epochMilliseconds()
        let header = SystemFacts.header(
            connections: session.infos, thresholds: config.thresholds,
            argsRecorded: connectionOptions.recordArgs,
            epochMilliseconds: startedMilliseconds)
        let alerts = HeadlessAlerts(
            settings: config.alerts, wallClockAtZero: Double(startedMilliseconds) / 1000)
        let configPath = connectionOptions.configPath(
            environment: ProcessInfo.processInfo.environment)
        if flags.json
            || (flags.metrics != nil && !isatty(STDOUT_FILENO).asBool && flags.record == nil)
        {
            let stop = signalStream()
            // SIGHUP re-reads the config file, as exporters do (docs/ARCHITECTURE.md, "Configuration").
            let reloader = Headless.reloadOnSignal(
                session: session, configPath: configPath, signals: signalStream([SIGHUP]))
            defer { reloader.cancel() }
            if flags.json {
                await Headless.stream(
                    session: session, header: header, snaps: flags.snaps, snapshot: snapshot,
                    stop: stop, alerts: alerts
                ) { StandardOutput.write(JSONPrinter.readable($0)) }
            } else {
                await Headless.serveMetricsOnly(
                    session: session, snapshot: snapshot, stop: stop, alerts: alerts)
            }
            await metricsServer?.close()
            await demoCluster?.stop()
            return
        }
        var options = DashboardOptions(
            sessionLabel: label, thresholds: config.thresholds,
            theme: flags.display.theme ?? config.theme,
            themesDir: flags.display.themesDir,
            color: flags.display.color, ascii: flags.display.ascii, logFile: flags.logFile,
            recordPath: flags.record,
            overwriteRecording: flags.force,
            header: header, mouse: !flags.display.noMouse && config.mouse != false)
        options.configPath = configPath
        options.alerts = config.alerts
        let code = await Dashboard.runLive(
            session: session, options: options, snapshot: flags.metrics == nil ? nil : snapshot)
        await metricsServer?.close()
        await demoCluster?.stop()
        Platform.exit(code)
    }
}

/// Everything `watch` takes but its connections. A group of its own so the completion scripts
/// can offer these at the top level too (`CompletionShape`): `watch` is the default command.
struct WatchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Count a command-line endpoint down when a ping gets no answer this long; 0 waits forever (default: 5s).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var timeout: DurationArgument?

    @Flag(help: "Run embedded, flapping demo servers and watch them (no setup needed).")
    var demo = false
    @Option(help: "Seed for the demo's personalities (same seed, same behaviour).")
    var demoSeed: UInt64 = 7

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
        help: "Record the session to FILE (JSON Lines; the format is in docs/RECORDING.md).",
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
}

extension Int32 {
    var asBool: Bool { self != 0 }
}

/// Yields once per arrival of one of `signals` (by default SIGINT and SIGTERM, which stop;
/// SIGHUP reloads the config file).
func signalStream(_ signals: [Int32] = [SIGINT, SIGTERM]) -> AsyncStream<Void> {
    let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    let sources = Mutex(
        SignalWaiter.sources(for: signals) { continuation.yield() })
    continuation.onTermination = { _ in
        sources.withLock { sources in
            for source in sources { source.cancel() }
        }
    }
    return stream
}
