/// A problem in a theme file, naming the file and line (docs/THEMES.md, "Errors").
public struct ThemeError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong.
    public enum Problem: Sendable, Hashable {
        /// A role the schema does not know, with the closest known role if one is close.
        case unknownRole(String, suggestion: String?)
        /// A token that should be a colour and is not.
        case badColour(String)
        /// A token after the colours that is not an attribute.
        case badAttribute(String)
        /// A role or setting defined twice; `firstLine` is where it was first set.
        case alreadySet(String, firstLine: Int)
        /// An `inherits` chain that loops; the names from the first repeat to the end.
        case inheritanceCycle([String])
        /// An `inherits` parent that the loader could not find.
        case parentNotFound(String)
        /// A line that is not a comment, a setting or `role = value`.
        case syntax(String)
        /// A `graph =` value that is not a symbol set.
        case badGraph(String)
        /// `on` with no colour after it.
        case missingBackground
        /// A role or setting with nothing after `=`.
        case emptyValue(String)
        /// The file could not be used: missing, a directory, unreadable, binary (the reason).
        case unreadable(String)
        /// No theme of this name in any of the searched directories.
        case notFound(String, searched: [String])
    }

    /// The file's path as given to the parser.
    public let file: String
    /// The 1-based line number; 0 when the problem is the whole file.
    public let line: Int
    /// The problem.
    public let problem: Problem

    /// Creates an error.
    public init(file: String, line: Int, problem: Problem) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// `file:line: message`, e.g. `themes/x.theme:12: unknown role 'lnk_up'`.
    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }

    /// The message without the `file:line:` prefix.
    public var message: String {
        switch problem {
        case .unknownRole(let role, let suggestion):
            if let suggestion {
                return "unknown role '\(shownInMessage(role))' (did you mean '\(suggestion)'?)"
            }
            return "unknown role '\(shownInMessage(role))'"
        case .badColour(let token):
            return
                "bad colour '\(shownInMessage(token))' (want #rrggbb, 0-255, an ANSI name, or default)"
        case .badAttribute(let token):
            return
                "'\(shownInMessage(token))' is not an attribute (bold dim underline reverse italic)"
        case .alreadySet(let name, let firstLine):
            return "'\(name)' already set on line \(firstLine)"
        case .inheritanceCycle(let names):
            return "inherits " + names.map { "'\(shownInMessage($0))'" }.joined(separator: " → ")
                + ": cycle"
        case .parentNotFound(let name):
            return "inherits '\(shownInMessage(name))': no such theme"
        case .syntax(let text):
            return "expected 'role = value', got '\(shownInMessage(text))'"
        case .badGraph(let value):
            return "bad graph '\(shownInMessage(value))' (want braille, block or ascii)"
        case .missingBackground:
            return "'on' needs a colour after it"
        case .emptyValue(let name):
            return "'\(shownInMessage(name))' has no value"
        case .unreadable(let reason):
            return "theme file: \(reason)"
        case .notFound(let name, let searched):
            let places =
                searched.isEmpty
                ? ""
                : " (looked for \(shownInMessage(name)).theme in \(searched.joined(separator: ", ")))"
            return
                "no theme named '\(shownInMessage(name))'\(places); give a theme name or a path to a .theme file"
        }
    }
}
