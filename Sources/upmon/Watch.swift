import ArgumentParser
import Foundation
import Synchronization
import UpmonApp

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
        let plan = SessionPlan(
            label: label, config: config, argsRecorded: connectionOptions.recordArgs,
            configPath: connectionOptions.configPath(
                environment: ProcessInfo.processInfo.environment),
            cleanup: { [demoCluster] in await demoCluster?.stop() })
        await runSession(session, output: flags.output, plan: plan)
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

    @OptionGroup var output: OutputOptions
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
