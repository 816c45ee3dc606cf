import DnodeProtocol
import TerminalUI

/// The commands and long options of a command-line tool, as its argument parser knows them.
///
/// Built from the parser's own description of the tree (`--experimental-dump-help` JSON), so
/// the suggestions below always offer the real flags and subcommands.
public struct CommandTree: Sendable, Hashable {
    /// The command's name (`upmon`, `call`).
    public var name: String
    /// Long option names without `--`, each with whether it takes a value.
    public var options: [String: Bool]
    /// The subcommands.
    public var subcommands: [CommandTree]
    /// The subcommand that runs when none is named.
    public var defaultSubcommand: String?

    /// Creates a tree from its parts.
    public init(
        name: String, options: [String: Bool], subcommands: [CommandTree] = [],
        defaultSubcommand: String? = nil
    ) {
        self.name = name
        self.options = options
        self.subcommands = subcommands
        self.defaultSubcommand = defaultSubcommand
    }

    /// The tree in swift-argument-parser's help dump (`{"command": {…}}`); nil when it is not one.
    public init?(dumpHelp text: String) {
        guard let root = try? JSONValue(parsing: text), let command = root["command"],
            let tree = Self(command: command)
        else { return nil }
        self = tree
    }

    init?(command: JSONValue) {
        guard let name = command["commandName"]?.stringValue else { return nil }
        var options: [String: Bool] = [:]
        for argument in command["arguments"]?.arrayValue ?? [] {
            let takesValue = argument["kind"]?.stringValue == "option"
            for entry in argument["names"]?.arrayValue ?? []
            where entry["kind"]?.stringValue == "long" {
                if let long = entry["name"]?.stringValue { options[long] = takesValue }
            }
        }
        self.init(
            name: name, options: options,
            subcommands: (command["subcommands"]?.arrayValue ?? []).compactMap(Self.init(command:)),
            defaultSubcommand: command["defaultSubcommand"]?.stringValue)
    }

    func subcommand(named name: String?) -> CommandTree? {
        subcommands.first { $0.name == name }
    }
}

/// Finds a mistyped long option or command before the parser sees the command line.
///
/// The parser validates the options it knows before it reports one it does not, so
/// `upmon --once --jsn` would say "--once needs --json"; and a word that is no command is
/// taken as a connection (`'cal' has no port`). This check names the typo and the nearest
/// real flag or command instead.
public enum CommandLineCheck {
    /// Options the parser adds to every command.
    static let parserOptions: [String: Bool] = [
        "help": false, "version": false, "generate-completion-script": true,
        "experimental-dump-help": false,
    ]

    /// The first unknown long option, or an operand that is no valid operand (`isOperand`) but
    /// close to a subcommand's name, as a message; nil when the parser should take the line.
    public static func problem(
        in arguments: [String], tree: CommandTree, isOperand: (String) -> Bool
    ) -> String? {
        // The parser's completion callback (`---completion`) has a syntax of its own.
        if arguments.first == "---completion" { return nil }
        var command = tree
        var path = [tree.name]
        var operandSeen = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { return nil }
            var known = parserOptions.merging(command.options) { _, own in own }
            var helpPath = path
            // Before any operand, the default subcommand's options count too (it takes them).
            if !operandSeen, let fallback = command.subcommand(named: command.defaultSubcommand) {
                known.merge(fallback.options) { own, _ in own }
                helpPath.append(fallback.name)
            }
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2).prefix { $0 != "=" })
                if let takesValue = known[name] {
                    if takesValue && !argument.contains("=") { index += 1 }
                    continue
                }
                let shown = shownInMessage("--" + name)
                if let suggestion = nearest(name, among: Array(known.keys)) {
                    return "unknown option '\(shown)'; did you mean '--\(suggestion)'?"
                }
                return
                    "unknown option '\(shown)' (\(helpPath.joined(separator: " ")) --help lists them)"
            }
            // Short options (and negative numbers) are left to the parser.
            if argument.hasPrefix("-") && argument.count > 1 { continue }
            guard !operandSeen else { continue }
            if argument == "help" { return nil }
            if let next = command.subcommand(named: argument) {
                command = next
                path.append(next.name)
                continue
            }
            operandSeen = true
            guard !command.subcommands.isEmpty else { continue }
            if !isOperand(argument),
                let suggestion = nearest(argument, among: command.subcommands.map(\.name))
            {
                return
                    "unknown command '\(shownInMessage(argument))'; did you mean '\(suggestion)'?"
            }
            if let fallback = command.subcommand(named: command.defaultSubcommand) {
                command = fallback
                path.append(fallback.name)
            }
        }
        return nil
    }

    /// The candidate closest to `word` by edit distance, if close enough to be a typo of it.
    static func nearest(_ word: String, among candidates: [String]) -> String? {
        // A word far longer than any name is no typo of one (and the distance is O(n·m)).
        guard word.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(word, candidate)
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let limit = max(2, min(word.count, best.name.count) / 3)
        return best.distance <= limit && best.distance < word.count ? best.name : nil
    }
}
