import ArgumentParser

@main
struct Upmon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upmon",
        abstract: "Watch upnode (dnode) links live, and talk to them.",
        discussion: """
            upmon is a Swift implementation of Node's upnode (reconnecting dnode RPC with a
            heartbeat and a transactional queue) plus tools to watch and exercise links.
            """,
        version: "0.1.0",
        subcommands: [Serve.self]
    )
}
