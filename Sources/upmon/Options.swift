import ArgumentParser
import Foundation
import TerminalUI
import UpmonApp
import Upnode

/// How to find the connections to watch (shared by every subcommand that connects).
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Config file (default: $UPMON_CONFIG, then $XDG_CONFIG_HOME/upmon/upmon.conf).",
        completion: .file(extensions: ["conf"]))
    var config: String?

    @Flag(
        help:
            "Keep call arguments and results in recordings and --json (default: only their shape).")
    var recordArgs = false

    /// The config file to read: explicit, from the environment, or the default path if it exists.
    func configPath(environment: [String: String]) -> String? {
        if let config { return config }
        if let path = environment["UPMON_CONFIG"], !path.isEmpty { return path }
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].map { $0 + "/.config" } ?? "")
        let path = base + "/upmon/upmon.conf"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Loads the config (if any) and adds command-line connections with `link` applied to them;
    /// a bad file or connection ends the process with its `file:line` message and exit code 2
    /// (docs/ARCHITECTURE.md, "Runtime, signals and shutdown").
    func loadOrExit(commandLine: [String], link: LinkSettings = LinkSettings()) -> UpmonConfig {
        let environment = ProcessInfo.processInfo.environment
        var config = UpmonConfig()
        if let path = configPath(environment: environment) {
            do {
                config = try UpmonConfig.load(path: path)
            } catch {
                exitWith(error.description, code: 2)
            }
        }
        for text in commandLine {
            do {
                var spec = try ConnectionSpec(commandLine: text)
                link.apply(to: &spec)
                config.connections.append(spec)
            } catch {
                exitWith(error.description, code: 2)
            }
        }
        return config
    }
}

/// Prints `message` to stderr and exits with `code` (only before or after curses owns the screen).
func exitWith(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data(("upmon: " + message + "\n").utf8))
    exit(code)
}

/// `10s`, `800ms`, `2m`, or seconds.
struct DurationArgument: ExpressibleByArgument {
    let duration: Duration
    init(_ duration: Duration) { self.duration = duration }
    var defaultValueDescription: String { duration.shortDescription }
    init?(argument: String) {
        guard
            let value = try? UpmonConfig.duration(
                argument, key: "duration", file: "command line", line: 0)
        else { return nil }
        duration = value
    }

    /// For `@Option(transform:)`: a bad value says why, not only that it is invalid.
    static func parse(_ argument: String) throws -> DurationArgument {
        do {
            return DurationArgument(
                try UpmonConfig.duration(argument, key: "duration", file: "command line", line: 0))
        } catch {
            throw ValidationError(
                "'\(argument)' is not a duration from 0 to 30 days (like 800ms, 5s, 2m)")
        }
    }
}

/// `--max-line`: `16MiB`, `512KiB`, `8M` or bytes, from 1KiB to 1GiB (as `max_line`).
struct ByteSizeArgument {
    let bytes: Int

    static func parse(_ argument: String) throws -> ByteSizeArgument {
        do {
            return ByteSizeArgument(
                bytes: try UpmonConfig.byteSize(
                    argument, key: "--max-line", file: "command line", line: 0))
        } catch {
            throw ValidationError(
                "'\(argument)' is not a size from 1KiB to 1GiB (like 16MiB, 512KiB or bytes)")
        }
    }
}

/// `--ping` and `--reconnect`: how links to endpoints given on the command line behave
/// (a config file's sections set their own with `ping` and `reconnect`).
struct LinkOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Ping command-line endpoints this often; 0 turns pings off (default: 10s).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var ping: DurationArgument?

    @Option(
        help: ArgumentHelp(
            "Reconnect command-line endpoints after this delay, or exponential, or never (default: 1s).",
            valueName: "delay|exponential|never"),
        completion: .list(["exponential", "never", "1s", "500ms"]),
        transform: ReconnectArgument.parse)
    var reconnect: ReconnectArgument?

    @Option(
        help: ArgumentHelp(
            "The longest line (one dnode message) accepted from command-line endpoints (default: 16MiB).",
            valueName: "size"),
        transform: ByteSizeArgument.parse)
    var maxLine: ByteSizeArgument?

    /// The settings, with `timeout` (the ping timeout) from the command's own `--timeout`.
    func settings(pingTimeout: DurationArgument? = nil) -> LinkSettings {
        LinkSettings(
            pingInterval: ping?.duration, pingTimeout: pingTimeout?.duration,
            reconnect: reconnect?.kind, maxLineBytes: maxLine?.bytes)
    }
}

/// Link settings given on the command line; nil keeps the default.
struct LinkSettings {
    var pingInterval: Duration?
    var pingTimeout: Duration?
    var reconnect: ReconnectPolicy.Kind?
    var maxLineBytes: Int?

    func apply(to spec: inout ConnectionSpec) {
        if let maxLineBytes { spec.link.maxLineBytes = maxLineBytes }
        if let pingInterval { spec.link.pingInterval = pingInterval }
        if let pingTimeout { spec.link.pingTimeout = pingTimeout }
        if let reconnect { spec.link.reconnect.kind = reconnect }
    }
}

/// `--reconnect`: a fixed delay (like `1s`), `exponential` (backoff with jitter) or `never`.
struct ReconnectArgument {
    let kind: ReconnectPolicy.Kind

    static func parse(_ argument: String) throws -> ReconnectArgument {
        switch argument {
        case "exponential": return ReconnectArgument(kind: ReconnectPolicy.exponential.kind)
        case "never": return ReconnectArgument(kind: .never)
        default:
            let delay: Duration
            do {
                delay = try DurationArgument.parse(argument).duration
            } catch {
                throw ValidationError(
                    "'\(argument)' is neither a delay up to 30 days (like 500ms, 2s) nor exponential or never"
                )
            }
            // A zero delay would redial a refusing server in a busy loop.
            guard delay > .zero else {
                throw ValidationError(
                    "a reconnect delay of 0 would redial in a busy loop; give one like 500ms")
            }
            return ReconnectArgument(kind: .fixed(delay))
        }
    }
}

/// How the dashboard looks: theme, colour depth, ASCII (live and replay alike).
struct DisplayOptions: ParsableArguments {
    static let colorDepths = ["truecolor", "256", "16", "never"]

    @Option(
        help: "Theme name or path to a .theme file.", completion: .list(ThemeSearchPath.shipped))
    var theme: String?
    @Option(help: "Directory to search for themes first.", completion: .directory)
    var themesDir: String?
    @Option(help: "Colour depth: truecolor, 256, 16 or never.", completion: .list(colorDepths))
    var color: String?
    @Flag(help: "Use ASCII symbols even in a UTF-8 locale.")
    var ascii = false
    @Flag(help: "Leave the mouse to the terminal (no clicks or wheel in the dashboard).")
    var noMouse = false

    func validate() throws {
        if let color, !Self.colorDepths.contains(color) {
            throw ValidationError("--color must be truecolor, 256, 16 or never")
        }
    }
}
