import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import Upnode
import UpnodeServe

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real binary, run from a scratch directory with a scratch HOME: nothing of the
/// repository (its `themes/`, a config) is in reach, as after an install. The scratch
/// directory goes when the run does.
final class InstalledRun {
    let directory: String
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    /// Starts `upmon arguments` in a new scratch directory (also its HOME), stdin on /dev/null.
    init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
        directory = NSTemporaryDirectory() + "upmon-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        stdoutPath = directory + "/.stdout"
        stderrPath = directory + "/.stderr"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: UpmonBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for name in ["UPMON_CONFIG", "UPMON_THEMES", "XDG_CONFIG_HOME", "XDG_STATE_HOME"] {
            environment[name] = nil
        }
        environment["HOME"] = directory
        environment["TERM"] = "xterm-256color"
        process.environment = environment.merging(extra) { _, new in new }
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    var stdout: String { Self.read(stdoutPath) }
    var stderr: String { Self.read(stderrPath) }

    static func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    /// Waits for the exit (at most 30 s, a hang guard) and returns the exit code.
    @discardableResult
    func exitCode() async -> Int32 {
        if !(await eventually(timeout: .seconds(30)) { !self.process.isRunning }) {
            Issue.record("upmon did not exit within 30 s")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs to the end: exit code, stdout, stderr.
    static func run(_ arguments: [String]) async throws -> (
        code: Int32, stdout: String, stderr: String
    ) {
        let run = try InstalledRun(arguments)
        let code = await run.exitCode()
        return (code, run.stdout, run.stderr)
    }
}

/// A port something listens on (an in-process upnode server with the `serve` methods).
func listeningServer() async throws -> (UpnodeServer, Int) {
    let server = try await UpnodeServer.listen(
        .tcp(host: "127.0.0.1", port: 0), methods: ServeMethods().factory)
    guard case .tcp(_, let port) = server.boundEndpoint else { throw CancellationError() }
    return (server, port)
}

@Suite(
    "The command line of the installed binary", .enabled(if: UpmonBinary.isAvailable),
    .timeLimit(.minutes(2)))
struct CommandLineProcessTests {
    @Test(
        "themes are built in: away from the repository --theme light works and all five are there")
    func builtinThemes() async throws {
        // No terminal here, so a theme that loads gets as far as the terminal (exit 3);
        // a theme that does not is a config error (exit 2) before that.
        for name in ["default", "light", "high-contrast", "monochrome", "solarized-dark"] {
            let run = try await InstalledRun.run(["--theme", name, "127.0.0.1:1"])
            #expect(run.code == 3, "--theme \(name): \(run.stderr)")
            #expect(!run.stderr.contains("theme"), "\(run.stderr)")
        }
        let missing = try await InstalledRun.run(["--theme", "nosuch", "127.0.0.1:1"])
        #expect(missing.code == 2)
        #expect(
            missing.stderr.contains(
                "have: default, light, high-contrast, monochrome, solarized-dark"),
            "\(missing.stderr)")
    }

    @Test("--version names the release and the commit of the checkout it was built from")
    func version() async throws {
        let run = try await InstalledRun.run(["--version"])
        #expect(run.code == 0)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", packageRoot.path, "rev-parse", "--short=7", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try git.run()
        let head = String(
            decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        git.waitUntilExit()
        let commit = git.terminationStatus == 0 && !head.isEmpty ? head : "unknown"
        #expect(run.stdout == "upmon 0.1.0 (commit \(commit))\n")
    }

    @Test("completion scripts generate for bash, zsh and fish, with subcommands and theme names")
    func completions() async throws {
        for shell in ["bash", "zsh", "fish"] {
            let run = try await InstalledRun.run(["--generate-completion-script", shell])
            #expect(run.code == 0, "\(shell): \(run.stderr)")
            for word in ["serve", "call", "record", "replay", "solarized-dark", "--theme", "never"]
            {
                #expect(
                    run.stdout.contains(
                        word.hasPrefix("--") && shell == "fish" ? "-l 'theme'" : word),
                    "\(shell) script lacks \(word)")
            }
            let checker: [String]? =
                switch shell {
                case "bash": ["bash", "-n"]
                case "zsh": ["zsh", "-n"]
                default: ["fish", "--no-execute"]
                }
            guard let checker, let shellPath = Self.which(checker[0]) else {
                // zsh and fish are checked where installed; bash always is.
                #expect(shell != "bash", "bash is not installed")
                continue
            }
            let script = NSTemporaryDirectory() + "upmon-completion-\(UUID().uuidString).\(shell)"
            try run.stdout.write(toFile: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: script) }
            let check = Process()
            check.executableURL = URL(fileURLWithPath: shellPath)
            check.arguments = Array(checker.dropFirst()) + [script]
            try check.run()
            check.waitUntilExit()
            #expect(
                check.terminationStatus == 0, "\(checker.joined(separator: " ")) \(shell) script")
        }
    }

    static func which(_ program: String) -> String? {
        for directory in ["/usr/bin", "/bin", "/usr/local/bin"]
        where FileManager.default.isExecutableFile(atPath: directory + "/" + program) {
            return directory + "/" + program
        }
        return nil
    }

    @Test("contrib/man/upmon.1 is in step with the binary: it has every long flag of every command")
    func manPage() async throws {
        let page = try String(
            contentsOf: packageRoot.appendingPathComponent("contrib/man/upmon.1"), encoding: .utf8)
        let run = try await InstalledRun.run(["--experimental-dump-help"])
        #expect(run.code == 0)
        let dump = try JSONValue(parsing: run.stdout)
        var flags: Set<String> = []
        func collect(_ command: JSONValue) {
            for argument in command["arguments"]?.arrayValue ?? []
            where argument["shouldDisplay"] != .bool(false) {
                for name in argument["names"]?.arrayValue ?? []
                where name["kind"]?.stringValue == "long" {
                    flags.insert(name["name"]?.stringValue ?? "")
                }
            }
            for subcommand in command["subcommands"]?.arrayValue ?? [] { collect(subcommand) }
        }
        collect(try #require(dump["command"]))
        #expect(flags.count > 20)
        for flag in flags.sorted() {
            // mdoc writes --flag as `Fl -flag`, or `Fl h , -help` after a short name.
            #expect(
                page.contains("Fl -\(flag)") || page.contains(" , -\(flag)"),
                "contrib/man/upmon.1 lacks --\(flag): regenerate it (README, Install)")
        }
        for command in ["watch", "serve", "call", "record", "replay"] {
            #expect(page.contains(command), "contrib/man/upmon.1 lacks \(command)")
        }
    }

    @Test("serve and --metrics on a busy port: what, where and what to do; exit 2, no usage text")
    func busyPort() async throws {
        let (server, port) = try await listeningServer()
        defer { Task { await server.close() } }
        let serve = try await InstalledRun.run(["serve", "--port", "\(port)"])
        #expect(serve.code == 2)
        #expect(serve.stderr.contains("port \(port) is already in use (127.0.0.1:\(port))"))
        #expect(serve.stderr.contains("pick another port with --port"), "\(serve.stderr)")
        #expect(!serve.stderr.contains("Usage"), "\(serve.stderr)")
        let metrics = try await InstalledRun.run([
            "--metrics", "127.0.0.1:\(port)", "--json", "127.0.0.1:1",
        ])
        #expect(metrics.code == 2)
        #expect(metrics.stderr.contains("port \(port) is already in use"), "\(metrics.stderr)")
        #expect(metrics.stderr.contains("give --metrics another port"), "\(metrics.stderr)")
        #expect(!metrics.stderr.contains("Usage"), "\(metrics.stderr)")
    }

    @Test("a typo gets a did-you-mean from the real flags and subcommands (exit 64)")
    func typos() async throws {
        let flag = try await InstalledRun.run(["--once", "--jsn", "127.0.0.1:7000"])
        #expect(flag.code == 64)
        #expect(flag.stderr == "upmon: unknown option '--jsn'; did you mean '--json'?\n")
        let command = try await InstalledRun.run(["cal", "127.0.0.1:7000", "add", "1", "2"])
        #expect(command.code == 64)
        #expect(command.stderr == "upmon: unknown command 'cal'; did you mean 'call'?\n")
        let sub = try await InstalledRun.run(["replay", "x.upmon", "--sped", "2"])
        #expect(sub.stderr == "upmon: unknown option '--sped'; did you mean '--speed'?\n")
    }

    @Test("--ping, --timeout and --reconnect set the links of command-line endpoints")
    func linkOptions() async throws {
        // --json: the header line carries each link's settings.
        let json = try InstalledRun([
            "--json", "--ping", "250ms", "--timeout", "2s", "--reconnect", "never", "127.0.0.1:1",
        ])
        #expect(await eventually(timeout: .seconds(30)) { json.stdout.contains("\n") }, "no header")
        kill(json.process.processIdentifier, SIGTERM)
        await json.exitCode()
        let header = try JSONValue(parsing: String(json.stdout.prefix { $0 != "\n" }))
        let options = header["connections"]?.arrayValue?.first?["options"]
        #expect(options?["ping_ms"] == .int(250))
        #expect(options?["timeout_ms"] == .int(2000))
        #expect(options?["reconnect"] == .string("never"))

        // record: the same settings in the file's header.
        let record = try InstalledRun(["record", "r.upmon", "--ping", "3s", "127.0.0.1:1"])
        let file = record.directory + "/r.upmon"
        #expect(await eventually(timeout: .seconds(30)) { InstalledRun.read(file).contains("\n") })
        kill(record.process.processIdentifier, SIGINT)
        await record.exitCode()
        let recorded = try JSONValue(
            parsing: String(InstalledRun.read(file).prefix { $0 != "\n" }))
        let recordedOptions = recorded["connections"]?.arrayValue?.first?["options"]
        #expect(recordedOptions?["ping_ms"] == .int(3000))
        #expect(recordedOptions?["reconnect"] == .string("fixed 1000ms"))
        withExtendedLifetime(record) {}

        // Bad values are named.
        let badPing = try await InstalledRun.run(["--once", "--json", "--ping", "soon", "x:1"])
        #expect(badPing.code == 64)
        #expect(badPing.stderr.contains("'soon' is not a duration"), "\(badPing.stderr)")
        let badReconnect = try await InstalledRun.run(["call", "--reconnect", "0", "x:1", "echo"])
        #expect(badReconnect.code == 64)
        #expect(badReconnect.stderr.contains("busy loop"), "\(badReconnect.stderr)")
    }

    @Test("JSON for people is UTF-8; the recording file stays ASCII")
    func readableJSON() async throws {
        let (server, port) = try await listeningServer()
        defer { Task { await server.close() } }
        let call = try await InstalledRun.run([
            "call", "127.0.0.1:\(port)", "echo", #""é€😀""#, #""\u001b""#,
        ])
        #expect(call.code == 0, "\(call.stderr)")
        #expect(call.stdout.contains(#""args":["é€😀","\u001b"]"#), "\(call.stdout)")

        let once = try await InstalledRun.run(["--once", "--json", "café=127.0.0.1:\(port)"])
        #expect(once.stdout.contains(#""name":"café""#), "\(once.stdout)")

        let record = try InstalledRun(["record", "r.upmon", "café=127.0.0.1:\(port)"])
        let file = record.directory + "/r.upmon"
        #expect(await eventually(timeout: .seconds(30)) { InstalledRun.read(file).contains("\n") })
        kill(record.process.processIdentifier, SIGINT)
        await record.exitCode()
        #expect(InstalledRun.read(file).contains(#""name":"caf\u00e9""#))
        let replay = try await InstalledRun.run(["replay", "--json", file])
        #expect(replay.code == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains(#""name":"café""#), "\(replay.stdout.prefix(300))")
        withExtendedLifetime(record) {}
    }
}
