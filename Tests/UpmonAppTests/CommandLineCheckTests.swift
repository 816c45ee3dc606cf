import Testing

@testable import UpmonApp

@Suite("Command-line check: unknown options and mistyped commands")
struct CommandLineCheckTests {
    /// A tree shaped like upmon's: a default `watch` and a `call` with its own options.
    let tree = CommandTree(
        name: "upmon", options: [:],
        subcommands: [
            CommandTree(
                name: "watch", options: ["once": false, "json": false, "theme": true, "ping": true]),
            CommandTree(name: "call", options: ["timeout": true, "strict-json": false]),
            CommandTree(name: "serve", options: ["port": true]),
        ],
        defaultSubcommand: "watch")

    func problem(_ arguments: [String]) -> String? {
        CommandLineCheck.problem(in: arguments, tree: tree) { $0.contains(":") }
    }

    @Test("a typo next to a good flag names itself and the nearest flag")
    func optionTypo() {
        #expect(
            problem(["--once", "--jsn", "127.0.0.1:7000"])
                == "unknown option '--jsn'; did you mean '--json'?")
        #expect(
            problem(["call", "127.0.0.1:7000", "add", "--timout", "1s"])
                == "unknown option '--timout'; did you mean '--timeout'?")
        #expect(
            problem(["serve", "--prot=7000"]) == "unknown option '--prot'; did you mean '--port'?")
    }

    @Test("an unknown option far from every flag is still named, with where to look")
    func optionUnknown() {
        #expect(
            problem(["call", "x:1", "m", "--frobnicate"])
                == "unknown option '--frobnicate' (upmon call --help lists them)")
        #expect(problem(["--bogus"]) == "unknown option '--bogus' (upmon watch --help lists them)")
    }

    @Test("a word close to a subcommand that is no operand suggests the subcommand")
    func commandTypo() {
        #expect(
            problem(["cal", "127.0.0.1:7000", "add", "1", "2"])
                == "unknown command 'cal'; did you mean 'call'?")
        #expect(problem(["--once", "serv"]) == "unknown command 'serv'; did you mean 'serve'?")
    }

    @Test("good command lines, operands, values and the parser's own flags pass")
    func goodLines() {
        #expect(problem([]) == nil)
        #expect(problem(["--once", "--json", "127.0.0.1:7000"]) == nil)
        #expect(problem(["--theme", "--jsn", "127.0.0.1:7000"]) == nil)  // a value, not a flag
        #expect(problem(["--theme=light", "call:1"]) == nil)  // an operand, not a typo of call
        #expect(problem(["call", "127.0.0.1:7000", "add", "-1", "cal"]) == nil)
        #expect(problem(["call", "--help"]) == nil)
        #expect(problem(["--version"]) == nil)
        #expect(problem(["--generate-completion-script", "bash"]) == nil)
        #expect(problem(["help", "--whatever"]) == nil)
        #expect(problem(["serve", "--", "--not-a-flag"]) == nil)
        #expect(problem(["xyzzy"]) == nil)  // far from every command: the operand's own error
    }

    @Test("the tree is read from argument-parser's help dump")
    func fromDumpHelp() throws {
        let dump = """
            {"serializationVersion":0,"command":{"commandName":"upmon","defaultSubcommand":"watch",
            "subcommands":[{"commandName":"watch","arguments":[
            {"kind":"flag","names":[{"kind":"long","name":"json"}]},
            {"kind":"option","names":[{"kind":"short","name":"t"},{"kind":"long","name":"theme"}]},
            {"kind":"positional"}]}]}}
            """
        let parsed = try #require(CommandTree(dumpHelp: dump))
        #expect(parsed.defaultSubcommand == "watch")
        #expect(parsed.subcommands.map(\.name) == ["watch"])
        #expect(parsed.subcommands.first?.options == ["json": false, "theme": true])
        #expect(CommandTree(dumpHelp: "not json") == nil)
    }
}
