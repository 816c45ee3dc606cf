import ArgumentParser
import Foundation
import UpmonApp
import Upnode

/// How to find the connections to watch (shared by every subcommand that connects).
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Config file (default: $UPMON_CONFIG, then $XDG_CONFIG_HOME/upmon/upmon.conf).")
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

    /// Loads the config (if any) and adds command-line connections; a bad file or connection
    /// ends the process with its `file:line` message and exit code 2 (docs/ARCHITECTURE.md, "Runtime, signals and shutdown").
    func loadOrExit(commandLine: [String]) -> UpmonConfig {
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
                config.connections.append(try ConnectionSpec(commandLine: text))
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
