import ArgumentParser
import Foundation
import UpmonApp
import Upnode

/// How to find the connections to watch (shared by every subcommand that connects).
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $UPMON_CONFIG, then $XDG_CONFIG_HOME/upmon/upmon.conf).")
    var config: String?

    @Flag(help: "Keep call arguments and results in recordings and --json (default: only their shape).")
    var recordArgs = false

    /// The config file to read: explicit, from the environment, or the default path if it exists.
    func configPath(environment: [String: String]) -> (path: String, isExplicit: Bool)? {
        if let config { return (config, true) }
        if let path = environment["UPMON_CONFIG"], !path.isEmpty { return (path, true) }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"].map { $0 + "/.config" } ?? "")
        let path = base + "/upmon/upmon.conf"
        return FileManager.default.fileExists(atPath: path) ? (path, false) : nil
    }

    /// Loads the config (if any) and adds command-line connections.
    func load(commandLine: [String]) throws -> UpmonConfig {
        let environment = ProcessInfo.processInfo.environment
        var config = UpmonConfig()
        if let (path, _) = configPath(environment: environment) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UsageFailure(message: "\(path): cannot read the config file (does it exist? is it readable?)", exitCode: 2)
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw UsageFailure(message: "\(path): the config file is not UTF-8 text", exitCode: 2)
            }
            do {
                config = try UpmonConfig.parse(text, file: path)
            } catch {
                throw UsageFailure(message: error.description, exitCode: 2)
            }
        }
        for text in commandLine {
            do {
                config.connections.append(try ConnectionSpec(commandLine: text))
            } catch {
                throw UsageFailure(message: error.description, exitCode: 2)
            }
        }
        return config
    }
}

/// A failure with a message for stderr and an exit code (ARCHITECTURE §8: 1 runtime, 2 files, 3 terminal).
struct UsageFailure: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    var description: String { message }
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
        guard let value = try? UpmonConfig.duration(argument, key: "duration", file: "command line", line: 0) else { return nil }
        duration = value
    }
}
