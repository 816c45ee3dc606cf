/// A theme file's text and where it came from.
public struct ThemeSource: Sendable, Hashable {
    /// The path shown in error messages (e.g. `themes/ocean.theme`).
    public var path: String
    /// The file's contents.
    public var text: String
    /// Creates a source.
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// One theme file, parsed but with inheritance not yet applied.
public struct ThemeDefinition: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// The `inherits =` parent and its line, if the file names one.
    public var inherits: (name: String, line: Int)? {
        get { inheritsName.map { ($0, inheritsLine) } }
        set {
            inheritsName = newValue?.name
            inheritsLine = newValue?.line ?? 0
        }
    }
    /// `description =` text.
    public var description: String?
    /// `graph =` value.
    public var graph: GraphSymbols?
    /// The roles the file defines.
    public var roles: [String: RoleStyle]
    /// The line each role is defined on.
    public var roleLines: [String: Int]
    private var inheritsName: String?
    private var inheritsLine = 0

    /// Creates an empty definition.
    public init(path: String) {
        self.path = path
        self.roles = [:]
        self.roleLines = [:]
    }
}

/// Parses theme files (docs/THEMES.md, "Syntax") and resolves `inherits` chains.
public struct ThemeParser: Sendable {
    /// The roles a theme may define.
    public let schema: ThemeSchema

    /// Creates a parser for a schema.
    public init(schema: ThemeSchema) { self.schema = schema }

    /// The theme name for a path: the file name without directories and `.theme`.
    public static func themeName(forPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.hasSuffix(".theme") ? String(file.dropLast(6)) : file
    }

    /// Parses one file, without applying inheritance.
    public func parse(_ source: ThemeSource) throws(ThemeError) -> ThemeDefinition {
        var definition = ThemeDefinition(path: source.path)
        var settingLines: [String: Int] = [:]
        var text = Substring(source.text)
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let lineText = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            try parseLine(
                Array(lineText), number: lineNumber, into: &definition, settingLines: &settingLines)
        }
        return definition
    }

    /// Parses `source` and applies inheritance: the compiled-in default, then each
    /// ancestor from the root down, then the file itself.
    ///
    /// - Parameters:
    ///   - name: the theme's name (used for cycle detection).
    ///   - loader: finds a parent theme by name; returns nil when there is none. It is not
    ///     asked for `default`, which is always the compiled-in copy.
    public func load(
        name: String, source: ThemeSource, loader: (String) -> ThemeSource?
    ) throws(ThemeError) -> Theme {
        let definition = try parse(source)
        return try resolve(definition, name: name, loader: loader)
    }

    /// Applies inheritance to an already parsed file (see `load(name:source:loader:)`).
    public func resolve(
        _ definition: ThemeDefinition, name: String, loader: (String) -> ThemeSource?
    ) throws(ThemeError) -> Theme {
        var chain = [definition]
        var visited = [name]
        var current = definition
        while let parent = current.inherits, parent.name != "default" {
            if let start = visited.firstIndex(of: parent.name) {
                throw ThemeError(
                    file: current.path, line: parent.line,
                    problem: .inheritanceCycle(Array(visited[start...]) + [parent.name]))
            }
            guard let source = loader(parent.name) else {
                throw ThemeError(
                    file: current.path, line: parent.line,
                    problem: .parentNotFound(parent.name))
            }
            current = try parse(source)
            chain.append(current)
            visited.append(parent.name)
        }
        let base = try parse(
            ThemeSource(path: BuiltinThemes.defaultPath, text: BuiltinThemes.defaultTheme))
        var theme = Theme(
            name: name, description: base.description, graph: base.graph, roles: base.roles)
        for layer in chain.reversed() {
            theme.roles.merge(layer.roles) { _, new in new }
            if let description = layer.description { theme.description = description }
            if let graph = layer.graph { theme.graph = graph }
        }
        return theme
    }

    /// The compiled-in default theme.
    public func builtinDefault() throws(ThemeError) -> Theme {
        try load(
            name: "default",
            source: ThemeSource(path: BuiltinThemes.defaultPath, text: BuiltinThemes.defaultTheme),
            loader: { _ in nil })
    }

    /// The compiled-in monochrome theme (attributes for colourless terminals).
    public func builtinMonochrome() throws(ThemeError) -> Theme {
        try load(
            name: "monochrome",
            source: ThemeSource(
                path: BuiltinThemes.monochromePath, text: BuiltinThemes.monochromeTheme),
            loader: { _ in nil })
    }

    // MARK: - Lines

    private static let settings: Set<String> = ["inherits", "graph", "description"]

    private func parseLine(
        _ line: [Character], number: Int, into definition: inout ThemeDefinition,
        settingLines: inout [String: Int]
    ) throws(ThemeError) {
        let content = Self.stripComment(line)
        let trimmed = Self.trim(content)
        if trimmed.isEmpty { return }
        let path = definition.path
        guard let equals = trimmed.firstIndex(of: "=") else {
            throw ThemeError(file: path, line: number, problem: .syntax(String(trimmed)))
        }
        let name = String(Self.trim(Array(trimmed[..<equals])))
        let value = String(Self.trim(Array(trimmed[(equals + 1)...])))
        guard !name.isEmpty else {
            throw ThemeError(file: path, line: number, problem: .syntax(String(trimmed)))
        }
        if Self.settings.contains(name) {
            if let first = settingLines[name] {
                throw ThemeError(
                    file: path, line: number, problem: .alreadySet(name, firstLine: first))
            }
            settingLines[name] = number
            guard !value.isEmpty else {
                throw ThemeError(file: path, line: number, problem: .emptyValue(name))
            }
            switch name {
            case "inherits":
                definition.inherits = (value, number)
            case "graph":
                guard let graph = GraphSymbols(rawValue: value.lowercased()) else {
                    throw ThemeError(file: path, line: number, problem: .badGraph(value))
                }
                definition.graph = graph
            default:
                definition.description = value
            }
            return
        }
        guard schema.contains(name) else {
            throw ThemeError(
                file: path, line: number,
                problem: .unknownRole(name, suggestion: schema.suggestion(for: name)))
        }
        if let first = definition.roleLines[name] {
            throw ThemeError(file: path, line: number, problem: .alreadySet(name, firstLine: first))
        }
        let tokens = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !tokens.isEmpty else {
            throw ThemeError(file: path, line: number, problem: .emptyValue(name))
        }
        definition.roles[name] = try Self.parseValue(tokens, path: path, line: number)
        definition.roleLines[name] = number
    }

    private static func parseValue(_ tokens: [String], path: String, line: Int)
        throws(ThemeError) -> RoleStyle
    {
        var style = RoleStyle()
        var index = 0
        guard let fg = parseColor(tokens[0]) else {
            throw ThemeError(file: path, line: line, problem: .badColour(tokens[0]))
        }
        style.fg = fg
        index = 1
        if index < tokens.count, let fallback = parseFallback16(tokens[index]) {
            style.fgFallback16 = fallback
            index += 1
        }
        if index < tokens.count, tokens[index] == "on" {
            index += 1
            guard index < tokens.count else {
                throw ThemeError(file: path, line: line, problem: .missingBackground)
            }
            guard let bg = parseColor(tokens[index]) else {
                throw ThemeError(file: path, line: line, problem: .badColour(tokens[index]))
            }
            style.bg = bg
            index += 1
            if index < tokens.count, let fallback = parseFallback16(tokens[index]) {
                style.bgFallback16 = fallback
                index += 1
            }
        }
        while index < tokens.count {
            guard let attr = attributes[tokens[index]] else {
                throw ThemeError(file: path, line: line, problem: .badAttribute(tokens[index]))
            }
            style.attrs.insert(attr)
            index += 1
        }
        return style
    }

    private static let attributes: [String: Attrs] = [
        "bold": .bold, "dim": .dim, "underline": .underline, "reverse": .reverse,
        "italic": .italic,
    ]

    /// The ANSI colour names and their numbers (0–15).
    public static let ansiNames: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6,
        "white": 7, "bright-black": 8, "bright-red": 9, "bright-green": 10,
        "bright-yellow": 11, "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14,
        "bright-white": 15,
    ]

    /// Parses a COLOR token: `#rrggbb`, `0`–`255`, an ANSI name, or `default`.
    public static func parseColor(_ token: String) -> Color? {
        let lower = token.lowercased()
        if lower == "default" { return .default }
        if let n = ansiNames[lower] { return .ansi(n) }
        if lower.hasPrefix("#") {
            let hex = Array(lower.utf8.dropFirst())
            guard hex.count == 6 else { return nil }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: 6, by: 2) {
                guard let high = hexValue(hex[i]), let low = hexValue(hex[i + 1]) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            }
            return .rgb(bytes[0], bytes[1], bytes[2])
        }
        if let n = decimal(lower), n <= 255 { return .indexed(UInt8(n)) }
        return nil
    }

    /// Parses a FALLBACK16 token: an ANSI name or `0`–`15`.
    public static func parseFallback16(_ token: String) -> UInt8? {
        let lower = token.lowercased()
        if let n = ansiNames[lower] { return n }
        if let n = decimal(lower), n <= 15 { return UInt8(n) }
        return nil
    }

    private static func decimal(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.count <= 3,
            token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        return Int(token)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// The line without its comment: `#` at the first non-blank character, or `#` with
    /// whitespace before it and whitespace or the end of the line after it.
    static func stripComment(_ line: [Character]) -> [Character] {
        for (i, character) in line.enumerated() where character == "#" {
            let before = line[..<i]
            if before.allSatisfy(\.isWhitespace) { return [] }
            let spaceBefore = line[i - 1].isWhitespace
            let spaceAfter = i + 1 == line.count || line[i + 1].isWhitespace
            if spaceBefore && spaceAfter { return Array(line[..<i]) }
        }
        return line
    }

    private static func trim(_ characters: [Character]) -> [Character] {
        var start = 0
        var end = characters.count
        while start < end, characters[start].isWhitespace { start += 1 }
        while end > start, characters[end - 1].isWhitespace { end -= 1 }
        return Array(characters[start..<end])
    }
}
