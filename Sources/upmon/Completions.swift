import ArgumentParser

/// The command tree that completion scripts describe: upmon's, with the options of the
/// default command (`watch`) offered at the top level too, where people type them
/// (`upmon --theme <Tab>`). The parser's own scripts offer only subcommands there.
struct CompletionShape: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upmon", version: Upmon.configuration.version,
        subcommands: Upmon.configuration.subcommands)

    // Watch's options without its connections: a repeated operand at the top level would
    // swallow the subcommand names in the scripts.
    @OptionGroup var connectionOptions: ConnectionOptions
    @OptionGroup var linkOptions: LinkOptions
    @OptionGroup var watch: WatchOptions

    /// The script for `--generate-completion-script SHELL`; nil for a shell the parser lacks.
    static func script(arguments: [String]) -> String? {
        guard arguments.count == 2, arguments[0] == "--generate-completion-script",
            let shell = CompletionShell(rawValue: arguments[1])
        else { return nil }
        return completionScript(for: shell)
    }
}
