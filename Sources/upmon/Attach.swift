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

/// `upmon attach SOCKET…`: an app's own links, read from its monitor endpoint.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch an app's own links through its monitor endpoint (a unix socket).",
        discussion: """
            The app publishes its upnode clients with UpnodeMonitorEndpoint(path:). Give one \
            socket per app (unix:/path or a plain path); with several, rows are named app/link. \
            Calls, reconnect and hold are not available: the links belong to the app.
            """)

    @Argument(help: "The apps' monitor sockets: unix:/run/app/upmon.sock or a path.")
    var sockets: [String]

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
            "Record the session to FILE (with the dashboard, or alone when stdout is not a terminal).",
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

    func run() async throws {
        let attachment: AttachSession
        do {
            attachment = try await AttachSession.open(paths: sockets)
        } catch {
            exitWith(error.description, code: 1)
        }
        let session = LiveSession(attached: attachment)
        let label =
            sockets.count == 1
            ? "attach \(AttachSession.socketPath(sockets[0]))" : "attach \(sockets.count) apps"
        let thresholds = Thresholds()
        let snapshot = StateSnapshot(MonitorState(connections: session.infos))
        let metricsServer = await startMetricsServer(metrics, snapshot: snapshot)
        if once {
            let (text, code) = await Headless.once(
                session: session, wait: wait.duration, configName: label, json: json)
            StandardOutput.write(json ? JSONPrinter.readable(Array(text.utf8)) : Array(text.utf8))
            Platform.exit(code)
        }
        let header = SystemFacts.header(
            connections: session.infos, thresholds: thresholds, argsRecorded: false,
            epochMilliseconds: SystemFacts.epochMilliseconds())
        let isTerminal = isatty(STDOUT_FILENO) != 0
        if json || (!isTerminal && (record != nil || metrics != nil)) {
            let stop = signalStream()
            if json {
                await Headless.stream(
                    session: session, header: header, snaps: snaps, snapshot: snapshot, stop: stop
                ) { StandardOutput.write(JSONPrinter.readable($0)) }
            } else if let record {
                do {
                    try await Headless.record(
                        session: session, path: record, header: header, overwrite: force,
                        stop: stop)
                } catch {
                    exitWith(error.description, code: error.exitCode)
                }
            } else {
                await Headless.serveMetricsOnly(session: session, snapshot: snapshot, stop: stop)
            }
            await metricsServer?.close()
            return
        }
        let options = DashboardOptions(
            sessionLabel: label, thresholds: thresholds, theme: display.theme,
            themesDir: display.themesDir, color: display.color, ascii: display.ascii,
            logFile: logFile, recordPath: record, overwriteRecording: force, header: header)
        let code = await Dashboard.runLive(
            session: session, options: options, snapshot: metrics == nil ? nil : snapshot)
        await metricsServer?.close()
        Platform.exit(code)
    }
}
