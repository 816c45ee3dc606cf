import Testing

@testable import TerminalUI

/// A theme text whose line `n` is `content[n]` and every other line is blank.
private func text(_ content: [Int: String]) -> String {
    let last = content.keys.max() ?? 0
    return (1...max(1, last)).map { content[$0] ?? "" }.joined(separator: "\n") + "\n"
}

private let parser = ThemeParser(schema: .upmon)

private func error(
    _ content: [Int: String], path: String = "themes/ocean.theme",
    loader: (String) -> ThemeSource? = { _ in nil }
) -> String? {
    do {
        _ = try parser.load(
            name: ThemeParser.themeName(forPath: path),
            source: ThemeSource(path: path, text: text(content)), loader: loader)
        return nil
    } catch {
        return error.description
    }
}

@Suite("ThemeParser")
struct ThemeParserTests {
    @Test("error: unknown role with a suggestion")
    func unknownRole() {
        #expect(
            error([14: "link_upp = #5fd75f"])
                == "themes/ocean.theme:14: unknown role 'link_upp' (did you mean 'link_up'?)")
        #expect(error([2: "zzzzzz = red"]) == "themes/ocean.theme:2: unknown role 'zzzzzz'")
    }

    @Test("error: bad colour")
    func badColour() {
        #expect(
            error([20: "title = #12345"])
                == "themes/ocean.theme:20: bad colour '#12345' (want #rrggbb, 0-255, an ANSI name, or default)"
        )
        #expect(
            error([1: "title = 256"])?.hasSuffix(
                "bad colour '256' (want #rrggbb, 0-255, an ANSI name, or default)") == true)
        #expect(error([1: "title = red on #gggggg"])?.contains("bad colour '#gggggg'") == true)
    }

    @Test("error: not an attribute")
    func badAttribute() {
        #expect(
            error([22: "title = #5fafff bright-blue blink"])
                == "themes/ocean.theme:22: 'blink' is not an attribute (bold dim underline reverse italic)"
        )
    }

    @Test("error: already set")
    func alreadySet() {
        #expect(
            error([9: "title = red", 30: "title = blue"])
                == "themes/ocean.theme:30: 'title' already set on line 9")
        #expect(
            error([1: "graph = block", 2: "graph = ascii"])
                == "themes/ocean.theme:2: 'graph' already set on line 1")
    }

    @Test("error: inheritance cycle")
    func cycle() {
        #expect(
            error([1: "inherits = ocean"])
                == "themes/ocean.theme:1: inherits 'ocean' → 'ocean': cycle")
        let loader: (String) -> ThemeSource? = { name in
            switch name {
            case "a": return ThemeSource(path: "themes/a.theme", text: "inherits = b\n")
            case "b": return ThemeSource(path: "themes/b.theme", text: "\ninherits = a\n")
            default: return nil
            }
        }
        #expect(
            error([1: "inherits = a"], loader: loader)
                == "themes/b.theme:2: inherits 'a' → 'b' → 'a': cycle")
    }

    @Test("other errors name file and line")
    func otherErrors() {
        #expect(
            error([3: "inherits = nope"]) == "themes/ocean.theme:3: inherits 'nope': no such theme")
        #expect(
            error([1: "graph = lines"])
                == "themes/ocean.theme:1: bad graph 'lines' (want braille, block or ascii)")
        #expect(
            error([4: "just words"])
                == "themes/ocean.theme:4: expected 'role = value', got 'just words'")
        #expect(error([1: "title ="]) == "themes/ocean.theme:1: 'title' has no value")
        #expect(
            error([1: "title = red on"]) == "themes/ocean.theme:1: 'on' needs a colour after it")
    }

    @Test("value grammar: colour, fallback, background, attributes, comments")
    func valueGrammar() throws {
        let definition = try parser.parse(
            ThemeSource(
                path: "x.theme",
                text: """
                    # comment
                      # indented comment
                    link_up = #5FD75F  # green
                    highlight = #ffffff bright-white on #005f87 blue bold underline
                    header = 252 on 235 reverse
                    muted = default dim italic
                    text = red 9
                    description = free text # with comment
                    graph = ascii
                    """))
        #expect(definition.roles["link_up"] == RoleStyle(fg: .rgb(0x5f, 0xd7, 0x5f)))
        #expect(
            definition.roles["highlight"]
                == RoleStyle(
                    fg: .rgb(255, 255, 255), fgFallback16: 15, bg: .rgb(0, 0x5f, 0x87),
                    bgFallback16: 4,
                    attrs: [.bold, .underline]))
        #expect(
            definition.roles["header"]
                == RoleStyle(fg: .indexed(252), bg: .indexed(235), attrs: .reverse))
        #expect(definition.roles["muted"] == RoleStyle(attrs: [.dim, .italic]))
        #expect(definition.roles["text"] == RoleStyle(fg: .ansi(1), fgFallback16: 9))
        #expect(definition.description == "free text")
        #expect(definition.graph == .ascii)
    }

    @Test("a '#' glued to a token is not a comment")
    func gluedHash() {
        #expect(error([1: "title = #5fafff#x"])?.contains("bad colour '#5fafff#x'") == true)
    }

    @Test("inheritance: default, then ancestors, then the file")
    func inheritance() throws {
        let loader: (String) -> ThemeSource? = { name in
            name == "base"
                ? ThemeSource(
                    path: "themes/base.theme", text: "title = red\ntext = blue\ngraph = block\n")
                : nil
        }
        let theme = try parser.load(
            name: "child",
            source: ThemeSource(
                path: "themes/child.theme", text: "inherits = base\ntext = green\n"),
            loader: loader)
        #expect(theme.name == "child")
        #expect(theme.roles["title"]?.fg == .ansi(1))
        #expect(theme.roles["text"]?.fg == .ansi(2))
        #expect(theme.roles["link_up"]?.fg == .rgb(0x5f, 0xd7, 0x5f))
        #expect(theme.graph == .block)
        #expect(theme.description == "Dark background, quiet chrome, saturated status colours")
        #expect(theme.roles.count == ThemeSchema.upmon.roles.count)
    }

    @Test("resolution at each depth")
    func depths() throws {
        let theme = try parser.builtinDefault()
        let mono = try parser.builtinMonochrome()
        let linkUp = theme.resolved(depth: .truecolor).style("link_up")
        #expect(linkUp == Style(fg: .rgb(0x5f, 0xd7, 0x5f)))
        #expect(theme.resolved(depth: .palette256).style("link_up") == Style(fg: .indexed(77)))
        #expect(theme.resolved(depth: .ansi16).style("link_up") == Style(fg: .ansi(10)))
        #expect(
            theme.resolved(depth: .ansi16, eightColors: true).style("link_up")
                == Style(fg: .ansi(2), attrs: .bold))
        let monoTheme = theme.resolved(depth: .monochrome, monochrome: mono)
        #expect(monoTheme.style("highlight") == Style(attrs: .reverse))
        #expect(monoTheme.style("link_down") == Style(attrs: .bold))
        #expect(monoTheme.style("muted") == Style(attrs: .dim))
        #expect(monoTheme.style("error") == Style(attrs: [.bold, .reverse]))
        let noDim = theme.resolved(
            depth: .monochrome, monochrome: mono, supportedAttributes: [.bold])
        #expect(noDim.style("muted") == Style())
        #expect(monoTheme.style("no_such_role") == Style())
    }

    @Test("suggestions")
    func suggestions() {
        #expect(ThemeSchema.upmon.suggestion(for: "link_upp") == "link_up")
        #expect(ThemeSchema.upmon.suggestion(for: "hilight") == "highlight")
        #expect(ThemeSchema.upmon.suggestion(for: "serie1") == "series1")
        #expect(ThemeSchema.upmon.suggestion(for: "qqqqqqqqqq") == nil)
    }

    @Test("theme names from paths")
    func names() {
        #expect(ThemeParser.themeName(forPath: "themes/ocean.theme") == "ocean")
        #expect(ThemeParser.themeName(forPath: "ocean") == "ocean")
    }
}

@Suite("ColorDepth")
struct ColorDepthTests {
    @Test(
        "→ 256 table",
        arguments: [
            ("#5fd75f", 77), ("#808080", 244), ("#000000", 16), ("#ffffff", 231), ("#ff0000", 196),
            ("#080808", 232), ("#eeeeee", 255), ("#5f5f5f", 59), ("#121212", 233),
        ] as [(String, Int)])
    func to256(hex: String, expected: Int) throws {
        let color = try #require(ThemeParser.parseColor(hex))
        #expect(ColorDepth.convert(color, to: .palette256) == .indexed(UInt8(expected)))
    }

    @Test(
        "→ 16 table",
        arguments: [
            ("#ff5f5f", nil, 9), ("#ff5f5f", 1, 1), ("#000000", nil, 0), ("#ffffff", nil, 15),
            ("#00cd00", nil, 2), ("#5c5cff", nil, 12),
        ] as [(String, UInt8?, UInt8)])
    func to16(hex: String, fallback: UInt8?, expected: UInt8) throws {
        let color = try #require(ThemeParser.parseColor(hex))
        #expect(ColorDepth.convert(color, fallback16: fallback, to: .ansi16) == .ansi(expected))
    }

    @Test("indices, names and default")
    func others() {
        #expect(ColorDepth.convert(.indexed(200), to: .palette256) == .indexed(200))
        #expect(ColorDepth.convert(.indexed(3), to: .ansi16) == .ansi(3))
        #expect(ColorDepth.convert(.indexed(196), to: .ansi16) == .ansi(9))
        #expect(ColorDepth.convert(.ansi(12), to: .palette256) == .ansi(12))
        for depth in ColorDepth.allCases {
            #expect(ColorDepth.convert(.default, fallback16: 3, to: depth) == .default)
        }
        #expect(ColorDepth.convert(.rgb(1, 2, 3), to: .monochrome) == .default)
        #expect(ColorDepth.convert(.rgb(1, 2, 3), to: .truecolor) == .rgb(1, 2, 3))
        #expect(ColorDepth.toEightColors(.ansi(9)).color == .ansi(1))
        #expect(ColorDepth.toEightColors(.ansi(9)).extra == .bold)
        #expect(ColorDepth.toEightColors(.ansi(3)).extra == [])
    }

    @Test("grey ramp vs cube: a tie goes to the cube")
    func tie() {
        // #5f5f5f is exactly cube 59 (95,95,95) and 2 away from no grey step; cube wins.
        #expect(ColorDepth.nearest256(95, 95, 95) == 59)
        // 88 = grey step 8 exactly.
        #expect(ColorDepth.nearest256(88, 88, 88) == 240)
    }

    @Test(
        "depth detection",
        arguments: [
            (nil, nil, "xterm-256color", "truecolor", 256, true, true, ColorDepth.truecolor),
            (nil, nil, "xterm-256color", "truecolor", 256, true, false, .palette256),
            (nil, nil, "xterm-direct", "truecolor", 1 << 24, true, false, .truecolor),
            (nil, nil, "xterm-256color", nil, 256, true, false, .palette256),
            (nil, nil, "xterm", nil, 8, true, false, .ansi16),
            (nil, "1", "xterm-256color", nil, 256, true, false, .monochrome),
            (nil, "", "xterm-256color", nil, 256, true, false, .palette256),
            (nil, nil, "dumb", nil, 256, true, false, .monochrome),
            (nil, nil, "vt100", nil, 0, false, false, .monochrome),
            (.ansi16, nil, "xterm-256color", "truecolor", 256, true, true, .ansi16),
            (.monochrome, nil, "xterm-256color", nil, 256, true, false, .monochrome),
        ] as [(ColorDepth?, String?, String?, String?, Int, Bool, Bool, ColorDepth)])
    func detect(
        forced: ColorDepth?, noColor: String?, term: String?, colorTerm: String?, colors: Int,
        hasColors: Bool, canChange: Bool, expected: ColorDepth
    ) {
        #expect(
            ColorDepth.detect(
                forced: forced, noColor: noColor, term: term, colorTerm: colorTerm, colors: colors,
                hasColors: hasColors, canChangeColor: canChange) == expected)
    }
}

@Suite("ThemeSearchPath")
struct ThemeSearchPathTests {
    @Test("search order")
    func order() {
        let dirs = ThemeSearchPath.directories(
            themesDir: "/opt/t",
            environment: ["UPMON_THEMES": "/env/t", "XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"],
            executableDirectory: "/usr/bin")
        #expect(
            dirs == [
                "/opt/t", "/env/t", "/xdg/upmon/themes", "/usr/bin/../share/upmon/themes",
                "./themes",
            ])
        let fallback = ThemeSearchPath.directories(
            themesDir: nil, environment: ["HOME": "/home/u"], executableDirectory: nil)
        #expect(fallback == ["/home/u/.config/upmon/themes", "./themes"])
        #expect(ThemeSearchPath.isPath("path/to/x.theme"))
        #expect(!ThemeSearchPath.isPath("ocean"))
    }

    @Test("cycle: shipped first in order, then user themes alphabetically")
    func cycle() {
        let order = ThemeSearchPath.cycleOrder([
            "zebra", "light", "default", "ocean", "solarized-dark",
        ])
        #expect(order == ["default", "light", "solarized-dark", "ocean", "zebra"])
        #expect(ThemeSearchPath.next(after: "zebra", in: order) == "default")
        #expect(ThemeSearchPath.next(after: "light", in: order) == "solarized-dark")
    }
}
