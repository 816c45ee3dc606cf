import Foundation
import TerminalUI

/// Finds and loads theme files (docs/THEMES.md, "Where themes come from"): the search path, `t` cycling, inheritance.
public struct ThemeLibrary: Sendable {
    public let directories: [String]
    let parser = ThemeParser(schema: .upmon)

    public init(themesDir: String?, environment: [String: String], executableDirectory: String?) {
        directories = ThemeSearchPath.directories(
            themesDir: themesDir, environment: environment, executableDirectory: executableDirectory
        )
    }

    /// A library that searches exactly `directories` before the compiled-in themes.
    public init(directories: [String]) {
        self.directories = directories
    }

    /// The source of theme `name` (first directory that has `NAME.theme`, else the compiled-in
    /// theme of that name), or a direct path;
    /// nil when there is none or it cannot be read (`findSource` says why).
    public func source(named name: String) -> ThemeSource? {
        (try? findSource(named: name)) ?? nil
    }

    /// The source of theme `name`: nil when no file has that name; an error naming the file
    /// when one exists but cannot be used (a directory, unreadable, binary), or when a path is missing.
    public func findSource(named name: String) throws(ThemeError) -> ThemeSource? {
        if ThemeSearchPath.isPath(name) {
            guard let source = try Self.read(name) else {
                throw ThemeError(
                    file: name, line: 0,
                    problem: .unreadable(TextFile.Failure(.missing).description))
            }
            return source
        }
        // Every theme inherits from default, so it is always the complete compiled-in one.
        if name == "default" { return BuiltinThemes.source(named: name) }
        for directory in directories {
            if let source = try Self.read(directory + "/" + name + ".theme") { return source }
        }
        return BuiltinThemes.source(named: name)
    }

    /// The file at `path`; nil when there is no such file.
    static func read(_ path: String) throws(ThemeError) -> ThemeSource? {
        switch TextFile.read(path: path) {
        case .success(let text): return ThemeSource(path: path, text: text)
        case .failure(let failure) where failure.problem == .missing: return nil
        case .failure(let failure):
            throw ThemeError(
                file: path, line: failure.line, problem: .unreadable(failure.description))
        }
    }

    /// Loads and resolves inheritance; errors name file:line.
    public func load(_ name: String) throws(ThemeError) -> Theme {
        guard let source = try findSource(named: name) else {
            throw ThemeError(file: name, line: 0, problem: .notFound(name, searched: directories))
        }
        let themeName = ThemeSearchPath.isPath(name) ? ThemeParser.themeName(forPath: name) : name
        // A parent that exists but cannot be read is reported as itself, not as "no such theme".
        var parentFailure: ThemeError?
        do throws(ThemeError) {
            return try parser.load(name: themeName, source: source) { parent in
                do throws(ThemeError) {
                    // A missing parent path is "inherits 'x': no such theme" at the child's line.
                    if ThemeSearchPath.isPath(parent) { return try Self.read(parent) }
                    return try self.findSource(named: parent)
                } catch {
                    parentFailure = error
                    return nil
                }
            }
        } catch {
            if let parentFailure, case .parentNotFound = error.problem { throw parentFailure }
            throw error
        }
    }

    /// The monochrome attribute mapping (user override or the shipped one).
    public func monochrome() -> Theme? {
        (try? load("monochrome")) ?? (try? parser.builtinMonochrome())
    }

    /// Every theme name found (compiled in or in a directory), in `t` cycle order.
    public func available() -> [String] {
        var names = Set(BuiltinThemes.names)
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".theme") {
                names.insert(String(file.dropLast(6)))
            }
        }
        return ThemeSearchPath.cycleOrder(names)
    }
}
