import ArgumentParser
import Foundation
import UpmonApp
import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon record FILE`: record without a UI until SIGINT/SIGTERM; SIGHUP reloads the config.
struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record links to a file without the dashboard (stop with Ctrl-C).")

    @Argument(help: "The recording to write (.upmon).", completion: .file(extensions: ["upmon"]))
    var file: String
    @Argument(
        help: "Connections: host:port, name=host:port, tls://host:port, unix:/path, exec:cmd args.")
    var connections: [String] = []
    @OptionGroup var connectionOptions: ConnectionOptions
    @OptionGroup var linkOptions: LinkOptions
    @Option(
        help: ArgumentHelp(
            "Count a command-line endpoint down when a ping gets no answer this long; 0 waits forever (default: 5s).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var timeout: DurationArgument?
    @Flag(help: "Overwrite an existing file.") var force = false

    func run() async throws {
        let config = connectionOptions.loadOrExit(
            commandLine: connections, link: linkOptions.settings(pingTimeout: timeout))
        guard !config.connections.isEmpty else {
            exitWith("nothing to record: give connections or a config file", code: 64)
        }
        let taps = Tap.configured(config, options: connectionOptions)
        let session = LiveSession(
            specs: config.connections, recordsArguments: connectionOptions.recordArgs,
            environment: ProcessInfo.processInfo.environment, pacing: config.connectPacing,
            extraLinks: taps.map(\.route.info))
        await Tap.start(taps, session: session)
        let startedMilliseconds = SystemFacts.epochMilliseconds()
        let header = SystemFacts.header(
            connections: session.infos, thresholds: config.thresholds,
            argsRecorded: connectionOptions.recordArgs,
            epochMilliseconds: startedMilliseconds)
        let alerts = HeadlessAlerts(
            settings: config.alerts, wallClockAtZero: Double(startedMilliseconds) / 1000)
        let file = self.file
        let reloader = Headless.reloadOnSignal(
            session: session,
            configPath: connectionOptions.configPath(
                environment: ProcessInfo.processInfo.environment),
            signals: signalStream([SIGHUP]))
        defer { reloader.cancel() }
        do {
            try await Headless.record(
                session: session, path: file, header: header, overwrite: force,
                stop: signalStream(), alerts: alerts
            ) {
                FileHandle.standardError.write(
                    Data("upmon: recording to \(file) (Ctrl-C stops)\n".utf8))
            }
        } catch {
            exitWith(error.description, code: error.exitCode)
        }
    }
}
