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
    @Test("compiled-in default.theme is byte-identical to themes/default.theme")
    func builtinDefault() throws {
        let data = try Data(contentsOf: themesDirectory.appendingPathComponent("default.theme"))
        #expect(Array(data) == Array(BuiltinThemes.defaultTheme.utf8))
    }

    @Test("compiled-in monochrome.theme is byte-identical to themes/monochrome.theme")
    func builtinMonochrome() throws {
        let data = try Data(contentsOf: themesDirectory.appendingPathComponent("monochrome.theme"))
        #expect(Array(data) == Array(BuiltinThemes.monochromeTheme.utf8))
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
