import Foundation
import TerminalUI
import Testing

@testable import UpmonApp

@Suite("Theme library: compiled-in themes and the search path")
struct ThemeLibraryTests {
    @Test("with no theme directory at all, every shipped theme is there by name, in cycle order")
    func builtinsWithoutDirectories() throws {
        let library = ThemeLibrary(directories: [])
        #expect(library.available() == ThemeSearchPath.shipped)
        for name in ThemeSearchPath.shipped {
            let source = try #require(try library.findSource(named: name))
            #expect(source.path == "<builtin>/\(name).theme")
            #expect(source.text == BuiltinThemes.text(named: name))
            #expect(try library.load(name).name == name)
        }
        #expect(try library.findSource(named: "nosuch") == nil)
    }

    @Test("a user's theme directory comes first; default is always the compiled-in one")
    func userDirectoryFirst() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["light", "default", "mine"] {
            try "description = user \(name)\n".write(
                toFile: directory + "/\(name).theme", atomically: true, encoding: .utf8)
        }
        let library = ThemeLibrary(directories: [directory])
        #expect(try library.load("light").description == "user light")
        #expect(try library.findSource(named: "light")?.path == directory + "/light.theme")
        #expect(try library.findSource(named: "default")?.path == "<builtin>/default.theme")
        #expect(try library.findSource(named: "monochrome")?.path == "<builtin>/monochrome.theme")
        #expect(library.available() == ThemeSearchPath.shipped + ["mine"])
    }
}
