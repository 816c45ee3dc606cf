import ArgumentParser

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
        version: "0.1.0",
        subcommands: [Watch.self, Serve.self, Call.self, Record.self, Replay.self],
        defaultSubcommand: Watch.self
    )
}
