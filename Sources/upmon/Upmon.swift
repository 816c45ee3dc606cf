import ArgumentParser
import UpmonApp

@main
struct Upmon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upmon",
        abstract: "Watch upnode (dnode) links live, and talk to them.",
        discussion: """
            Connections: host:port, name=host:port, tls://host:port, unix:/path, exec:cmd args,
            or [name] sections in a config file (--config, $UPMON_CONFIG, ~/.config/upmon/upmon.conf).
            Try it with no setup: upmon --demo
            """,
        // The release (the one recordings carry) and the commit the binary was built from.
        version: "upmon \(SystemFacts.upmonVersion) (commit \(BuildInfo.commit))",
        subcommands: [
            Watch.self, Serve.self, Call.self, Record.self, Replay.self, Attach.self,
            Tap.self,
        ],
        defaultSubcommand: Watch.self
    )

    /// Completion scripts come from `CompletionShape`; a mistyped flag or command is named
    /// (with the nearest real one) before the parser runs; then the command runs as usual.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let script = CompletionShape.script(arguments: arguments) {
            print(script)
            return
        }
        if let tree = CommandTree(dumpHelp: _dumpHelp()),
            let problem = CommandLineCheck.problem(
                in: arguments, tree: tree,
                isOperand: { (try? ConnectionSpec(commandLine: $0)) != nil })
        {
            exitWith(problem, code: 64)
        }
        await main(nil)
    }
}
