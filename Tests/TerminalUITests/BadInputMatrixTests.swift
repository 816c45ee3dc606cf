import Foundation
import Testing

@testable import TerminalUI

/// The "bad input everywhere" matrix for theme text and for numbers that reach widgets from
/// data (pure tier): a bad theme is a `ThemeError` naming file:line, short and free of raw
/// control characters; a huge, infinite or NaN number draws something instead of trapping.
@Suite("Bad input matrix: theme text and hostile numbers")
struct BadInputMatrixTests {
    let parser = ThemeParser(schema: .upmon)

    func parse(_ text: String, path: String = "t.theme") -> ThemeError? {
        do {
            _ = try parser.load(name: "t", source: ThemeSource(path: path, text: text)) { _ in nil }
            return nil
        } catch {
            return error
        }
    }

    /// A well-formed error: names the file and a line, short, no raw control characters.
    func expectWellFormed(
        _ error: ThemeError, path: String = "t.theme",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(error.file == path && error.line >= 1, "\(error)", sourceLocation: sourceLocation)
        #expect(
            error.description.hasPrefix("\(path):\(error.line): "), sourceLocation: sourceLocation)
        #expect(
            error.description.utf8.count < 300, "\(error.description.prefix(300))",
            sourceLocation: sourceLocation)
        #expect(
            !error.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F },
            "raw control characters in \(error.description.debugDescription)",
            sourceLocation: sourceLocation)
    }

    @Test("theme text: empty or comments only is the default theme")
    func empty() throws {
        let base = try parser.builtinDefault().roles
        for text in ["", "\n\n", "# only a comment\n", "\u{FEFF}", "   \t  \n"] {
            let theme = try parser.load(name: "t", source: ThemeSource(path: "t.theme", text: text))
            { _ in nil }
            #expect(theme.roles == base, "\(text.debugDescription)")
        }
    }

    @Test(
        "theme text: random bytes decoded leniently (fixed seed) give a well-formed error, never a trap"
    )
    func junk() {
        var state: UInt64 = 0x7EE7
        for round in 0..<40 {
            let bytes = (0..<2048).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
            // How a reader that does not check would see it: U+FFFD, NULs and escapes kept.
            let text = String(decoding: bytes, as: UTF8.self)
            guard let error = parse(text) else {
                Issue.record("round \(round): junk parsed as a theme")
                continue
            }
            expectWellFormed(error)
        }
    }

    @Test(
        "theme text: NUL, escape and other control characters are shown escaped in the error",
        arguments: [
            (
                "link_up = gr\u{0}een",
                #"t.theme:1: bad colour 'gr\u{0}een' (want #rrggbb, 0-255, an ANSI name, or default)"#
            ),
            ("\u{1B}[2J = red", #"t.theme:1: unknown role '\u{1b}[2J'"#),
            (
                "link_up\u{7} = red",
                #"t.theme:1: unknown role 'link_up\u{7}' (did you mean 'link_up'?)"#
            ),
            ("\u{0}", #"t.theme:1: expected 'role = value', got '\u{0}'"#),
            (
                "graph = \u{1B}]0;pwned\u{7}",
                #"t.theme:1: bad graph '\u{1b}]0;pwned\u{7}' (want braille, block or ascii)"#
            ),
        ])
    func controlCharacters(text: String, expected: String) {
        guard let error = parse(text) else {
            Issue.record("\(text.debugDescription) parsed")
            return
        }
        #expect(error.description == expected)
        expectWellFormed(error)
    }

    @Test(
        "theme text: a 1 MB line, a 1 MB colour and 100,000 lines give short errors",
        .timeLimit(.minutes(1))  // a hang guard: parsing must stay linear
    )
    func huge() throws {
        let x = String(repeating: "x", count: 1 << 20)
        let cases: [(String, String)] = [
            (x, "t.theme:1: expected 'role = value', got '\(String(repeating: "x", count: 60))…'"),
            (
                "link_up = " + x,
                "t.theme:1: bad colour '\(String(repeating: "x", count: 60))…' (want #rrggbb, 0-255, an ANSI name, or default)"
            ),
            (x + " = red", "t.theme:1: unknown role '\(String(repeating: "x", count: 60))…'"),
            (
                "description = ok\n" + String(repeating: "\n", count: 100_000) + "nope",
                "t.theme:100002: expected 'role = value', got 'nope'"
            ),
        ]
        for (text, expected) in cases {
            #expect(parse(text)?.description == expected)
        }
    }

    @Test(
        "theme text: every shipped theme cut at every line and at many bytes parses or names file:line"
    )
    func truncatedShippedThemes() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("themes")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".theme")
        }
        #expect(names.count >= 5)
        var failures = 0
        for name in names {
            let bytes = try Array(Data(contentsOf: directory.appendingPathComponent(name)))
            var cuts = Set(stride(from: 0, through: bytes.count, by: 7))
            for (index, byte) in bytes.enumerated() where byte == 0x0A { cuts.insert(index) }
            for cut in cuts.sorted() {
                let path = "themes/\(name)"
                do {
                    _ = try parser.load(
                        name: "cut",
                        source: ThemeSource(
                            path: path, text: String(decoding: bytes[..<cut], as: UTF8.self))
                    ) { _ in nil }
                } catch {
                    failures += 1
                    expectWellFormed(error, path: path)
                }
            }
        }
        #expect(failures > 0, "some cuts end inside a colour")
    }

    @Test("file-level theme errors read 'file: message' without a line")
    func fileLevelErrors() {
        #expect(
            ThemeError(file: "x.theme", line: 0, problem: .unreadable("no such file")).description
                == "x.theme: theme file: no such file")
        #expect(
            ThemeError(file: "x", line: 0, problem: .notFound("x", searched: ["/a", "./themes"]))
                .description
                == "x: no theme named 'x' (looked for x.theme in /a, ./themes); give a theme name or a path to a .theme file"
        )
        #expect(
            ThemeError(file: "x", line: 0, problem: .notFound("x\u{1B}", searched: [])).description
                == #"x: no theme named 'x\u{1b}'; give a theme name or a path to a .theme file"#)
    }

    // MARK: Numbers from data

    static let hostile: [Double] = [
        .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e300,
        1.2e29,
        9.3e18, -9.3e18, 1e-300, .leastNonzeroMagnitude, 0, -0.0, -1,
    ]

    @Test("Int(saturating:) clamps instead of trapping")
    func saturating() {
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: .infinity) == 1 << 62)
        #expect(Int(saturating: -.infinity) == -(1 << 62))
        #expect(Int(saturating: 1e300) == 1 << 62)
        #expect(Int(saturating: -2.9) == -2)
        #expect(Int(saturating: 12.7) == 12)
    }

    @Test("graph, sparkline and gauge draw huge, infinite and NaN values without trapping")
    func widgets() {
        for value in Self.hostile {
            _ = LatencyGraph.label(value)
            _ = Sparkline.level(of: value, maxValue: 1e-300)
            _ = Sparkline.level(of: 1e300, maxValue: value)
            _ = Gauge.filledColumns(ratio: value, width: 40)
            let samples: [GraphSample] = [
                .value(value), .value(1), .timeout, .missing, .value(1e300),
            ]
            for yMax in [nil, value, 1e-300] as [Double?] {
                for symbols in GraphSymbols.allCases {
                    var buffer = Buffer(width: 40, height: 8)
                    LatencyGraph(samples: samples, yMax: yMax, symbols: symbols).render(
                        into: &buffer, area: Rect(x: 0, y: 0, width: 40, height: 8))
                    Sparkline(samples: samples, maxValue: yMax, symbols: symbols).render(
                        into: &buffer, area: Rect(x: 0, y: 0, width: 40, height: 1))
                }
            }
            var buffer = Buffer(width: 20, height: 1)
            Gauge(ratio: value, label: "x").render(
                into: &buffer, area: Rect(x: 0, y: 0, width: 20, height: 1))
        }
        #expect(LatencyGraph.label(.infinity) == "inf")
        #expect(LatencyGraph.label(1e300) == "1e+300")
        #expect(LatencyGraph.label(250) == "250")
    }
}
