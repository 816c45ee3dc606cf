import Foundation
import TerminalUI

/// Finds and loads theme files (THEMES.md §1): the search path, `t` cycling, inheritance.
public struct ThemeLibrary: Sendable {
    public let directories: [String]
    let parser = ThemeParser(schema: .upmon)

    public init(themesDir: String?, environment: [String: String], executableDirectory: String?) {
        directories = ThemeSearchPath.directories(themesDir: themesDir, environment: environment, executableDirectory: executableDirectory)
    }

    /// The source of theme `name` (first directory that has `NAME.theme`), or a direct path.
    public func source(named name: String) -> ThemeSource? {
        if ThemeSearchPath.isPath(name) { return Self.read(name) }
        if name == "default" { return ThemeSource(path: BuiltinThemes.defaultPath, text: BuiltinThemes.defaultTheme) }
        for directory in directories {
            if let source = Self.read(directory + "/" + name + ".theme") { return source }
        }
        if name == "monochrome" { return ThemeSource(path: BuiltinThemes.monochromePath, text: BuiltinThemes.monochromeTheme) }
        return nil
    }

    static func read(_ path: String) -> ThemeSource? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return ThemeSource(path: path, text: String(decoding: data, as: UTF8.self))
    }

    /// Loads and resolves inheritance; errors name file:line.
    public func load(_ name: String) throws(ThemeError) -> Theme {
        guard let source = source(named: name) else {
            throw ThemeError(file: name, line: 0, problem: .parentNotFound(name))
        }
        let themeName = ThemeSearchPath.isPath(name) ? ThemeParser.themeName(forPath: name) : name
        return try parser.load(name: themeName, source: source) { self.source(named: $0) }
    }

    /// The monochrome attribute mapping (user override or the shipped one).
    public func monochrome() -> Theme? {
        (try? load("monochrome")) ?? (try? parser.builtinMonochrome())
    }

    /// Every theme name found, in `t` cycle order.
    public func available() -> [String] {
        var names: Set<String> = ["default"]
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".theme") { names.insert(String(file.dropLast(6))) }
        }
        return ThemeSearchPath.cycleOrder(names)
    }
}
