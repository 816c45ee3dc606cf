import Foundation
import Testing

@testable import TerminalUI

private let themesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("themes")

private func read(_ name: String) throws -> ThemeSource {
    let url = themesDirectory.appendingPathComponent("\(name).theme")
    return ThemeSource(
        path: "themes/\(name).theme", text: try String(contentsOf: url, encoding: .utf8))
}

private let shipped = ["default", "light", "high-contrast", "monochrome", "solarized-dark"]

@Suite("Shipped themes")
struct ShippedThemesTests {
    @Test("every file in themes/ is compiled in under its name, byte for byte")
    func builtinsAreTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: themesDirectory.path)
            .filter { $0.hasSuffix(".theme") }
        #expect(BuiltinThemes.names == files.map { String($0.dropLast(6)) }.sorted())
        #expect(Set(BuiltinThemes.names) == Set(shipped))
        for name in BuiltinThemes.names {
            let data = try Data(
                contentsOf: themesDirectory.appendingPathComponent("\(name).theme"))
            #expect(Array(data) == Array((BuiltinThemes.text(named: name) ?? "").utf8), "\(name)")
            #expect(BuiltinThemes.source(named: name)?.path == "<builtin>/\(name).theme")
        }
        #expect(BuiltinThemes.text(named: "nosuch") == nil)
        #expect(BuiltinThemes.defaultTheme == BuiltinThemes.text(named: "default"))
        #expect(BuiltinThemes.monochromeTheme == BuiltinThemes.text(named: "monochrome"))
    }

    @Test("every compiled-in theme loads from its built-in text alone", arguments: shipped)
    func builtinLoads(name: String) throws {
        let parser = ThemeParser(schema: .upmon)
        let source = try #require(BuiltinThemes.source(named: name))
        let theme = try parser.load(name: name, source: source) { BuiltinThemes.source(named: $0) }
        #expect(theme.name == name)
        #expect(theme.description != nil)
    }

    @Test("default.theme defines every role in the schema")
    func defaultComplete() throws {
        let definition = try ThemeParser(schema: .upmon).parse(try read("default"))
        #expect(Set(definition.roles.keys) == Set(ThemeSchema.upmon.roles))
    }

    @Test("every shipped theme loads and resolves all roles at all depths", arguments: shipped)
    func loads(name: String) throws {
        let parser = ThemeParser(schema: .upmon)
        let theme = try parser.load(name: name, source: try read(name)) { try? read($0) }
        let mono = try parser.load(name: "monochrome", source: try read("monochrome")) {
            try? read($0)
        }
        #expect(theme.description != nil)
        for depth in ColorDepth.allCases {
            let resolved = theme.resolved(depth: depth, monochrome: mono)
            #expect(Set(resolved.styles.keys) == Set(ThemeSchema.upmon.roles))
            for style in resolved.styles.values {
                switch depth {
                case .truecolor: break
                case .palette256:
                    if case .rgb = style.fg { Issue.record("rgb left at 256") }
                case .ansi16:
                    if case .rgb = style.fg { Issue.record("rgb left at 16") }
                    if case .indexed = style.bg { Issue.record("index left at 16") }
                case .monochrome:
                    #expect(style.fg == .default && style.bg == .default)
                }
            }
        }
    }

    @Test("solarized-dark gives every colour an explicit fallback")
    func solarizedFallbacks() throws {
        let definition = try ThemeParser(schema: .upmon).parse(try read("solarized-dark"))
        for (role, style) in definition.roles {
            if style.fg != .default { #expect(style.fgFallback16 != nil, "\(role) fg") }
            if style.bg != .default { #expect(style.bgFallback16 != nil, "\(role) bg") }
        }
    }

    @Test("monochrome keeps the states apart through attributes")
    func monochromeDistinct() throws {
        let parser = ThemeParser(schema: .upmon)
        let mono = try parser.builtinMonochrome().resolved(
            depth: .monochrome, monochrome: try parser.builtinMonochrome())
        #expect(mono.style("highlight") != mono.style("text"))
        #expect(mono.style("error") != mono.style("text"))
        #expect(mono.style("recording") != mono.style("text"))
        #expect(mono.style("mode_live") != mono.style("text"))
    }
}
